// A probe module, not part of the product: it records how Envoy hands TCP data to a
// Wasm network filter when the filter returns StopIteration, so the filter's design
// rests on observed behaviour. The plugin configuration is the number of data
// callbacks per direction to answer with StopIteration before continuing.
//
// It also logs, at onNewConnection and at each downstream data callback, every
// connection property the filter reads (CONNECTION_PROPERTIES), so the tests can pin
// down when Envoy knows each one (on a TLS listener: not before the handshake).
import "../../assembly/proxy/runtime";
import { RootContext, ConnectionContext } from "../../assembly/proxy/context";
import { registerRootContext } from "../../assembly/proxy/registry";
import { BufferType, FilterStatus, LogLevel, PeerType, bufferAsString, getPropertyString, log } from "../../assembly/proxy/host";
import { CONNECTION_PROPERTIES } from "../../assembly/acl/principal";
export * from "../../assembly/proxy/exports";

let stopsPerDirection: i32 = 0;

class ProbeRoot extends RootContext {
  onConfigure(size: u32): bool {
    stopsPerDirection = I32.parseInt(bufferAsString(BufferType.PluginConfiguration, size));
    return true;
  }
  createConnectionContext(contextId: u32): ConnectionContext {
    return new ProbeConnection(contextId, this);
  }
}

class ProbeConnection extends ConnectionContext {
  downstreamCalls: i32 = 0;
  upstreamCalls: i32 = 0;

  onNewConnection(): FilterStatus {
    logProperties(this.contextId, "new_connection");
    return FilterStatus.Continue;
  }
  onDownstreamData(size: u32, endOfStream: bool): FilterStatus {
    this.downstreamCalls++;
    logProperties(this.contextId, "downstream_data_" + this.downstreamCalls.toString());
    return report("downstream", this.downstreamCalls, size, endOfStream);
  }
  onUpstreamData(size: u32, endOfStream: bool): FilterStatus {
    this.upstreamCalls++;
    return report("upstream", this.upstreamCalls, size, endOfStream);
  }
  onDownstreamConnectionClose(peer: PeerType): void {
    log(LogLevel.Info, "probe downstream_close peer=" + (<i32>peer).toString());
  }
  onUpstreamConnectionClose(peer: PeerType): void {
    log(LogLevel.Info, "probe upstream_close peer=" + (<i32>peer).toString());
  }
}

/** One line per property: "probe property context=<id> at=<callback> path=<a.b> value=<text>|absent". */
function logProperties(contextId: u32, at: string): void {
  for (let i = 0; i < CONNECTION_PROPERTIES.length; i++) {
    const path = CONNECTION_PROPERTIES[i];
    const value = getPropertyString(path);
    log(LogLevel.Info, "probe property context=" + contextId.toString() + " at=" + at + " path=" + path.join(".") +
      (value == null ? " absent" : " value=" + value));
  }
}

function report(direction: string, call: i32, size: u32, endOfStream: bool): FilterStatus {
  const status = call <= stopsPerDirection ? FilterStatus.StopIteration : FilterStatus.Continue;
  log(LogLevel.Info, "probe " + direction + " call=" + call.toString() + " size=" + size.toString() +
    " end_of_stream=" + (endOfStream ? "1" : "0") + " returned=" + (status == FilterStatus.Continue ? "continue" : "stop"));
  return status;
}

registerRootContext((id: u32): RootContext => new ProbeRoot(id));

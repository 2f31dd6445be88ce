// A probe module, not part of the product: it records how Envoy hands TCP data to a
// Wasm network filter when the filter returns StopIteration, so the filter's design
// rests on observed behaviour. The plugin configuration is the number of data
// callbacks per direction to answer with StopIteration before continuing.
//
// It also logs, at onNewConnection and at each downstream data callback, every
// connection property the filter reads (CONNECTION_PROPERTIES), so the tests can pin
// down when Envoy knows each one (on a TLS listener: not before the handshake).
//
// With the configuration "continue" (its own VM: the mode is a module global) it tests
// what a filter may do to ask the broker something itself (README "Failure behaviour",
// several replicas): at the first downstream data it PREPENDS "PRE|" to the buffer
// (proxy_set_buffer_bytes at start 0, length 0) and holds it (StopIteration); at the
// first upstream data it calls proxy_continue_stream for the downstream direction (and,
// to log what Envoy answers, for the upstream one), so the held bytes move on with no
// new downstream data.
import "../../assembly/proxy/runtime";
import { RootContext, ConnectionContext } from "../../assembly/proxy/context";
import { registerRootContext } from "../../assembly/proxy/registry";
import { BufferType, FilterStatus, LogLevel, PeerType, StreamType, bufferAsString, getPropertyString, log } from "../../assembly/proxy/host";
import { proxy_set_buffer_bytes } from "../../assembly/proxy/imports";
import { CONNECTION_PROPERTIES } from "../../assembly/acl/principal";
export * from "../../assembly/proxy/exports";

let stopsPerDirection: i32 = 0;
let continueMode = false;

@external("env", "proxy_continue_stream")
declare function proxy_continue_stream(streamType: u32): u32;

const PREFIX = "PRE|";

class ProbeRoot extends RootContext {
  onConfigure(size: u32): bool {
    const configuration = bufferAsString(BufferType.PluginConfiguration, size);
    continueMode = configuration == "continue";
    if (!continueMode) stopsPerDirection = I32.parseInt(configuration);
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
    if (!continueMode) logProperties(this.contextId, "new_connection");
    return FilterStatus.Continue;
  }
  onDownstreamData(size: u32, endOfStream: bool): FilterStatus {
    this.downstreamCalls++;
    if (continueMode) {
      if (this.downstreamCalls > 1) return FilterStatus.Continue;
      const prefix = String.UTF8.encode(PREFIX);
      const result = proxy_set_buffer_bytes(BufferType.DownstreamData, 0, 0, changetype<usize>(prefix), prefix.byteLength);
      log(LogLevel.Info, "probe prepend result=" + result.toString() + " size=" + size.toString());
      return FilterStatus.StopIteration;
    }
    logProperties(this.contextId, "downstream_data_" + this.downstreamCalls.toString());
    return report("downstream", this.downstreamCalls, size, endOfStream);
  }
  onUpstreamData(size: u32, endOfStream: bool): FilterStatus {
    this.upstreamCalls++;
    if (continueMode) {
      if (this.upstreamCalls == 1) {
        const downstream = proxy_continue_stream(StreamType.Downstream);
        const upstream = proxy_continue_stream(StreamType.Upstream);
        log(LogLevel.Info, "probe continue_stream downstream=" + downstream.toString() + " upstream=" + upstream.toString());
      }
      return FilterStatus.Continue;
    }
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

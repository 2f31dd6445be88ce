// A probe module, not part of the product: it records how Envoy hands TCP data to a
// Wasm network filter when the filter returns StopIteration, so the filter's design
// rests on observed behaviour. The plugin configuration is the number of data
// callbacks per direction to answer with StopIteration before continuing.
import "../../assembly/proxy/runtime";
import { RootContext, ConnectionContext } from "../../assembly/proxy/context";
import { registerRootContext } from "../../assembly/proxy/registry";
import { BufferType, FilterStatus, LogLevel, PeerType, bufferAsString, log } from "../../assembly/proxy/host";
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

  onDownstreamData(size: u32, endOfStream: bool): FilterStatus {
    this.downstreamCalls++;
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

function report(direction: string, call: i32, size: u32, endOfStream: bool): FilterStatus {
  const status = call <= stopsPerDirection ? FilterStatus.StopIteration : FilterStatus.Continue;
  log(LogLevel.Info, "probe " + direction + " call=" + call.toString() + " size=" + size.toString() +
    " end_of_stream=" + (endOfStream ? "1" : "0") + " returned=" + (status == FilterStatus.Continue ? "continue" : "stop"));
  return status;
}

registerRootContext((id: u32): RootContext => new ProbeRoot(id));

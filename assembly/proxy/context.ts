// Base classes a filter extends, shaped like the proxy-runtime SDK's RootContext
// and Context but limited to what a network (TCP) filter receives.
import { FilterStatus, PeerType } from "./host";

/** One per plugin configuration per VM (one VM per Envoy worker thread). */
export class RootContext {
  constructor(public readonly contextId: u32) {}

  onVmStart(vmConfigurationSize: u32): bool { return true; }

  /** Return false to reject the configuration; Envoy then refuses to load the plugin. */
  onConfigure(pluginConfigurationSize: u32): bool { return true; }

  /** Called every tick period set with setTickPeriod (proxy_set_tick_period_milliseconds). */
  onTick(): void {}

  createConnectionContext(contextId: u32): ConnectionContext {
    return new ConnectionContext(contextId, this);
  }

  onDone(): bool { return true; }
  onDelete(): void {}
}

/** One per downstream connection. */
export class ConnectionContext {
  constructor(public readonly contextId: u32, public readonly root: RootContext) {}

  onNewConnection(): FilterStatus { return FilterStatus.Continue; }
  onDownstreamData(dataSize: u32, endOfStream: bool): FilterStatus { return FilterStatus.Continue; }
  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus { return FilterStatus.Continue; }
  onDownstreamConnectionClose(peer: PeerType): void {}
  onUpstreamConnectionClose(peer: PeerType): void {}
  onDone(): bool { return true; }
  onDelete(): void {}
}

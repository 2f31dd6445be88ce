// Base classes a filter extends, shaped like the proxy-runtime SDK's RootContext
// and Context but limited to what a network (TCP) filter receives.
import { FilterStatus, PeerType } from "./host";

/** One per plugin configuration per VM (one VM per Envoy worker thread). */
export class RootContext {
  /** `contextId`: the root context id Envoy assigned (proxy_on_context_create with parent 0). */
  constructor(public readonly contextId: u32) {}

  /** proxy_on_vm_start: `vmConfigurationSize` bytes of vm_config.configuration are readable; false fails the VM. */
  onVmStart(vmConfigurationSize: u32): bool { return true; }

  /** Return false to reject the configuration; Envoy then refuses to load the plugin. */
  onConfigure(pluginConfigurationSize: u32): bool { return true; }

  /** Called every tick period set with setTickPeriod (proxy_set_tick_period_milliseconds). */
  onTick(): void {}

  /** The context of a new downstream connection (proxy_on_context_create with this root as parent). */
  createConnectionContext(contextId: u32): ConnectionContext {
    return new ConnectionContext(contextId, this);
  }

  /** proxy_on_done: true when the context may be deleted now. */
  onDone(): bool { return true; }
  /** proxy_on_delete: the last call this context gets. */
  onDelete(): void {}
}

/** One per downstream connection. */
export class ConnectionContext {
  /** `contextId` as Envoy assigned it; `root` the plugin's root context on this VM. */
  constructor(public readonly contextId: u32, public readonly root: RootContext) {}

  /** proxy_on_new_connection: Envoy accepted the socket (a TLS handshake has not ended yet). */
  onNewConnection(): FilterStatus { return FilterStatus.Continue; }
  /**
   * proxy_on_downstream_data: `dataSize` bytes buffered from the client (held ones included).
   * StopIteration keeps them buffered for the next callback; Continue forwards them all.
   */
  onDownstreamData(dataSize: u32, endOfStream: bool): FilterStatus { return FilterStatus.Continue; }
  /** proxy_on_upstream_data: as onDownstreamData, for bytes from the upstream (broker). */
  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus { return FilterStatus.Continue; }
  /** proxy_on_downstream_connection_close: the client side closed (`peer`: who closed it). */
  onDownstreamConnectionClose(peer: PeerType): void {}
  /** proxy_on_upstream_connection_close: the upstream side closed (`peer`: who closed it). */
  onUpstreamConnectionClose(peer: PeerType): void {}
  /** proxy_on_done: true when the context may be deleted now. */
  onDone(): bool { return true; }
  /** proxy_on_delete: the last call this context gets. */
  onDelete(): void {}
}

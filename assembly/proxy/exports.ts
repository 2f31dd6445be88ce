// The proxy-wasm ABI 0.2.1 entry points Envoy calls, dispatched to context objects.
// filter.ts re-exports everything here so that the module exports them.
import { RootContext } from "./context";
import { FilterStatus, LogLevel, hostAllocate, log } from "./host";

import { rootContextFactory, rootContexts, connectionContexts } from "./registry";

// Envoy refuses a module that does not export the ABI version marker.
export function proxy_abi_version_0_2_1(): void {}

/** Memory the host fills with bytes it returns (`size` bytes); see hostAllocate. */
export function proxy_on_memory_allocate(size: usize): usize {
  return hostAllocate(size);
}

/**
 * A root context (parent 0) or a connection context of root `parentContextId`;
 * a connection under an unknown root is logged and gets no context (its callbacks then pass through).
 */
export function proxy_on_context_create(contextId: u32, parentContextId: u32): void {
  if (parentContextId == 0) {
    const factory = rootContextFactory;
    rootContexts.set(contextId, factory == null ? new RootContext(contextId) : factory(contextId));
    return;
  }
  if (!rootContexts.has(parentContextId)) {
    log(LogLevel.Error, "kafka filter: connection context " + contextId.toString() + " has no root context");
    return;
  }
  connectionContexts.set(contextId, rootContexts.get(parentContextId).createConnectionContext(contextId));
}

/** False fails the VM start; no root context under `rootContextId` counts as failure. */
export function proxy_on_vm_start(rootContextId: u32, vmConfigurationSize: u32): bool {
  return rootContexts.has(rootContextId) ? rootContexts.get(rootContextId).onVmStart(vmConfigurationSize) : false;
}

/** False rejects the plugin configuration: Envoy then refuses to load the filter. */
export function proxy_on_configure(rootContextId: u32, pluginConfigurationSize: u32): bool {
  return rootContexts.has(rootContextId)
    ? rootContexts.get(rootContextId).onConfigure(pluginConfigurationSize)
    : false;
}

/** Every tick period the root context set (setTickPeriod). */
export function proxy_on_tick(rootContextId: u32): void {
  if (rootContexts.has(rootContextId)) rootContexts.get(rootContextId).onTick();
}

/** Unknown context ids pass through (Continue), as do the other connection callbacks below. */
export function proxy_on_new_connection(contextId: u32): FilterStatus {
  return connectionContexts.has(contextId)
    ? connectionContexts.get(contextId).onNewConnection()
    : FilterStatus.Continue;
}

/** `dataSize` in bytes; `endOfStream` non-zero when the client half-closed. */
export function proxy_on_downstream_data(contextId: u32, dataSize: u32, endOfStream: u32): FilterStatus {
  return connectionContexts.has(contextId)
    ? connectionContexts.get(contextId).onDownstreamData(dataSize, endOfStream != 0)
    : FilterStatus.Continue;
}

/** `dataSize` in bytes; `endOfStream` non-zero when the upstream half-closed. */
export function proxy_on_upstream_data(contextId: u32, dataSize: u32, endOfStream: u32): FilterStatus {
  return connectionContexts.has(contextId)
    ? connectionContexts.get(contextId).onUpstreamData(dataSize, endOfStream != 0)
    : FilterStatus.Continue;
}

/** `peerType`: a PeerType (who closed). */
export function proxy_on_downstream_connection_close(contextId: u32, peerType: u32): void {
  if (connectionContexts.has(contextId)) connectionContexts.get(contextId).onDownstreamConnectionClose(peerType);
}

/** `peerType`: a PeerType (who closed). */
export function proxy_on_upstream_connection_close(contextId: u32, peerType: u32): void {
  if (connectionContexts.has(contextId)) connectionContexts.get(contextId).onUpstreamConnectionClose(peerType);
}

/** True lets Envoy delete the context now; unknown ids are done. */
export function proxy_on_done(contextId: u32): bool {
  if (connectionContexts.has(contextId)) return connectionContexts.get(contextId).onDone();
  if (rootContexts.has(contextId)) return rootContexts.get(contextId).onDone();
  return true;
}

/** Access-log time; the filter logs nothing of its own here. */
export function proxy_on_log(contextId: u32): void {}

/** The context's last callback; it is dropped from the registry. */
export function proxy_on_delete(contextId: u32): void {
  if (connectionContexts.has(contextId)) {
    connectionContexts.get(contextId).onDelete();
    connectionContexts.delete(contextId);
  } else if (rootContexts.has(contextId)) {
    rootContexts.get(contextId).onDelete();
    rootContexts.delete(contextId);
  }
}

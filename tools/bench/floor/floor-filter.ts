// The floor of any proxy-wasm network filter in Envoy (not shipped; used by
// tools/bench/proxy-bench.mjs --floor): a module that answers every callback at once
// and makes no host call. What Envoy spends on it over tcp_proxy is the cost of the
// Wasm boundary alone (creating the VM context per connection, entering V8 for every
// read in each direction), which no filter written against the proxy-wasm ABI
// (v0.2.1, https://github.com/proxy-wasm/spec) can go below.

export function proxy_abi_version_0_2_1(): void {}

export function proxy_on_memory_allocate(size: usize): usize {
  return heap.alloc(size);
}

export function proxy_on_context_create(contextId: u32, parentContextId: u32): void {}

export function proxy_on_vm_start(rootContextId: u32, vmConfigurationSize: u32): bool {
  return true;
}

export function proxy_on_configure(rootContextId: u32, pluginConfigurationSize: u32): bool {
  return true;
}

/** Network filter callbacks: 0 is Continue. */
export function proxy_on_new_connection(contextId: u32): u32 {
  return 0;
}

export function proxy_on_downstream_data(contextId: u32, dataSize: u32, endOfStream: u32): u32 {
  return 0;
}

export function proxy_on_upstream_data(contextId: u32, dataSize: u32, endOfStream: u32): u32 {
  return 0;
}

export function proxy_on_downstream_connection_close(contextId: u32, peerType: u32): void {}

export function proxy_on_upstream_connection_close(contextId: u32, peerType: u32): void {}

export function proxy_on_done(contextId: u32): bool {
  return true;
}

export function proxy_on_log(contextId: u32): void {}

export function proxy_on_delete(contextId: u32): void {}

// TEST-ONLY entry point: the release filter plus a hook that traps the Wasm VM when a
// connection's data starts with TRAP_REQUEST. tests/integration/vm-failure.test.mjs
// builds it (scripts/lib/build.mjs buildTrapFilter) into build/testing/, to see what
// Envoy's failure_policy does when the VM fails. Nothing under assembly/ imports this
// file, so the release module (assembly/filter.ts) never contains the hook; the suite
// checks that too.
import "../../assembly/filter";
import { FilterStatus, LogLevel, BufferType, copyBufferBytes, log } from "../../assembly/proxy/host";
import { proxy_on_downstream_data as filterDownstreamData } from "../../assembly/proxy/exports";

export {
  proxy_abi_version_0_2_1, proxy_on_memory_allocate, proxy_on_context_create, proxy_on_vm_start,
  proxy_on_configure, proxy_on_new_connection, proxy_on_upstream_data,
  proxy_on_downstream_connection_close, proxy_on_upstream_connection_close, proxy_on_done,
  proxy_on_log, proxy_on_delete,
} from "../../assembly/proxy/exports";

/**
 * The first 8 bytes of the request that traps: ASCII "VMTRAP!!", read as a little-endian
 * u64. As a Kafka frame its size field (0x564d5452) exceeds any max_frame_bytes, so the
 * release filter closes such a connection as bad framing instead.
 */
const TRAP_REQUEST: u64 = 0x2121504152544d56;
const head: usize = memory.data(8);

/** proxy_on_downstream_data of the release filter, after the test hook. */
export function proxy_on_downstream_data(contextId: u32, dataSize: u32, endOfStream: u32): FilterStatus {
  if (dataSize >= 8 && copyBufferBytes(BufferType.DownstreamData, 0, 8, head) == 8 && load<u64>(head) == TRAP_REQUEST) {
    // The suite looks for this line in Envoy's log, and for its absence in the release module.
    log(LogLevel.Critical, "kafka filter test hook: trapping the Wasm VM on request");
    unreachable();
  }
  return filterDownstreamData(contextId, dataSize, endOfStream);
}

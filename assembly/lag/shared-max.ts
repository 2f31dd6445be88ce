// The largest lag of a series across Envoy's workers. Each worker runs its own VM with
// its own consumer lag table, so a VM's max covers only the fetch connections on its
// worker; a shared gauge moved by each VM's changes would add the maxima up (the sum
// gauge can work that way, the max cannot). So every VM keeps its own max of a series in
// proxy-wasm shared data, under the series' key (Envoy keeps one store per vm_id, seen by
// every worker), and sets the gauge to the largest entry there.
//
// A stored value is a list of ENTRY_BYTES entries, little endian: owner token u64 (one
// per table, claimed from a shared counter), max i64 (records), updated i64 (ms since the
// epoch). An entry not updated for the table's expiry_ms is dropped by the next writer:
// its VM failed or was replaced without withdrawing it. Live tables write theirs again
// well within that (ConsumerLagTable.sweep), so only abandoned entries age out.

/** Bytes per entry: owner token, max, updated. */
export const ENTRY_BYTES: i32 = 24;

/**
 * What mergeMax computed: the list to store (`length` bytes at the start of `buffer`, which
 * is reused, and grows only when a list outgrows it), and the max over its entries.
 */
export class MaxMerge {
  buffer: ArrayBuffer = new ArrayBuffer(4 * ENTRY_BYTES);
  length: i32 = 0;
  max: i64 = 0;
}

/**
 * Sets `owner`'s entry in the stored list (`currentLength` bytes at `current`; 0: no
 * entries yet) to `max` records at `nowMs`, or removes it when `max` is 0 or less; drops
 * every other entry last updated before `nowMs - expiryMs`, and ignores a trailing partial
 * entry (a value no writer of this layout made). Writes the new list and the largest max
 * over it into `out` (max 0 when the list is empty). `current` must not be `out.buffer`.
 */
export function mergeMax(current: usize, currentLength: i32, owner: u64, max: i64, nowMs: i64, expiryMs: i64, out: MaxMerge): void {
  const oldest = nowMs - expiryMs;
  const count = currentLength / ENTRY_BYTES;
  const room = (count + 1) * ENTRY_BYTES;
  if (out.buffer.byteLength < room) out.buffer = new ArrayBuffer(room * 2);
  let largest: i64 = 0;
  let write = changetype<usize>(out.buffer);
  for (let i = 0; i < count; i++) {
    const at = current + <usize>(i * ENTRY_BYTES);
    const entryMax = load<i64>(at, 8);
    if (load<u64>(at) == owner || load<i64>(at, 16) < oldest) continue;
    memory.copy(write, at, <usize>ENTRY_BYTES);
    write += <usize>ENTRY_BYTES;
    if (entryMax > largest) largest = entryMax;
  }
  if (max > 0) {
    store<u64>(write, owner);
    store<i64>(write, max, 8);
    store<i64>(write, nowMs, 16);
    write += <usize>ENTRY_BYTES;
    if (max > largest) largest = max;
  }
  out.length = <i32>(write - changetype<usize>(out.buffer));
  out.max = largest;
}

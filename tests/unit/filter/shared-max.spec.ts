// lag/shared-max.ts: each worker's max of a lag series, merged in shared data.
import { ENTRY_BYTES, MaxMerge, mergeMax } from "../../../assembly/lag/shared-max";

const EXPIRY: i64 = 60000;

/** The list `out` holds, copied out of its reused buffer (as shared data holds it between writes). */
function stored(out: MaxMerge): ArrayBuffer {
  const copy = new ArrayBuffer(out.length);
  memory.copy(changetype<usize>(copy), changetype<usize>(out.buffer), <usize>out.length);
  return copy;
}

/** mergeMax over a stored list (null: none). */
function merge(current: ArrayBuffer | null, owner: u64, max: i64, nowMs: i64, out: MaxMerge): void {
  if (current == null) mergeMax(0, 0, owner, max, nowMs, EXPIRY, out);
  else mergeMax(changetype<usize>(current), current.byteLength, owner, max, nowMs, EXPIRY, out);
}

/** "owner:max@ms" per entry, in stored order. */
function entries(value: ArrayBuffer): string {
  const out: string[] = [];
  for (let at = 0; at + ENTRY_BYTES <= value.byteLength; at += ENTRY_BYTES) {
    const base = changetype<usize>(value) + <usize>at;
    out.push(load<u64>(base).toString() + ":" + load<i64>(base, 8).toString() + "@" + load<i64>(base, 16).toString());
  }
  return out.join(" ");
}

describe("shared max of a lag series", () => {
  test("the gauge is the largest of the workers' maxima, not their sum", () => {
    const m = new MaxMerge();
    merge(null, 1, 700, 1000, m);
    expect(m.max).toBe(700);
    merge(stored(m), 2, 300, 2000, m);
    expect(m.max).toBe(700);
    expect(entries(stored(m))).toBe("1:700@1000 2:300@2000");
    // Worker 1's consumer catches up: worker 2's lag is now the largest.
    merge(stored(m), 1, 50, 3000, m);
    expect(m.max).toBe(300);
    expect(entries(stored(m))).toBe("2:300@2000 1:50@3000");
  });

  test("a worker whose max falls to 0 leaves, and the others' stay", () => {
    const m = new MaxMerge();
    merge(null, 1, 700, 1000, m);
    merge(stored(m), 2, 300, 1000, m);
    merge(stored(m), 1, 0, 2000, m);
    expect(m.max).toBe(300);
    expect(entries(stored(m))).toBe("2:300@1000");
    merge(stored(m), 2, 0, 2000, m);
    expect(m.max).toBe(0);
    expect(m.length).toBe(0);
  });

  test("an entry not written for expiry_ms (its VM failed) is dropped by the next writer; one written at the edge stays", () => {
    const m = new MaxMerge();
    merge(null, 1, 900, 1000, m);
    merge(stored(m), 2, 100, 1000 + EXPIRY, m);
    expect(m.max).toBe(900);
    merge(stored(m), 2, 100, 1001 + EXPIRY, m);
    expect(m.max).toBe(100);
    expect(entries(stored(m))).toBe("2:100@" + (1001 + EXPIRY).toString());
  });

  test("a trailing partial entry is ignored, and an empty value is no entries", () => {
    const m = new MaxMerge();
    merge(null, 1, 5, 1000, m);
    const odd = new ArrayBuffer(ENTRY_BYTES + 7);
    memory.copy(changetype<usize>(odd), changetype<usize>(m.buffer), <usize>ENTRY_BYTES);
    merge(odd, 2, 3, 1000, m);
    expect(entries(stored(m))).toBe("1:5@1000 2:3@1000");
    merge(new ArrayBuffer(0), 2, 0, 1000, m);
    expect(m.max).toBe(0);
    expect(m.length).toBe(0);
  });
});

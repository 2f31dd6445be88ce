// lag/shared-max.ts: each worker's max of a lag series, merged in shared data.
import { ENTRY_BYTES, MaxMerge, mergeMax } from "../../../assembly/lag/shared-max";

const EXPIRY: i64 = 60000;

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
    const merge = new MaxMerge();
    mergeMax(null, 1, 700, 1000, EXPIRY, merge);
    expect(merge.max).toBe(700);
    mergeMax(merge.value, 2, 300, 2000, EXPIRY, merge);
    expect(merge.max).toBe(700);
    expect(entries(merge.value)).toBe("1:700@1000 2:300@2000");
    // Worker 1's consumer catches up: worker 2's lag is now the largest.
    mergeMax(merge.value, 1, 50, 3000, EXPIRY, merge);
    expect(merge.max).toBe(300);
    expect(entries(merge.value)).toBe("2:300@2000 1:50@3000");
  });

  test("a worker whose max falls to 0 leaves, and the others' stay", () => {
    const merge = new MaxMerge();
    mergeMax(null, 1, 700, 1000, EXPIRY, merge);
    mergeMax(merge.value, 2, 300, 1000, EXPIRY, merge);
    mergeMax(merge.value, 1, 0, 2000, EXPIRY, merge);
    expect(merge.max).toBe(300);
    expect(entries(merge.value)).toBe("2:300@1000");
    mergeMax(merge.value, 2, 0, 2000, EXPIRY, merge);
    expect(merge.max).toBe(0);
    expect(merge.value.byteLength).toBe(0);
  });

  test("an entry not written for expiry_ms (its VM failed) is dropped by the next writer; one written at the edge stays", () => {
    const merge = new MaxMerge();
    mergeMax(null, 1, 900, 1000, EXPIRY, merge);
    mergeMax(merge.value, 2, 100, 1000 + EXPIRY, EXPIRY, merge);
    expect(merge.max).toBe(900);
    mergeMax(merge.value, 2, 100, 1001 + EXPIRY, EXPIRY, merge);
    expect(merge.max).toBe(100);
    expect(entries(merge.value)).toBe("2:100@" + (1001 + EXPIRY).toString());
  });

  test("a trailing partial entry is ignored, and an empty value is no entries", () => {
    const merge = new MaxMerge();
    mergeMax(null, 1, 5, 1000, EXPIRY, merge);
    const odd = new ArrayBuffer(ENTRY_BYTES + 7);
    memory.copy(changetype<usize>(odd), changetype<usize>(merge.value), <usize>ENTRY_BYTES);
    mergeMax(odd, 2, 3, 1000, EXPIRY, merge);
    expect(entries(merge.value)).toBe("1:5@1000 2:3@1000");
    mergeMax(new ArrayBuffer(0), 2, 0, 1000, EXPIRY, merge);
    expect(merge.max).toBe(0);
    expect(merge.value.byteLength).toBe(0);
  });
});

// The statistics of the proxy benchmark's latency mode (tools/bench/lib/latency-stats.mjs):
// nearest-rank quantiles, the probe's samples file, and the added latency between two
// variants measured in alternating blocks. The benchmark itself is not a test.
import assert from "node:assert/strict";
import test from "node:test";
import { addedLatency, parseSamples, quantile, summarize } from "../../tools/bench/lib/latency-stats.mjs";

const range = (n, f = (i) => i + 1) => Array.from({ length: n }, (_, i) => f(i));

test("nearest-rank quantiles: p99 of 1..10000 is 9900, p50 of 1..4 is 2, p100 is the maximum", () => {
  assert.equal(quantile(Float64Array.from(range(10000)), 0.99), 9900);
  assert.equal(quantile(Float64Array.from(range(10000)), 0.5), 5000);
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2);
  assert.equal(quantile([1, 2, 3, 4], 0.51), 3);
  assert.equal(quantile([7], 0.99), 7);
  assert.equal(quantile([1, 2, 3], 1), 3);
  assert.throws(() => quantile([], 0.5), /no samples/);
  assert.throws(() => quantile([1], 0), /not in \(0, 1\]/);
  assert.throws(() => quantile([1], 1.5), /not in \(0, 1\]/);
});

test("summarize sorts numerically (not as text) and reports the usual quantiles", () => {
  const values = range(1000).reverse().map((v) => v * 10); // 10000 .. 10, and 9 < 10 as text would break it
  const s = summarize([...values, 9]);
  assert.equal(s.n, 1001);
  assert.equal(s.min, 9);
  assert.equal(s.max, 10000);
  assert.equal(s.p50, 5000);
  assert.equal(s.p90, 9000);
  assert.equal(s.p99, 9900); // rank ceil(0.99 · 1001) = 991: 9, then 10 … 9900
  assert.equal(s.p999, 9990);
  assert.ok(Math.abs(s.mean - (5005 * 1000 + 9) / 1001) < 1e-9);
});

test("parseSamples groups by API and target in file order, ns to µs, and names a bad line", () => {
  const parsed = parseSamples("produce,a,0,150000,0\nproduce,b,0,160500,2000000\nfetch,a,1,90000,5500000\nproduce,a,1,151000,1000000\n");
  assert.deepEqual([...parsed.keys()], ["produce", "fetch"]);
  assert.deepEqual(parsed.get("produce").get("a"), { micros: [150, 151], blocks: [0, 1], at: [0, 1] });
  assert.deepEqual(parsed.get("produce").get("b"), { micros: [160.5], blocks: [0], at: [2] });
  assert.deepEqual(parsed.get("fetch").get("a"), { micros: [90], blocks: [1], at: [5.5] });
  assert.throws(() => parseSamples("produce,a,0,150000,0\nproduce,a,x,1,0\n"), /line 2 /);
  assert.throws(() => parseSamples("produce,a,0,-5,0\n"), /line 1 /);
  assert.throws(() => parseSamples("produce,a,0,5,-1\n"), /line 1 /);
  assert.throws(() => parseSamples("produce,a,0,5\n"), /line 1 /);
});

test("addedLatency: a constant shift is found at p50 and p99 and in every part of the run", () => {
  const blocks = range(1000, (i) => Math.floor(i / 100)); // 10 blocks of 100
  const micros = range(1000, (i) => 200 + ((i * 37) % 100)); // 200..299 in each block
  const base = { micros, blocks };
  const other = { micros: micros.map((v) => v + 25), blocks };
  const added = addedLatency(base, other);
  assert.equal(added.p50, 25);
  assert.equal(added.p99, 25);
  assert.deepEqual(added.p50Range, [25, 25]);
  assert.deepEqual(added.p99Range, [25, 25]);
  assert.equal(added.chunks, 5);
});

test("addedLatency: a tail only in one part of the run shows in p99 and in that part's range, barely at p50", () => {
  const blocks = range(1000, (i) => Math.floor(i / 100));
  const micros = range(1000, (i) => 100 + (i % 100));
  // The other variant's block 9 (the last part) has 20 slow requests: 2% of all samples.
  const slow = micros.map((v, i) => (blocks[i] === 9 && i % 100 < 20 ? v + 5000 : v));
  const added = addedLatency({ micros, blocks }, { micros: slow, blocks });
  // The slow requests were among the fastest: 2% of the samples moved from the bottom
  // to the top shifts the median by two ranks, 2 µs here.
  assert.equal(added.p50, 2);
  assert.ok(added.p99 > 4000, `p99 ${added.p99}`);
  assert.equal(added.p50Range[0], 0);
  assert.equal(added.p99Range[0], 0); // the quiet parts add nothing
  assert.ok(added.p99Range[1] > 4000); // the part with the tail does
});

test("addedLatency refuses series measured in different blocks, and copes with fewer blocks than parts", () => {
  assert.throws(() => addedLatency({ micros: [1, 2], blocks: [0, 1] }, { micros: [1, 2], blocks: [0, 2] }), /same blocks/);
  const added = addedLatency({ micros: [10, 20], blocks: [0, 1] }, { micros: [15, 30], blocks: [0, 1] });
  assert.equal(added.chunks, 2);
  assert.deepEqual(added.p50Range, [5, 10]);
});

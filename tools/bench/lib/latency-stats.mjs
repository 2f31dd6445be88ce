// Statistics of the latency mode of tools/bench/proxy-bench.mjs: the samples file
// tools/bench/java/LatencyProbe.java writes, quantiles, and the latency one variant adds
// over another.

/**
 * The `q` quantile (0 < q <= 1) of `sorted` (ascending numbers) by the nearest-rank
 * method: the smallest sample with at least q·n samples at or below it, so p99 of 10,000
 * samples is the 9,900th smallest. Throws on an empty array or a q outside (0, 1].
 */
export function quantile(sorted, q) {
  if (sorted.length === 0) throw new Error("quantile of no samples");
  if (!(q > 0 && q <= 1)) throw new Error(`quantile ${q} is not in (0, 1]`);
  // The small epsilon keeps q·n = 9900 from becoming 9900.000000000002 and the rank 9901.
  const rank = Math.max(1, Math.ceil(q * sorted.length - 1e-9));
  return sorted[rank - 1];
}

const ascending = (values) => Float64Array.from(values).sort();

/** { n, min, p50, p90, p99, p999, max, mean } of `values` (any unit; the result keeps it). */
export function summarize(values) {
  const sorted = ascending(values);
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    n: sorted.length, min: sorted[0], max: sorted[sorted.length - 1], mean: sum / sorted.length,
    p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p99: quantile(sorted, 0.99), p999: quantile(sorted, 0.999),
  };
}

/**
 * Parses the probe's "api,target,block,nanos,at" lines (`at`: ns from the probe's start
 * to the request's) into Map(api → Map(target → { micros: number[], blocks: number[],
 * at: number[] })), samples in file order, durations in µs and `at` in ms. Throws naming
 * the line on anything else.
 */
export function parseSamples(text) {
  const byApi = new Map();
  let lineNumber = 0;
  for (const line of text.split("\n")) {
    lineNumber += 1;
    if (line === "") continue;
    const fields = line.split(",");
    const block = Number(fields[2]);
    const nanos = Number(fields[3]);
    const at = Number(fields[4]);
    if (fields.length !== 5 || !fields[0] || !fields[1] || !Number.isInteger(block) || block < 0 || !Number.isInteger(nanos) || nanos <= 0 ||
        !Number.isInteger(at) || at < 0) {
      throw new Error(`samples line ${lineNumber} is not "api,target,block,nanos,at": ${JSON.stringify(line)}`);
    }
    if (!byApi.has(fields[0])) byApi.set(fields[0], new Map());
    const byTarget = byApi.get(fields[0]);
    if (!byTarget.has(fields[1])) byTarget.set(fields[1], { micros: [], blocks: [], at: [] });
    const series = byTarget.get(fields[1]);
    series.micros.push(nanos / 1000);
    series.blocks.push(block);
    series.at.push(at / 1e6);
  }
  return byApi;
}

/**
 * The latency `other` adds over `base` (both { micros, blocks } from parseSamples, taken
 * in alternating blocks): { p50, p99 } = other's quantile minus base's, over all samples,
 * and { p50Range, p99Range } = [min, max] of the same differences computed within each of
 * `chunks` consecutive runs of blocks (both series cut at the same block numbers), which
 * shows how much the figure moves with the machine's noise over the run. Units are the
 * samples' (µs). Throws when the two series do not cover the same blocks.
 */
export function addedLatency(base, other, { chunks = 5 } = {}) {
  const lastBlock = Math.max(...base.blocks, ...other.blocks);
  const baseBlocks = new Set(base.blocks);
  const otherBlocks = new Set(other.blocks);
  if (baseBlocks.size !== otherBlocks.size || [...baseBlocks].some((b) => !otherBlocks.has(b))) {
    throw new Error("the two series were not measured in the same blocks");
  }
  const all = { base: ascending(base.micros), other: ascending(other.micros) };
  const p50 = quantile(all.other, 0.5) - quantile(all.base, 0.5);
  const p99 = quantile(all.other, 0.99) - quantile(all.base, 0.99);
  const parts = Math.max(1, Math.min(chunks, lastBlock + 1));
  const chunkOf = (block) => Math.min(parts - 1, Math.floor((block * parts) / (lastBlock + 1)));
  const split = (series) => {
    const out = Array.from({ length: parts }, () => []);
    series.blocks.forEach((block, i) => out[chunkOf(block)].push(series.micros[i]));
    return out.map(ascending);
  };
  const baseChunks = split(base);
  const otherChunks = split(other);
  const p50s = [];
  const p99s = [];
  for (let i = 0; i < parts; i++) {
    p50s.push(quantile(otherChunks[i], 0.5) - quantile(baseChunks[i], 0.5));
    p99s.push(quantile(otherChunks[i], 0.99) - quantile(baseChunks[i], 0.99));
  }
  return { p50, p99, p50Range: [Math.min(...p50s), Math.max(...p50s)], p99Range: [Math.min(...p99s), Math.max(...p99s)], chunks: parts };
}

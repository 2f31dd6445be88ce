#!/usr/bin/env node
// Codec throughput benchmark (not a test). Builds build/codec-bench.wasm from
// assembly/codec/bench.ts when it is missing or older than the codec sources, then
// measures decode and encode of representative bodies. The loops run inside Wasm
// (benchDecode/benchEncode), so JS call overhead is not what is measured.
//
//   npm run bench:codec [-- --seconds 1]

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchOptions } from "./lib/cli.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const wasmPath = path.join(root, "build/codec-bench.wasm");
const gluePath = path.join(root, "build/codec-bench.js");
const targetSeconds = Number(benchOptions(import.meta.url, { seconds: { type: "string", default: "1" } }, { numbers: { seconds: "positive" } }).seconds);

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

if (!fs.existsSync(wasmPath) || fs.statSync(wasmPath).mtimeMs < newestSource(path.join(root, "assembly/codec"))) {
  console.error("bench: building build/codec-bench.wasm (optimised; takes a minute or two)...");
  execFileSync("npx", ["asc", "assembly/codec/bench.ts", "--config", "assembly/codec/asconfig.json", "--target", "bench"],
    { cwd: root, stdio: "inherit" });
}

const { instantiate } = await import(gluePath);
const codec = await instantiate(await WebAssembly.compile(fs.readFileSync(wasmPath)), {});

const PRODUCE = 0, FETCH = 1, METADATA = 3, API_VERSIONS = 18;
const cases = [
  { name: "Produce request v11, 100 records", key: PRODUCE, version: 11, response: false, body: codec.sampleProduceRequest(11, 100) },
  { name: "Fetch response v16, 10 partitions x 20 records", key: FETCH, version: 16, response: true, body: codec.sampleFetchResponse(16, 10, 20) },
  { name: "Metadata response v12, 100 topics", key: METADATA, version: 12, response: true, body: codec.sampleMetadataResponse(12, 100) },
  { name: "ApiVersions response v4", key: API_VERSIONS, version: 4, response: true, body: codec.sampleApiVersionsResponse(4) },
];

/** Runs fn(iterations) with growing batches until targetSeconds elapsed; returns ops/s. */
function measure(fn) {
  fn(50); // warm up (JIT tiers, allocator)
  let iterations = 0;
  let elapsed = 0;
  let batch = 100;
  const start = process.hrtime.bigint();
  while (elapsed < targetSeconds) {
    fn(batch);
    iterations += batch;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    if (elapsed < targetSeconds / 10) batch *= 2;
  }
  return iterations / elapsed;
}

const rows = [];
for (const c of cases) {
  const check = codec.roundTrip(c.key, c.version, c.response, c.body);
  if (check.byteLength !== c.body.byteLength) throw new Error(`${c.name}: round trip failed: ${codec.lastError()}`);
  const decodeRate = measure((n) => {
    if (codec.benchDecode(c.key, c.version, c.response, c.body, n) !== n) throw new Error(codec.lastError());
  });
  const encodeRate = measure((n) => {
    if (codec.benchEncode(c.key, c.version, c.response, c.body, n) !== c.body.byteLength) throw new Error(codec.lastError());
  });
  const mb = c.body.byteLength / 1e6;
  rows.push({
    message: c.name,
    bytes: c.body.byteLength,
    "decode msg/s": Math.round(decodeRate).toLocaleString("en-US"),
    "decode MB/s": (decodeRate * mb).toFixed(1),
    "encode msg/s": Math.round(encodeRate).toLocaleString("en-US"),
    "encode MB/s": (encodeRate * mb).toFixed(1),
  });
}
console.log(`codec benchmark (node ${process.version}, ${targetSeconds}s per measurement; encode includes the record copy)`);
console.table(rows);

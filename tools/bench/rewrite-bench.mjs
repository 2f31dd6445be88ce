#!/usr/bin/env node
// Broker address rewriting cost (not a test): Fetch v16 responses carrying node
// endpoints, and Metadata v12 responses, through the real filter module in the
// in-process proxy-wasm host (tests/fuzz/host.mjs), with and without broker_addresses.
// Prints microseconds per response spent inside the filter's response callbacks
// (proxy_on_upstream_data: the filter's Wasm code plus the buffer copies and edits it
// asks of the host, which this host does in JS where Envoy does memcpy), and the ratio
// to the same traffic without rewriting.
//
//   node tools/bench/rewrite-bench.mjs [--seconds 1]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ProxyWasmHost } from "../../tests/fuzz/host.mjs";
import { Encoder, fetchRequestByTopicId, metadataRequest, recordBatch } from "../../tests/integration/support/kafka-wire.mjs";
import { buildFilter } from "../../scripts/lib/build.mjs";
import { benchOptions } from "./lib/cli.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const targetSeconds = Number(benchOptions(import.meta.url, { seconds: { type: "string", default: "1" } }, { numbers: { seconds: "positive" } }).seconds);
buildFilter();
const module = new WebAssembly.Module(fs.readFileSync(path.join(root, "build/kafka_filter.wasm")));
const TOPIC_ID = Buffer.alloc(16, 7);
const framed = (body) => Buffer.concat([new Encoder().int32(body.length).build(), body]);

function fetchResponse(correlationId, partitions, batchBytes, endpoints) {
  const batch = recordBatch(Array.from({ length: Math.max(1, Math.floor(batchBytes / 100)) }, (_, i) => `v${i}`.padEnd(90, "x")));
  const e = new Encoder().int32(correlationId).noTags().int32(0).int16(0).int32(0);
  e.compactArray([TOPIC_ID], (x, id) => {
    x.uuid(id).compactArray(Array.from({ length: partitions }, (_, p) => p), (y, p) => y.int32(p).int16(0).int64(10).int64(10).int64(0)
      .compactArray(null, () => {}).int32(-1).compactBytes(batch).noTags());
    x.noTags();
  });
  if (endpoints.length === 0) {
    e.noTags();
  } else {
    const value = new Encoder().compactArray(endpoints, (x, [id, h, p]) => x.int32(id).compactString(h).int32(p).compactString(null).noTags()).build();
    e.uvarint(1).uvarint(0).uvarint(value.length).bytes(value);
  }
  return framed(e.build());
}

function metadataResponse(correlationId, brokers, topics) {
  const e = new Encoder().int32(correlationId).noTags().int32(0);
  e.compactArray(brokers, (x, [id, h, p]) => x.int32(id).compactString(h).int32(p).compactString(null).noTags());
  e.compactString("cluster").int32(1);
  e.compactArray(Array.from({ length: topics }, (_, i) => `topic-${i}`), (x, name) => {
    x.int16(0).compactString(name).uuid(Buffer.alloc(16, 1)).bool(false);
    x.compactArray([0, 1, 2], (y, p) => y.int16(0).int32(p).int32(1).int32(0).compactArray([1, 2, 3], (z, n) => z.int32(n))
      .compactArray([1, 2, 3], (z, n) => z.int32(n)).compactArray([], () => {}).noTags());
    x.int32(-2147483648).noTags();
  });
  e.noTags();
  return framed(e.build());
}

function chunks(bytes, size) {
  if (size <= 0) return [bytes];
  const out = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** Microseconds per exchange of `request(id)` then `response(id)` in reads of `readSize`. */
function measure(config, request, response, readSize) {
  const host = new ProxyWasmHost(module, { config }).start();
  let inside = 0n;
  const callback = host.exports.proxy_on_upstream_data;
  host.exports = { ...host.exports, proxy_on_upstream_data: (...args) => {
    const t = process.hrtime.bigint();
    try { return callback(...args); } finally { inside += process.hrtime.bigint() - t; }
  } };
  let id = 2;
  host.openConnection(id);
  const responseChunks = chunks(response, readSize);
  const run = (n) => {
    for (let i = 0; i < n; i++) {
      host.downstreamData(id, request);
      for (const c of responseChunks) host.upstreamData(id, c);
      const conn = host.connections.get(id);
      if (conn.closed) throw new Error(`the filter closed the connection: ${host.describeLogs()}`);
      conn.sentDownstream.length = 0;
      conn.sentUpstream.length = 0;
    }
  };
  run(20);
  let iterations = 0;
  let elapsed = 0;
  let batch = 20;
  inside = 0n;
  const start = process.hrtime.bigint();
  while (elapsed < targetSeconds) {
    run(batch);
    iterations += batch;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    batch *= 2;
  }
  return { us: Number(inside) / 1000 / iterations, host };
}

const addresses = { nodes: { 1: "127.0.0.1:19093", 2: "127.0.0.1:19094", 3: "127.0.0.1:19095" } };
const realEndpoints = [[1, "10.20.30.41", 39092], [2, "10.20.30.42", 39092], [3, "10.20.30.43", 39092]];
const base = { stat_prefix: "bench" };
const rewriting = { stat_prefix: "bench", broker_addresses: addresses };

const rows = [];
for (const [label, partitions, batchBytes, readSize] of [
  ["Fetch v16, 16 KiB, one read", 4, 4000, 0],
  ["Fetch v16, 1 MiB, 64 KiB reads", 16, 64000, 65536],
  ["Fetch v16, 1 MiB, one read", 16, 64000, 0],
  ["Fetch v16, 8 MiB, 64 KiB reads", 32, 256000, 65536],
]) {
  const request = fetchRequestByTopicId({ correlationId: 5, topicIds: [TOPIC_ID], version: 16 });
  const withEndpoints = fetchResponse(5, partitions, batchBytes, realEndpoints);
  const without = fetchResponse(5, partitions, batchBytes, []);
  const a = measure(base, request, withEndpoints, readSize).us;
  const b = measure(rewriting, request, without, readSize).us;
  const { us: c, host } = measure(rewriting, request, withEndpoints, readSize);
  if (host.metric("kafka.bench.filter.address_rewrites") === 0) throw new Error("the tail was not rewritten");
  rows.push([`${label} (${(withEndpoints.length / 1024).toFixed(0)} KiB)`, a, b, c]);
}
{
  const request = metadataRequest({ correlationId: 5, version: 12, topics: null });
  const response = metadataResponse(5, realEndpoints, 100);
  const a = measure(base, request, response, 0).us;
  const c = measure(rewriting, request, response, 0).us;
  rows.push([`Metadata v12, 3 brokers, 100 topics (${(response.length / 1024).toFixed(0)} KiB)`, a, NaN, c]);
}
console.log("| response | without rewriting µs | rewriting, no endpoints µs | rewriting, endpoints rewritten µs | ratio |");
console.log("|---|---:|---:|---:|---:|");
for (const [label, a, b, c] of rows) {
  console.log(`| ${label} | ${a.toFixed(1)} | ${Number.isNaN(b) ? "—" : b.toFixed(1)} | ${c.toFixed(1)} | ${(c / a).toFixed(2)} |`);
}

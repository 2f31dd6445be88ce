#!/usr/bin/env node
// Where the filter's time goes per Kafka exchange (not a test): the host calls it makes
// and the time spent inside its callbacks, for Produce, Fetch and Metadata exchanges
// driven through the real filter module in the in-process proxy-wasm host
// (tests/fuzz/host.mjs). Each host call is a boundary crossing that Envoy pays for in
// V8 (argument checks, a context lookup, often a copy), so the count per frame is the
// first figure to cut (issue 13: "count the host calls per frame and per callback").
//
//   node tools/bench/host-calls.mjs [--seconds 1] [--pipeline 1] [--read-size 0]
//
// --pipeline N delivers N requests (and then N responses) per data callback, as a
// client with N requests in flight can, to tell per-frame costs from per-callback ones.
// --read-size B splits each delivery into callbacks of at most B bytes, as Envoy's
// socket reads split large frames (a loaded Envoy reads a few KiB at a time).
// Printed per scenario and configuration: host calls per exchange by import, and
// microseconds per exchange inside the filter's data callbacks (this host does in JS
// what Envoy does in C++, so read the µs as relative, not as Envoy's figures).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ProxyWasmHost } from "../../tests/fuzz/host.mjs";
import { Encoder, fetchRequestByTopicId, metadataRequest, produceRequest, recordBatch } from "../../tests/integration/support/kafka-wire.mjs";
import { buildFilter } from "../../scripts/lib/build.mjs";
import { benchOptions } from "./lib/cli.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const options = benchOptions(import.meta.url, {
  seconds: { type: "string", default: "1" }, pipeline: { type: "string", default: "1" }, "read-size": { type: "string", default: "0" },
}, { numbers: { seconds: "positive", pipeline: "positive-integer", "read-size": "non-negative-integer" }, extraHelp: "FILTER_WASM=<file> measures another build of the module (default build/kafka_filter.wasm)." });
const targetSeconds = Number(options.seconds);
const pipeline = Number(options.pipeline);
const readSize = Number(options["read-size"]);
function* reads(bytes) {
  if (readSize <= 0) { yield bytes; return; }
  for (let i = 0; i < bytes.length; i += readSize) yield bytes.subarray(i, i + readSize);
}
buildFilter();
const module = new WebAssembly.Module(fs.readFileSync(process.env.FILTER_WASM ?? path.join(root, "build/kafka_filter.wasm")));

const TOPIC = "bench-topic";
const TOPIC_ID = Buffer.alloc(16, 7);
const framed = (body) => Buffer.concat([new Encoder().int32(body.length).build(), body]);
const kib = "x".repeat(1024);

function produceResponse(correlationId) {
  const e = new Encoder().int32(correlationId).noTags();
  e.compactArray([TOPIC], (x, name) => {
    x.compactString(name).compactArray([0], (y, p) => y.int32(p).int16(0).int64(42).int64(-1).int64(0)
      .compactArray([], () => {}).compactString(null).noTags());
    x.noTags();
  });
  e.int32(0).noTags();
  return framed(e.build());
}

function fetchResponse(correlationId, records) {
  const batch = recordBatch(Array.from({ length: records }, () => kib));
  const e = new Encoder().int32(correlationId).noTags().int32(0).int16(0).int32(0);
  e.compactArray([TOPIC_ID], (x, id) => {
    x.uuid(id).compactArray([0], (y, p) => y.int32(p).int16(0).int64(10).int64(10).int64(0)
      .compactArray(null, () => {}).int32(-1).compactBytes(batch).noTags());
    x.noTags();
  });
  e.noTags();
  return framed(e.build());
}

function metadataResponse(correlationId) {
  const e = new Encoder().int32(correlationId).noTags().int32(0);
  e.compactArray([[1, "127.0.0.1", 9092]], (x, [id, h, p]) => x.int32(id).compactString(h).int32(p).compactString(null).noTags());
  e.compactString("cluster").int32(1);
  e.compactArray([TOPIC], (x, name) => {
    x.int16(0).compactString(name).uuid(TOPIC_ID).bool(false);
    x.compactArray([0], (y, p) => y.int16(0).int32(p).int32(1).int32(0).compactArray([1], (z, n) => z.int32(n))
      .compactArray([1], (z, n) => z.int32(n)).compactArray([], () => {}).noTags());
    x.int32(-2147483648).noTags();
  });
  e.noTags();
  return framed(e.build());
}

// Each scenario: request(correlationId) and response(correlationId) frames. The
// Metadata exchange comes first on every connection so Fetch's topic id has a name.
const scenarios = {
  "Produce 10×1 KiB, acks=1": {
    request: (id) => produceRequest({ correlationId: id, recordsByTopic: { [TOPIC]: Array(10).fill(kib) }, acks: 1 }),
    response: produceResponse,
  },
  "Fetch v13, 10×1 KiB": {
    request: (id) => fetchRequestByTopicId({ correlationId: id, topicIds: [TOPIC_ID], version: 13 }),
    response: (id) => fetchResponse(id, 10),
  },
  "Metadata v12, 1 topic": {
    request: (id) => metadataRequest({ correlationId: id, version: 12, topics: [TOPIC] }),
    response: metadataResponse,
  },
};

const acl = {
  default: "deny",
  principal_sources: ["source_address"],
  rules: [
    { name: "topics", effect: "allow", principal: "User:*", resource_type: "topic", pattern_type: "prefixed", resource_name: "bench", operations: ["all"] },
    { name: "cluster", effect: "allow", principal: "User:*", resource_type: "cluster", resource_name: "kafka-cluster", operations: ["describe", "idempotent_write"] },
  ],
};
const configurations = {
  "metrics only": { stat_prefix: "bench" },
  "ACLs enforcing": { stat_prefix: "bench", acl },
  "broker_addresses": { stat_prefix: "bench", broker_addresses: { nodes: { 1: "127.0.0.1:19093" } } },
};

const IMPORTS = ["proxy_get_buffer_bytes", "proxy_set_buffer_bytes", "proxy_get_buffer_status", "proxy_increment_metric",
  "proxy_record_metric", "proxy_get_metric", "proxy_get_current_time_nanoseconds", "proxy_get_property", "proxy_log",
  "proxy_get_log_level", "proxy_get_shared_data", "proxy_set_shared_data", "proxy_define_metric", "proxy_close_stream"];

function measure(config, scenario) {
  const host = new ProxyWasmHost(module, { config });
  const counts = Object.fromEntries(IMPORTS.map((name) => [name, 0]));
  let counting = false;
  for (const name of IMPORTS) {
    const original = ProxyWasmHost.prototype[name];
    if (!original) continue;
    host[name] = function counted(...args) {
      if (counting) counts[name]++;
      return original.apply(host, args);
    };
  }
  host.start();
  let inside = 0n;
  const timed = (name) => {
    const callback = host.exports[name];
    return (...args) => {
      const t = process.hrtime.bigint();
      try { return callback(...args); } finally { inside += process.hrtime.bigint() - t; }
    };
  };
  host.exports = { ...host.exports, proxy_on_downstream_data: timed("proxy_on_downstream_data"), proxy_on_upstream_data: timed("proxy_on_upstream_data") };
  const connection = 2;
  host.openConnection(connection);
  host.downstreamData(connection, metadataRequest({ correlationId: 1, version: 12, topics: [TOPIC] }));
  host.upstreamData(connection, metadataResponse(1));
  let correlationId = 2;
  let callbacks = 0;
  // Frames are built once; correlation ids advance by rewriting bytes 8..11 of each copy.
  const requestTemplate = scenario.request(0);
  const responseTemplate = scenario.response(0);
  const requests = Buffer.alloc(requestTemplate.length * pipeline);
  const responses = Buffer.alloc(responseTemplate.length * pipeline);
  for (let i = 0; i < pipeline; i++) {
    requestTemplate.copy(requests, i * requestTemplate.length);
    responseTemplate.copy(responses, i * responseTemplate.length);
  }
  const run = (rounds) => {
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < pipeline; i++) {
        requests.writeInt32BE(correlationId, i * requestTemplate.length + 8);
        responses.writeInt32BE(correlationId, i * responseTemplate.length + 4);
        correlationId++;
      }
      for (const read of reads(requests)) { host.downstreamData(connection, read); callbacks++; }
      for (const read of reads(responses)) { host.upstreamData(connection, read); callbacks++; }
      const conn = host.connections.get(connection);
      if (conn.closed) throw new Error(`the filter closed the connection: ${host.describeLogs()}`);
      if (conn.stopIterations > 0 && readSize <= 0) throw new Error("the filter held a whole exchange; the driver expects it to forward");
      conn.sentDownstream.length = 0;
      conn.sentUpstream.length = 0;
    }
  };
  run(50);
  const matched = host.metric("kafka.bench.filter.unmatched_responses");
  if (matched !== 0) throw new Error(`${matched} responses did not match a request`);
  counting = true;
  callbacks = 0;
  run(100);
  counting = false;
  const callbacksPerExchange = callbacks / (100 * pipeline);
  const perExchange = Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0).map(([name, n]) => [name, n / (100 * pipeline)]));
  inside = 0n;
  let rounds = 0;
  let batch = 50;
  const start = process.hrtime.bigint();
  while (Number(process.hrtime.bigint() - start) / 1e9 < targetSeconds) {
    run(batch);
    rounds += batch;
    batch *= 2;
  }
  return { perExchange, callbacksPerExchange, us: Number(inside) / 1000 / (rounds * pipeline) };
}

console.log(`Pipeline: ${pipeline} request(s) per delivery, ${pipeline} response(s) per delivery; ` +
  (readSize > 0 ? `deliveries split into reads of ${readSize} bytes.\n` : "one callback per delivery.\n"));
console.log("| exchange | configuration | callbacks | µs in callbacks | host calls | by import |");
console.log("|---|---|---:|---:|---:|---|");
for (const [scenarioName, scenario] of Object.entries(scenarios)) {
  for (const [configName, config] of Object.entries(configurations)) {
    const { perExchange, callbacksPerExchange, us } = measure(config, scenario);
    const total = Object.values(perExchange).reduce((a, b) => a + b, 0);
    const by = Object.entries(perExchange).map(([name, n]) => `${name.replace("proxy_", "")} ${+n.toFixed(2)}`).join(", ");
    console.log(`| ${scenarioName} | ${configName} | ${+callbacksPerExchange.toFixed(2)} | ${us.toFixed(2)} | ${+total.toFixed(2)} | ${by} |`);
  }
}

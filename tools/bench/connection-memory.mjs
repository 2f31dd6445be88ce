#!/usr/bin/env node
// Wasm memory per open connection (not a test): opens connections in the real filter
// module, in the in-process proxy-wasm host (tests/fuzz/host.mjs), each carrying an
// ApiVersions, a Metadata and a Produce exchange, and reports the growth of the VM's
// linear memory per connection. Linear memory grows in 64 KiB pages and never
// shrinks, so the figure is the growth over many connections divided by their number.
//
//   node tools/bench/connection-memory.mjs [--connections 1000]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ProxyWasmHost } from "../../tests/fuzz/host.mjs";
import { Encoder, apiVersionsRequest, metadataRequest, produceRequest } from "../../tests/integration/support/kafka-wire.mjs";
import { buildFilter } from "../../scripts/lib/build.mjs";
import { benchOptions } from "./lib/cli.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const options = benchOptions(import.meta.url, { connections: { type: "string", default: "1000" } }, { numbers: { connections: "positive-integer" } });
const connections = Number(options.connections);
buildFilter();
const module = new WebAssembly.Module(fs.readFileSync(path.join(root, "build/kafka_filter.wasm")));
const framed = (body) => Buffer.concat([new Encoder().int32(body.length).build(), body]);

function produceResponse(correlationId) {
  const e = new Encoder().int32(correlationId).noTags();
  e.compactArray(["bench-topic"], (x, name) => {
    x.compactString(name).compactArray([0], (y, p) => y.int32(p).int16(0).int64(42).int64(-1).int64(0)
      .compactArray([], () => {}).compactString(null).noTags());
    x.noTags();
  });
  e.int32(0).noTags();
  return framed(e.build());
}

const acl = {
  default: "deny",
  principal_sources: ["source_address"],
  rules: [{ name: "topics", effect: "allow", principal: "User:*", resource_type: "topic", pattern_type: "prefixed", resource_name: "bench", operations: ["all"] }],
};

function measure(config, count) {
  const host = new ProxyWasmHost(module, { config }).start();
  const traffic = (id) => {
    host.openConnection(id);
    host.downstreamData(id, apiVersionsRequest({ correlationId: 1, version: 3 }));
    host.downstreamData(id, metadataRequest({ correlationId: 2, version: 12, topics: ["bench-topic"] }));
    host.downstreamData(id, produceRequest({ correlationId: 3, recordsByTopic: { "bench-topic": ["x".repeat(1024)] }, acks: 1 }));
    host.upstreamData(id, produceResponse(3));
  };
  // Warm up: the first connections define the stats and grow the heap to its working size.
  for (let id = 2; id < 12; id++) traffic(id);
  const before = host.memoryBytes;
  for (let id = 12; id < 12 + count; id++) traffic(id);
  const after = host.memoryBytes;
  for (let id = 2; id < 12 + count; id++) host.closeConnection(id);
  return { perConnection: (after - before) / count, total: after };
}

console.log(`${connections} open connections, each after ApiVersions, Metadata and one Produce exchange:\n`);
console.log("| configuration | Wasm memory per open connection | linear memory in total |");
console.log("|---|---:|---:|");
for (const [name, config] of Object.entries({ "metrics only": { stat_prefix: "bench" }, "ACLs enforcing": { stat_prefix: "bench", acl } })) {
  const { perConnection, total } = measure(config, connections);
  console.log(`| ${name} | ${(perConnection / 1024).toFixed(1)} KiB | ${(total / 1048576).toFixed(1)} MiB |`);
}

#!/usr/bin/env node
// How much module memory and time each open connection costs, and whether enough
// concurrent connections on one VM (one Envoy worker) make the module trap.
//
//   node tests/fuzz/stress-connections.mjs [--connections N] [--config '{"stat_prefix":"fuzz"}'] [--until-trap]
//
// Opens N connections (no data) on one instance, reporting memory as it grows, then
// closes them. --until-trap keeps opening until the module traps (linear memory is
// at most 4 GiB for wasm32) and reports how many connections that took.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ProxyWasmHost, FilterTrap } from "./host.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const args = process.argv.slice(2);
const arg = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const connections = Number(arg("--connections", "2000"));
const config = arg("--config", '{"stat_prefix":"fuzz"}');
const untilTrap = args.includes("--until-trap");
const file = arg("--module", path.join(root, "build/kafka_filter.wasm"));

const host = new ProxyWasmHost(new WebAssembly.Module(fs.readFileSync(file)), { config }).start();
const startBytes = host.memoryBytes;
const started = process.hrtime.bigint();
let open = 0;
try {
  for (let id = 2; untilTrap || open < connections; id++) {
    host.openConnection(id);
    open++;
    if (open % 5000 === 0) {
      console.log(`stress: ${open} open, memory ${(host.memoryBytes / 1048576).toFixed(0)} MiB, ` +
        `${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`);
    }
  }
} catch (error) {
  if (!(error instanceof FilterTrap)) throw error;
  console.log(`stress: TRAP after ${open} open connections, memory ${(host.memoryBytes / 1048576).toFixed(0)} MiB: ` +
    `${error.message}${error.criticalLogs.length ? ` (critical log: ${error.criticalLogs.join(" | ")})` : " (no log)"}`);
  console.log(error.cause?.stack ?? "");
  process.exit(1);
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const grown = host.memoryBytes - startBytes;
console.log(`stress: ${open} concurrent connections with config ${config}: memory ${(startBytes / 1024).toFixed(0)} KiB -> ` +
  `${(host.memoryBytes / 1024).toFixed(0)} KiB (~${(grown / open / 1024).toFixed(1)} KiB per connection), ` +
  `${((seconds / open) * 1e6).toFixed(1)} µs per proxy_on_context_create + proxy_on_new_connection`);
for (let id = 2; id < 2 + open; id++) host.closeConnection(id);

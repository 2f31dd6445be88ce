#!/usr/bin/env node
// Envoy's memory and CPU per connection, tcp_proxy only against the Kafka filter (not a
// test): one broker, two Envoys (--concurrency 2, as a small production Envoy runs).
// Against each Envoy in turn: opens --idle connections that each exchange one
// ApiVersions (so the filter holds its per-connection state) and then stay open, then
// drives --busy connections that each send Metadata requests for one topic, one in
// flight, for --seconds. Reported per Envoy: resident memory (VmRSS) per idle
// connection, the filter's Wasm linear memory per idle connection (its
// wasm_memory_bytes gauge), and Envoy CPU (utime+stime) per busy request and the
// request rate. Both Envoys run the same load, one after the other.
//
//   node tools/bench/connections-bench.mjs [--idle 1000] [--busy 100] [--seconds 20]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startKafka } from "../../scripts/lib/kafka.mjs";
import { readStats, renderEnvoyConfig, startEnvoy } from "../../scripts/lib/envoy.mjs";
import { buildFilter, FILTER_WASM } from "../../scripts/lib/build.mjs";
import { freePort, sleep } from "../../scripts/lib/processes.mjs";
import { RawConnection, apiVersionsRequest, metadataRequest } from "../../tests/integration/support/kafka-wire.mjs";
import { benchOptions } from "./lib/cli.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const options = benchOptions(import.meta.url, {
  idle: { type: "string", default: "1000" }, busy: { type: "string", default: "100" }, seconds: { type: "string", default: "20" },
}, { numbers: { idle: "non-negative-integer", busy: "positive-integer", seconds: "positive" } });
const idleCount = Number(options.idle);
const busyCount = Number(options.busy);
const seconds = Number(options.seconds);
const CLK_TCK = 100;
const runDir = path.join(root, ".run", `bench-connections-${process.pid}`);
fs.mkdirSync(runDir, { recursive: true });

function rssKiB(pid) {
  return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
}
function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

async function measure(name, envoy, bootstrap) {
  const pid = envoy.child.pid;
  const wasmMemory = async () => (await readStats(envoy.admin, "wasm_memory_bytes")).get("wasmcustom.kafka.broker1.filter.wasm_memory_bytes") ?? 0;
  await sleep(1000);
  const rssBefore = rssKiB(pid);
  const wasmBefore = await wasmMemory();
  const idle = [];
  for (let i = 0; i < idleCount; i++) {
    const connection = await RawConnection.open(bootstrap);
    await connection.write(apiVersionsRequest({ correlationId: 1, version: 3 }));
    try {
      await connection.response({ flexibleHeader: false });
    } catch (error) {
      throw new Error(`${name}: idle connection ${i} got no ApiVersions answer (${error.message}); see ${envoy.logFile}`);
    }
    idle.push(connection);
  }
  await sleep(2000);
  const rssIdle = rssKiB(pid);
  const wasmIdle = await wasmMemory();

  const busy = await Promise.all(Array.from({ length: busyCount }, () => RawConnection.open(bootstrap)));
  let requests = 0;
  let stop = false;
  const cpuBefore = cpuSeconds(pid);
  const started = Date.now();
  await Promise.all(busy.map(async (connection, i) => {
    let correlationId = 1;
    while (!stop) {
      await connection.write(metadataRequest({ correlationId, version: 12, topics: ["bench-connections"] }));
      let answered;
      try {
        ({ correlationId: answered } = await connection.response({ flexibleHeader: true }));
      } catch (error) {
        throw new Error(`${name}: busy connection ${i}, request ${correlationId}: ${error.message}; see ${envoy.logFile}`);
      }
      if (answered !== correlationId) throw new Error(`connection ${i}: answer ${answered} to request ${correlationId}`);
      correlationId++;
      requests++;
      if (Date.now() - started > seconds * 1000) stop = true;
    }
  }));
  const elapsed = (Date.now() - started) / 1000;
  const cpu = cpuSeconds(pid) - cpuBefore;
  const rssBusy = rssKiB(pid);
  for (const c of [...idle, ...busy]) c.close();
  return {
    name, rssPerIdle: (rssIdle - rssBefore) / idleCount, wasmPerIdle: (wasmIdle - wasmBefore) / 1024 / idleCount,
    rssBusy, cpuPerRequestUs: cpu / requests * 1e6, rate: requests / elapsed, cpuShare: cpu / elapsed,
  };
}

buildFilter();
const ports = { client: await freePort(), direct: await freePort(), controller: await freePort() };
const listeners = { a: await freePort(), b: await freePort() };
const started = [];
try {
  const kafka = await startKafka({ runDir, ports, advertisedPort: listeners.b });
  started.push(kafka);
  const envoys = {};
  for (const key of ["a", "b"]) {
    const config = renderEnvoyConfig({ listenerPort: listeners[key], adminPort: await freePort(), brokerPort: ports.client, wasmFile: FILTER_WASM });
    const chain = config.static_resources.listeners.find((l) => l.name === "kafka").filter_chains[0];
    if (key === "a") chain.filters = chain.filters.filter((f) => f.name !== "envoy.filters.network.wasm");
    envoys[key] = await startEnvoy({ runDir, config, concurrency: 2, name: `envoy-${key}` });
    started.push(envoys[key]);
  }
  const rows = [];
  for (const key of ["a", "b"]) rows.push(await measure(key === "a" ? "(a) tcp_proxy only" : "(b) Kafka filter, metrics only", envoys[key], `127.0.0.1:${listeners[key]}`));
  console.log(`${idleCount} idle connections (after one ApiVersions each), then ${busyCount} busy ones sending Metadata (one topic, one in flight) for ${seconds} s; ` +
    `Envoy 1.40 --concurrency 2; load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} at the end\n`);
  console.log("| Envoy | RSS per idle connection | Wasm memory per idle connection | Envoy CPU per Metadata request | requests/s | Envoy CPU share |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.rssPerIdle.toFixed(1)} KiB | ${r.name.startsWith("(a)") ? "—" : `${r.wasmPerIdle.toFixed(1)} KiB`} | ${r.cpuPerRequestUs.toFixed(1)} µs | ${r.rate.toFixed(0)} | ${(100 * r.cpuShare).toFixed(0)}% |`);
  }
  console.log(`| b/a | ${(rows[1].rssPerIdle / rows[0].rssPerIdle).toFixed(2)} | | ${(rows[1].cpuPerRequestUs / rows[0].cpuPerRequestUs).toFixed(2)} | | |`);
} finally {
  for (const s of started.reverse()) await s.stop().catch(() => {});
}

#!/usr/bin/env node
// Soak (not a test, not part of `npm test`; README "Failure behaviour", soak): one Kafka
// broker, the real Envoy with the filter and ACLs enforced, its listener served through
// file-based LDS (as a control plane delivers it), and for --minutes:
//  - Kafka's VerifiableProducer (acks=all, idempotent) producing --rate records/s;
//  - a consumer group with one steady member and a churning one: a new member joins
//    every --churn-s seconds and the previous one leaves (classic group protocol, so
//    every join and leave is a rebalance);
//  - connections opened and closed continuously (--connections-per-s): each sends
//    ApiVersions, a Metadata for the produced topic and a Produce to a denied topic,
//    which must be refused (TOPIC_AUTHORIZATION_FAILED) every time;
//  - an ACL reload through LDS every --acl-reload-s seconds (two policies in turn that
//    differ in one rule; both deny the probe's topic).
// Every --sample-s seconds it samples Envoy's resident memory (VmRSS), its heap
// (server.memory_allocated), the filter's Wasm memory (wasm_memory_bytes, all VMs) and
// connection counts. At the end: the slopes of those (least squares, per hour, over the
// whole run and after the first --warmup-minutes), Wasm traps (Envoy log lines of a
// failed Wasm call, VM reloads), records acknowledged against records on the broker (lost,
// duplicated), and the probe's answers. Writes .run/soak/<time>/summary.json and prints it.
//
//   node tools/soak/soak.mjs --minutes 30        (the documented run)
//   node tools/soak/soak.mjs --minutes 5         (a short one)
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { startKafka } from "../../scripts/lib/kafka.mjs";
import { readStats, renderEnvoyConfig, startEnvoy } from "../../scripts/lib/envoy.mjs";
import { buildFilter } from "../../scripts/lib/build.mjs";
import { freePort, sleep, stopProcess, waitFor } from "../../scripts/lib/processes.mjs";
import { requireJava } from "../../scripts/lib/java.mjs";
import { RawConnection, apiVersionsRequest, metadataRequest, parseProduceResponse, produceRequest } from "../../tests/integration/support/kafka-wire.mjs";
import { kcat, javaClient } from "../../tests/integration/support/clients.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const { values: options } = parseArgs({
  options: {
    minutes: { type: "string", default: "30" },
    rate: { type: "string", default: "200" },
    "churn-s": { type: "string", default: "60" },
    "acl-reload-s": { type: "string", default: "300" },
    "connections-per-s": { type: "string", default: "5" },
    "sample-s": { type: "string", default: "10" },
    "warmup-minutes": { type: "string", default: "2" },
    "drain-time-s": { type: "string", default: "60" },
  },
});
const minutes = Number(options.minutes);
const rate = Number(options.rate);
const churnMs = Number(options["churn-s"]) * 1000;
const aclReloadMs = Number(options["acl-reload-s"]) * 1000;
const connectionsPerSecond = Number(options["connections-per-s"]);
const sampleMs = Number(options["sample-s"]) * 1000;
const warmupMs = Number(options["warmup-minutes"]) * 60000;
for (const [name, value] of Object.entries({ minutes, rate, churnMs, aclReloadMs, connectionsPerSecond, sampleMs, warmupMs })) {
  if (!Number.isFinite(value) || value < 0 || (name !== "warmupMs" && value === 0)) {
    console.error(`soak: --${name.replace(/Ms$/, "")} must be a positive number`);
    process.exit(1);
  }
}

const TOPIC = "soak.records";
const DENIED = "denied.soak";
const GROUP = "soak-group";
const STAT_PREFIX = "soak";
const PRINCIPAL = "User:soak";
const runDir = path.join(root, ".run/soak", new Date().toISOString().replace(/[:.]/g, "-"));
fs.mkdirSync(runDir, { recursive: true });

/** The two policies the ACL reloads alternate between; they differ in one rule only. */
function policy(generation) {
  const rules = [
    { name: "soak-topics", effect: "allow", principal: PRINCIPAL, resource_type: "topic", pattern_type: "prefixed", resource_name: "soak.", operations: ["all"] },
    { name: "groups", effect: "allow", principal: PRINCIPAL, resource_type: "group", pattern_type: "literal", resource_name: "*", operations: ["read", "describe", "delete"] },
    { name: "cluster", effect: "allow", principal: PRINCIPAL, resource_type: "cluster", pattern_type: "literal", resource_name: "kafka-cluster", operations: ["describe", "idempotent_write"] },
  ];
  if (generation % 2 === 1) rules.push({ name: `reload-${generation}`, effect: "allow", principal: PRINCIPAL, resource_type: "topic", pattern_type: "prefixed", resource_name: "extra.", operations: ["read"] });
  return {
    stat_prefix: STAT_PREFIX,
    acl: { mode: "enforce", default: "deny", principal_sources: ["source_address"], source_address_principals: [{ cidr: "127.0.0.0/8", principal: PRINCIPAL }], rules },
  };
}

const children = [];
const cleanups = [];
async function shutdown() {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
}
process.on("SIGINT", () => { shutdown().finally(() => process.exit(130)); });

function spawnTool(className, args, logName, onEvent) {
  const lib = requireJava();
  const child = spawn("java", ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", `${lib}/*`, className, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  child.stderr.pipe(fs.createWriteStream(path.join(runDir, logName)));
  readline.createInterface({ input: child.stdout }).on("line", (line) => {
    let event;
    try { event = JSON.parse(line); } catch { return; }
    onEvent?.(event);
  });
  child.closed = new Promise((resolve) => child.once("close", resolve));
  return child;
}

/** Least-squares slope of `points` ([t ms, value]) in value units per hour. */
function slopePerHour(points) {
  if (points.length < 2) return null;
  const n = points.length;
  const mt = points.reduce((s, [t]) => s + t, 0) / n;
  const mv = points.reduce((s, [, v]) => s + v, 0) / n;
  let num = 0;
  let den = 0;
  for (const [t, v] of points) { num += (t - mt) * (v - mv); den += (t - mt) ** 2; }
  return den === 0 ? 0 : (num / den) * 3600000;
}

const rssBytes = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))[1]) * 1024;

async function main() {
  const wasmFile = buildFilter();
  const listenerPort = await freePort();
  const adminPort = await freePort();
  const ports = { client: await freePort(), direct: await freePort(), controller: await freePort() };
  const bootstrap = `127.0.0.1:${listenerPort}`;
  console.log(`soak: ${minutes} min, ${rate} records/s, churn every ${churnMs / 1000} s, ACL reload every ${aclReloadMs / 1000} s, ${connectionsPerSecond} connections/s; logs in ${runDir}`);

  const kafka = await startKafka({ runDir, ports, advertisedPort: listenerPort, extraProperties: { "auto.create.topics.enable": "false" } });
  cleanups.push(() => kafka.stop());
  const created = await javaClient("create-topics", { bootstrap: kafka.directBootstrap, topics: [TOPIC, DENIED], partitions: 3 });
  for (const topic of [TOPIC, DENIED]) if (!created.results[topic]?.ok) throw new Error(`creating ${topic} failed: ${JSON.stringify(created.results[topic])}`);

  // The listener comes through file-based LDS, so the ACLs can be reloaded as a control plane would.
  const config = renderEnvoyConfig({ listenerPort, adminPort, brokerPort: ports.client, wasmFile, pluginConfig: policy(0) });
  const [listener] = config.static_resources.listeners.splice(0, 1);
  const listenerFile = path.join(runDir, "lds.json");
  const publish = (generation) => {
    const wasm = listener.filter_chains[0].filters.find((f) => f.name === "envoy.filters.network.wasm");
    wasm.typed_config.config.configuration.value = JSON.stringify(policy(generation));
    fs.writeFileSync(`${listenerFile}.tmp`, JSON.stringify({ resources: [{ "@type": "type.googleapis.com/envoy.config.listener.v3.Listener", ...listener }] }));
    fs.renameSync(`${listenerFile}.tmp`, listenerFile);
  };
  publish(0);
  config.dynamic_resources = { lds_config: { path_config_source: { path: listenerFile }, resource_api_version: "V3" } };
  config.node = { id: "kafka-filter-soak", cluster: "kafka-filter-soak" };
  const envoy = await startEnvoy({ runDir, config, extraArgs: ["--drain-time-s", options["drain-time-s"]] });
  cleanups.push(() => envoy.stop());
  await waitFor("the LDS listener", async () => (await kcat(["-b", bootstrap, "-L"])).code === 0, { timeoutMs: 30000 });
  const stats = (filter) => readStats(envoy.admin, filter);
  const stat = async (name) => (await stats(name)).get(name) ?? 0;

  const startedAt = Date.now();
  const endAt = startedAt + minutes * 60000;
  const acked = new Set();
  let sendErrors = 0;
  const producerConfig = path.join(runDir, "producer.properties");
  fs.writeFileSync(producerConfig, "enable.idempotence=true\nacks=all\nretries=2147483647\nmax.in.flight.requests.per.connection=5\nreconnect.backoff.ms=100\nreconnect.backoff.max.ms=1000\nretry.backoff.ms=100\nretry.backoff.max.ms=1000\nlinger.ms=5\ndelivery.timeout.ms=300000\n");
  const producer = spawnTool("org.apache.kafka.tools.VerifiableProducer", [
    "--bootstrap-server", bootstrap, "--topic", TOPIC, "--max-messages", String(Math.round(rate * minutes * 60)),
    "--throughput", String(rate), "--acks", "-1", "--command-config", producerConfig,
  ], "producer.log", (event) => {
    if (event.name === "producer_send_success") acked.add(`${event.partition}:${event.value}`);
    else if (event.name === "producer_send_error") sendErrors += 1;
  });

  // Consumer group: one steady member, and one that is replaced every churn period.
  const consumerConfig = path.join(runDir, "consumer.properties");
  fs.writeFileSync(consumerConfig, "reconnect.backoff.ms=100\nreconnect.backoff.max.ms=1000\nretry.backoff.ms=100\n");
  const consumed = new Set();
  const consumerArgs = ["--bootstrap-server", bootstrap, "--topic", TOPIC, "--group-id", GROUP, "--verbose", "--reset-policy", "earliest", "--command-config", consumerConfig];
  const onConsumed = (event) => { if (event.name === "record_data") consumed.add(`${event.partition}:${event.value}`); };
  const steady = spawnTool("org.apache.kafka.tools.VerifiableConsumer", consumerArgs, "consumer-steady.log", onConsumed);
  let churning = null;
  let churns = 0;
  const churn = async () => {
    const leaving = churning;
    churns += 1;
    churning = spawnTool("org.apache.kafka.tools.VerifiableConsumer", consumerArgs, `consumer-churn-${churns}.log`, onConsumed);
    if (leaving) { leaving.kill("SIGTERM"); await leaving.closed; }
  };
  await churn();

  // Connections opened and closed continuously; each asks for the denied topic once.
  const probe = { opened: 0, denied: 0, allowed: 0, other: {}, failed: 0 };
  let running = true;
  const probeLoop = (async () => {
    let correlationId = 0;
    while (running) {
      const started = Date.now();
      let connection = null;
      try {
        connection = await RawConnection.open(bootstrap);
        probe.opened += 1;
        await connection.write(apiVersionsRequest({ correlationId: ++correlationId, version: 3 }));
        await connection.response({ timeoutMs: 10000 });
        await connection.write(metadataRequest({ correlationId: ++correlationId, version: 12, topics: [TOPIC] }));
        await connection.response({ flexibleHeader: true, timeoutMs: 10000 });
        await connection.write(produceRequest({ correlationId: ++correlationId, recordsByTopic: { [DENIED]: ["never"] } }));
        const code = parseProduceResponse((await connection.response({ flexibleHeader: true, timeoutMs: 10000 })).body)[0].partitions[0].errorCode;
        if (code === 29) probe.denied += 1;
        else if (code === 0) probe.allowed += 1;
        else probe.other[code] = (probe.other[code] ?? 0) + 1;
      } catch {
        probe.failed += 1;
      } finally {
        connection?.close();
      }
      await sleep(Math.max(0, 1000 / connectionsPerSecond - (Date.now() - started)));
    }
  })();

  const samples = [];
  let reloads = 0;
  let lastReloadAt = null;
  let nextChurn = startedAt + churnMs;
  let nextReload = startedAt + aclReloadMs;
  const prefix = `wasmcustom.kafka.${STAT_PREFIX}`;
  while (Date.now() < endAt) {
    const all = await stats("");
    samples.push({
      t: Date.now() - startedAt,
      reloads,
      lastReloadAt,
      rss: rssBytes(envoy.child.pid),
      heap: all.get("server.memory_allocated") ?? 0,
      wasm: all.get(`${prefix}.filter.wasm_memory_bytes`) ?? 0,
      connections: all.get(`${prefix}.connections_active`) ?? null,
      downstream: all.get("listener.127.0.0.1_" + listenerPort + ".downstream_cx_active") ?? null,
      acked: acked.size,
      consumed: consumed.size,
    });
    const last = samples[samples.length - 1];
    console.log(`soak: ${(last.t / 60000).toFixed(1)} min  rss ${(last.rss / 1048576).toFixed(1)} MiB  heap ${(last.heap / 1048576).toFixed(1)} MiB  wasm ${(last.wasm / 1048576).toFixed(2)} MiB  acked ${last.acked}  consumed ${last.consumed}  probe ${probe.denied}/${probe.opened} denied  reloads ${reloads}  churns ${churns}`);
    const now = Date.now();
    if (now >= nextChurn) { nextChurn += churnMs; await churn(); }
    if (now >= nextReload) {
      nextReload += aclReloadMs;
      reloads += 1;
      const before = await stat("listener_manager.lds.update_success");
      publish(reloads);
      lastReloadAt = Date.now() - startedAt;
      await waitFor("the ACL reload", async () => (await stat("listener_manager.lds.update_success")) > before, { timeoutMs: 30000 });
    }
    await sleep(Math.max(0, Math.min(sampleMs, endAt - Date.now())));
  }

  running = false;
  await probeLoop;
  const producerExit = await Promise.race([producer.closed, sleep(120000).then(() => "timeout")]);
  await waitFor("the consumers to read every acknowledged record", () => [...acked].every((k) => consumed.has(k)), { timeoutMs: 120000, intervalMs: 1000 }).catch(() => {});
  for (const member of [steady, churning]) { member.kill("SIGTERM"); await Promise.race([member.closed, sleep(20000)]); }

  // Records on the broker, read past Envoy: partition:value, as the producer reported them.
  const landed = await kcat(["-b", kafka.directBootstrap, "-C", "-t", TOPIC, "-o", "beginning", "-e", "-q", "-f", "%p:%s\n"], { timeoutMs: 300000 });
  const onBroker = landed.stdout.split("\n").filter(Boolean);
  const distinct = new Set(onBroker);
  const log = fs.readFileSync(envoy.logFile, "utf8");
  const final = await stats("wasm.");
  const afterWarmup = samples.filter((s) => s.t >= warmupMs);
  const slope = (key, list) => slopePerHour(list.map((s) => [s.t, s[key]]));
  const MiB = (v) => (v === null ? null : Number((v / 1048576).toFixed(3)));
  // While an old configuration drains after an ACL reload, both configurations count
  // their VMs in the Wasm gauge (README "Metrics"); "settled" samples are those taken
  // when no old configuration was draining (the drain time and a sample past the last
  // reload), whose slope is the Wasm memory's own growth.
  const drainMs = Number(options["drain-time-s"]) * 1000;
  const settled = samples.filter((sample) => sample.t >= warmupMs && (sample.lastReloadAt === null || sample.t - sample.lastReloadAt > drainMs + sampleMs));
  const summary = {
    minutes, rate, churnSeconds: churnMs / 1000, aclReloadSeconds: aclReloadMs / 1000, connectionsPerSecond, drainTimeSeconds: Number(options["drain-time-s"]),
    samples: samples.length, reloads, churns,
    memory: {
      envoyRssMiB: { first: MiB(samples[0]?.rss), last: MiB(samples.at(-1)?.rss), slopeMiBPerHour: MiB(slope("rss", samples)), slopeAfterWarmupMiBPerHour: MiB(slope("rss", afterWarmup)) },
      envoyHeapMiB: { first: MiB(samples[0]?.heap), last: MiB(samples.at(-1)?.heap), slopeMiBPerHour: MiB(slope("heap", samples)), slopeAfterWarmupMiBPerHour: MiB(slope("heap", afterWarmup)) },
      wasmMiB: {
        first: MiB(samples[0]?.wasm), last: MiB(samples.at(-1)?.wasm), slopeMiBPerHour: MiB(slope("wasm", samples)), slopeAfterWarmupMiBPerHour: MiB(slope("wasm", afterWarmup)),
        settledSamples: settled.length, settledFirst: MiB(settled[0]?.wasm ?? null), settledLast: MiB(settled.at(-1)?.wasm ?? null),
        slopeSettledAfterWarmupMiBPerHour: MiB(slope("wasm", settled)),
      },
    },
    traps: {
      failedWasmCalls: (log.match(/Function: \S+ failed/g) ?? []).length,
      runtimeErrors: (log.match(/RuntimeError/g) ?? []).length,
      vmReloads: [...final].filter(([name]) => /vm_reload_(success|failure|backoff)$/.test(name)).reduce((s, [, v]) => s + v, 0),
    },
    records: {
      producerExit, sendErrors, acked: acked.size, onBroker: onBroker.length, distinctOnBroker: distinct.size,
      lost: [...acked].filter((k) => !distinct.has(k)).length, duplicated: onBroker.length - distinct.size,
      consumedDistinct: consumed.size, ackedNotConsumed: [...acked].filter((k) => !consumed.has(k)).length,
    },
    probe,
    filterClosed: (await stats(`${prefix}.filter.acl_connections_closed`)).get(`${prefix}.filter.acl_connections_closed`) ?? null,
    runDir,
  };
  fs.writeFileSync(path.join(runDir, "samples.json"), JSON.stringify(samples));
  fs.writeFileSync(path.join(runDir, "summary.json"), JSON.stringify(summary, null, 2));
  console.log(JSON.stringify(summary, null, 2));
  const ok = summary.traps.failedWasmCalls === 0 && summary.records.lost === 0 && summary.records.duplicated === 0 && probe.allowed === 0 && sendErrors === 0;
  return ok ? 0 : 1;
}

main().then(async (code) => { await shutdown(); process.exit(code); }, async (error) => {
  console.error(`soak failed: ${error.stack ?? error}`);
  await shutdown();
  process.exit(1);
});

#!/usr/bin/env node
// What the Kafka Wasm filter costs next to a plain TCP proxy, measured with Apache
// Kafka's own load tools (throughput mode) or with a one-request-at-a-time probe
// (latency mode).
//
//   npm run bench:proxy -- [--rounds 3] [--records 500000] [--record-size 1024]
//                          [--throughput -1] [--acks 1] [--partitions 1]
//                          [--warmup-records 100000] [--concurrency 1] [--no-build]
//                          [--acl] [--broker-addresses] [--tls] [--floor] [--kroxylicious]
//   npm run bench:proxy -- --latency [--samples 10000] [--block 100]
//                          [--latency-warmup 1000] [--pause-us 0] [--samples-out f.csv]
//                          [--acl] [--tls] [--kroxylicious] ...
//
// One KRaft broker serves one Envoy per variant for the whole run:
//   (a)  Envoy with tcp_proxy only (envoy/envoy.yaml with the Wasm filter removed);
//   (b)  Envoy with the Kafka Wasm filter, configured exactly as in envoy/envoy.yaml
//        (metrics only);
//   (c)  with --acl: the filter also enforcing topic ACLs whose rules allow the
//        benchmark's traffic, so every request is held whole, decoded and decided;
//   (f)  with --floor: tcp_proxy behind a do-nothing proxy-wasm module
//        (tools/bench/floor/floor-filter.ts: every callback returns Continue, no host
//        call), the cost of the Wasm boundary alone that any proxy-wasm filter pays;
//        b/f is then the filter's own work;
//   (at, bt, ct) with --tls: the same, each Envoy terminating client TLS (a server
//        certificate for IP 127.0.0.1 made for the run with the openssl CLI,
//        scripts/lib/certs.mjs); Envoy to broker stays plaintext. The plaintext
//        variants run alongside, so both the cost of TLS (at vs a) and the cost of the
//        filter under TLS (bt vs at) come from the same run;
//   (k)  with --kroxylicious: Kroxylicious (a Java Kafka proxy; version pinned in
//        tools/kroxylicious/pom.xml, fetched from Maven Central by
//        scripts/install-kroxylicious.sh on first use) in passthrough: one virtual
//        cluster, no filters, a port-per-broker gateway (portIdentifiesNode) that rewrites
//        the broker's advertised address to its own node port. An anchor: what another
//        Kafka-aware proxy costs on the same broker and load. Its JVM runs with
//        -XX:ActiveProcessorCount set to --concurrency, as Envoy runs with --concurrency.
//        It counts no bytes, so its bytes are the Kafka clients' own (producer-/consumer-
//        metrics outgoing- and incoming-byte-total, --print-metrics), and its path check
//        is that it received (kroxylicious_inbound_downstream_messages_total, from its
//        Prometheus endpoint) at least as many requests as the client sent (request-total)
//        and that the Envoys carried nothing. Not with --tls.
// --broker-addresses: the broker advertises itself on (b)'s and (c)'s listeners, as an
// existing cluster does, and the filter rewrites it to its own listener (cluster mode).
// The broker has one client listener per variant (CLIENT_A, CLIENT_B, ...), each
// advertising its own Envoy, so a client that follows Metadata stays on the proxy it
// started on; every run checks that from Envoy's byte counters (and, with TLS, that
// Envoy completed TLS handshakes). All Envoys run with --concurrency 1 so that their
// CPU time compares.
//
// Throughput mode: runs alternate over the variants (a, b, ..., then reversed in the
// next round), each a fresh topic, produced with ProducerPerformance then consumed with
// ConsumerPerformance (TLS variants: security.protocol=SSL with the run's CA as a PEM
// trust store, ssl.truststore.type=PEM). Reported per variant, as the median over
// rounds: records/s and MB/s (MiB/s, as the Kafka tools count them) for produce and
// consume, the producer's average and p99 latency, and Envoy's CPU time (utime+stime
// from /proc/<pid>/stat) per GB (10^9 bytes) of Kafka bytes that crossed Envoy's
// downstream side (rx+tx, counted by tcp_proxy in plaintext, so TLS record overhead is
// not in the denominator); then ratios: b/a and c/a (the filter), at/a (TLS), bt/at and
// ct/at (the filter under TLS).
//
// Latency mode (--latency): tools/bench/java/LatencyProbe.java, on Kafka's own request
// classes, holds one connection per variant and sends one request at a time, timing each
// from its first byte written to its response's last byte read (System.nanoTime), for
// Produce (10 records of 1 KB, acks=1; --records-per-request, --record-size, --acks),
// Fetch (that batch, from offset 0) and Metadata (one topic). --samples per variant and
// API after --latency-warmup discarded ones, in blocks of --block requests on one variant
// at a time, the variants' order reversed every block. Reported per API: p50/p90/p99/
// p99.9 per variant, and the latency each variant adds over its base (b, c over a; at
// over a; bt, ct over at) at p50 and p99 (the variant's quantile minus the base's), with
// the range of the same difference over five consecutive parts of the run. --samples-out
// keeps every sample ("api,variant,block,ns,ns since the probe started" lines).
//
// Published reference points this is compared against:
//   - Istio reports that its Wasm-based telemetry filters cost about 11% latency and
//     10-20% throughput compared with no filter.
//   - Kroxylicious (a Kafka proxy) reports that passthrough proxying added about
//     0.17 ms to the average publish latency.
//   - Our targets: under 5% throughput loss (b/a >= 0.95); added p99 latency per
//     request at most 50 µs with metrics only and 150 µs enforcing ACLs.
// Caveats: with --throughput -1 the producer saturates the path, so its latencies are
// queueing delays (hundreds of ms) in whole milliseconds; per-request added latency is
// what --latency measures. On a small shared machine the figures are noisy; read the
// spread per round (throughput) and the per-part ranges (latency) as well as the medians.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startKafka } from "../../scripts/lib/kafka.mjs";
import { downstreamTlsTransportSocket, readStats, renderEnvoyConfig, startEnvoy } from "../../scripts/lib/envoy.mjs";
import { buildFilter, FILTER_WASM } from "../../scripts/lib/build.mjs";
import { createCertificateAuthority, issueCertificate, requireOpenssl } from "../../scripts/lib/certs.mjs";
import { compiledJavaClasspath } from "../../scripts/lib/java.mjs";
import { freePort, isPortOpen, runInstaller, sleep, startProcess, stopProcess, tail, waitFor } from "../../scripts/lib/processes.mjs";
import YAML from "yaml";
import { addedLatency, parseSamples, summarize } from "./lib/latency-stats.mjs";
import { benchOptions } from "./lib/cli.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const options = benchOptions(import.meta.url, {
  rounds: { type: "string", default: "3" },
  records: { type: "string", default: "500000" },
  "record-size": { type: "string", default: "1024" },
  throughput: { type: "string", default: "-1" },
  acks: { type: "string", default: "1" },
  partitions: { type: "string", default: "1" },
  "warmup-records": { type: "string", default: "100000" },
  concurrency: { type: "string", default: "1" },
  "no-build": { type: "boolean", default: false },
  acl: { type: "boolean", default: false },
  floor: { type: "boolean", default: false },
  "broker-addresses": { type: "boolean", default: false },
  tls: { type: "boolean", default: false },
  kroxylicious: { type: "boolean", default: false },
  latency: { type: "boolean", default: false },
  samples: { type: "string", default: "10000" },
  block: { type: "string", default: "100" },
  "latency-warmup": { type: "string", default: "1000" },
  "records-per-request": { type: "string", default: "10" },
  "pause-us": { type: "string", default: "0" },
  "samples-out": { type: "string" },
});

function positiveInt(name, { allowZero = false, allowMinusOne = false } = {}) {
  // Decimal digits only: Number() would also take "0x3", "1e3" and "".
  const value = /^-?\d+$/.test(options[name]) ? Number(options[name]) : NaN;
  const ok = Number.isSafeInteger(value) && (value > 0 || (allowZero && value === 0) || (allowMinusOne && value === -1));
  if (!ok) {
    console.error(`bench:proxy: --${name} must be a positive integer${allowMinusOne ? " or -1" : ""}, got "${options[name]}"`);
    process.exit(2);
  }
  return value;
}
const settings = {
  rounds: positiveInt("rounds"),
  records: positiveInt("records"),
  recordSize: positiveInt("record-size"),
  throughput: positiveInt("throughput", { allowMinusOne: true }),
  acks: options.acks,
  partitions: positiveInt("partitions"),
  warmupRecords: positiveInt("warmup-records", { allowZero: true }),
  concurrency: positiveInt("concurrency"),
  samples: positiveInt("samples"),
  block: positiveInt("block"),
  latencyWarmup: positiveInt("latency-warmup", { allowZero: true }),
  recordsPerRequest: positiveInt("records-per-request"),
  pauseUs: positiveInt("pause-us", { allowZero: true }),
};
if (options.latency && settings.samples % settings.block !== 0) {
  console.error(`bench:proxy: --samples (${settings.samples}) must be a multiple of --block (${settings.block})`);
  process.exit(2);
}
if (!["0", "1", "-1", "all"].includes(settings.acks)) {
  console.error(`bench:proxy: --acks must be 0, 1, -1 or all, got "${settings.acks}"`);
  process.exit(2);
}
if (options.latency && !["1", "-1", "all"].includes(settings.acks)) {
  // acks=0 gets no response, so there is nothing to time.
  console.error(`bench:proxy: with --latency, --acks must be 1, -1 or all, got "${settings.acks}"`);
  process.exit(2);
}

const KROXYLICIOUS_VERSION = (/<kroxylicious\.version>([^<]+)</.exec(
  fs.readFileSync(path.join(root, "tools/kroxylicious/pom.xml"), "utf8")) ?? [])[1] ?? "unknown";

/**
 * The proxies of this run (Envoys, and Kroxylicious with --kroxylicious), in the order each round visits them: { key, filter ("none",
 * "floor", "metrics", "acl"), tls, label }.
 */
function makeVariants() {
  const rewriting = options["broker-addresses"] ? " rewriting broker addresses" : "";
  const kinds = [
    { key: "a", filter: "none", label: "tcp_proxy only" },
    ...(options.floor ? [{ key: "f", filter: "floor", label: "tcp_proxy + a do-nothing Wasm module (the proxy-wasm floor)" }] : []),
    { key: "b", filter: "metrics", label: `tcp_proxy + Kafka Wasm filter${rewriting}` },
  ];
  if (options.acl) kinds.push({ key: "c", filter: "acl", label: `tcp_proxy + Kafka Wasm filter enforcing ACLs${rewriting}` });
  const variants = kinds.map((kind) => ({ ...kind, tls: false }));
  if (options.tls) variants.push(...kinds.map((kind) => ({ ...kind, key: `${kind.key}t`, tls: true, label: `${kind.label}, client TLS` })));
  if (options.kroxylicious) {
    variants.push({ key: "k", filter: "kroxylicious", tls: false, label: `Kroxylicious ${KROXYLICIOUS_VERSION} passthrough (no filters, port-per-broker)` });
  }
  return variants;
}
const VARIANTS = makeVariants();
const VARIANT = Object.fromEntries(VARIANTS.map((v) => [v.key, v]));
const label = (key) => `(${key}) ${VARIANT[key].label}`;
/** Whether the variant is Kroxylicious rather than an Envoy. */
const isKroxylicious = (key) => VARIANT[key].filter === "kroxylicious";
/** Whether the variant runs the Kafka filter, whose frame byte counters the traffic checks read. */
const countsFrames = (key) => VARIANT[key].filter === "metrics" || VARIANT[key].filter === "acl";

/** What is compared with what: [variant, base, what the difference is]. */
const COMPARISONS = [
  ["f", "a", "the Wasm boundary alone (floor)"],
  ["b", "a", "the filter"],
  ["b", "f", "the filter's own work, over the floor"],
  ["c", "a", "the filter enforcing ACLs"],
  ["at", "a", "TLS (tcp_proxy)"],
  ["bt", "at", "the filter under TLS"],
  ["ct", "at", "the filter enforcing ACLs under TLS"],
  ["k", "a", "Kroxylicious passthrough, over tcp_proxy"],
  ["b", "k", "Envoy + Kafka filter, over Kroxylicious passthrough"],
].filter(([x, base]) => VARIANT[x] && VARIANT[base]).map(([key, base, what]) => ({ key, base, what }));

const runDir = path.join(root, ".run", `bench-proxy-${process.pid}`);

/** Compiles tools/bench/floor/floor-filter.ts (a few hundred bytes, so every run); returns the module's path. */
function buildFloorFilter() {
  const outFile = path.join(root, "build/bench/floor-filter.wasm");
  execFileSync(path.join(root, "node_modules/.bin/asc"), ["tools/bench/floor/floor-filter.ts", "--config", "tools/bench/floor/asconfig.json",
    "--target", "release"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  return outFile;
}
const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
const GB = 1e9;

// ---------------------------------------------------------------- process bookkeeping

const started = []; // components with stop(), stopped in reverse order
const tools = new Set(); // running Kafka tool JVMs
let stopping = false;

async function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  for (const child of tools) child.kill("SIGTERM");
  for (const component of started.reverse()) await component.stop().catch(() => {});
  if (exitCode === 0) {
    fs.rmSync(runDir, { recursive: true, force: true });
  } else {
    // Topic data is large; the logs and configs stay for inspection.
    fs.rmSync(path.join(runDir, "kafka", "log"), { recursive: true, force: true });
    console.error(`logs kept in ${runDir}`);
  }
  process.exit(exitCode);
}
process.on("SIGINT", () => { console.error("\ninterrupted; stopping everything this benchmark started"); stopAll(130); });
process.on("SIGTERM", () => stopAll(143));
// The last resort, when the process dies without stopAll (an uncaught error): nothing this
// benchmark started may outlive it, least of all a broker holding a gigabyte of heap.
process.on("exit", () => {
  for (const child of tools) child.kill("SIGKILL");
  for (const component of started) component.child?.kill("SIGKILL");
});
// `... | head` closes stdout early: stop everything (quietly: stderr may be gone too).
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => { if (error.code === "EPIPE") stopAll(141); });
}
process.on("uncaughtException", (error) => {
  if (error.code !== "EPIPE") process.stderr.write(`bench:proxy failed: ${error.stack ?? error.message}\n`);
  stopAll(1);
});

// ---------------------------------------------------------------- helpers

const shellQuote = (arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

function commandLine() {
  const script = path.relative(process.cwd(), process.argv[1]) || process.argv[1];
  return ["node", script, ...process.argv.slice(2)].map(shellQuote).join(" ");
}

const loadAverage = () => os.loadavg().map((x) => x.toFixed(2)).join(" ");

/** utime + stime of a process, in seconds, from /proc/<pid>/stat (all threads). */
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after "(comm)": the 3rd field of the file is rest[0]; utime is the 14th, stime the 15th.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}

function processName(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
}

const median = (values) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function fmt(value, digits) {
  if (value === undefined || Number.isNaN(value)) return "n/a";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

let log4jFile;
let kafkaLib;

/**
 * Runs one Kafka command-line tool (or, with `classpath` and `jvm`, another Java
 * program) to completion; resolves with its stdout and the log path.
 */
function runTool(label, mainClass, args, { timeoutMs = 30 * 60 * 1000, classpath = `${kafkaLib}/*`, jvm: jvmOptions = ["-Xms256m", "-Xmx512m", "-XX:+UseG1GC"] } = {}) {
  const logFile = path.join(runDir, "tools", `${label}.log`);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const jvm = [...jvmOptions, `-Dlog4j2.configurationFile=${log4jFile}`, "-cp", classpath];
  return new Promise((resolve, reject) => {
    const child = spawn("java", [...jvm, mainClass, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    tools.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => { stdout += chunk; });
    child.stderr.on("data", (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      tools.delete(child);
      fs.writeFileSync(logFile, `$ java ... ${mainClass} ${args.map(shellQuote).join(" ")}\n${stdout}\n--- stderr ---\n${stderr}`);
      if (code !== 0) reject(new Error(`${mainClass} (${label}) exited with ${code ?? signal}; see ${logFile}\n${tail(logFile, 15)}`));
      else resolve({ stdout, logFile });
    });
  });
}

const QUIET_LOG4J2 = `Configuration:
  status: warn
  Appenders:
    Console:
      name: stderr
      target: SYSTEM_ERR
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: warn
      AppenderRef:
        - ref: stderr
`;

// "500000 records sent, 93457.9 records/sec (91.27 MB/sec), 312.45 ms avg latency,
//  615.00 ms max latency, 310 ms 50th, 500 ms 95th, 560 ms 99th, 600 ms 99.9th."
const PRODUCER_SUMMARY = new RegExp(
  String.raw`(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, ` +
  String.raw`([\d.]+) ms max latency, ([\d.]+) ms 50th, ([\d.]+) ms 95th, ([\d.]+) ms 99th, ([\d.]+) ms 99\.9th`);

function parseProducer(stdout, logFile) {
  const lines = stdout.split("\n").filter((line) => PRODUCER_SUMMARY.test(line));
  if (lines.length === 0) throw new Error(`no ProducerPerformance summary line; see ${logFile}`);
  const m = PRODUCER_SUMMARY.exec(lines[lines.length - 1]);
  return {
    records: Number(m[1]), recordsPerSec: Number(m[2]), mbPerSec: Number(m[3]), avgMs: Number(m[4]),
    maxMs: Number(m[5]), p50Ms: Number(m[6]), p95Ms: Number(m[7]), p99Ms: Number(m[8]), p999Ms: Number(m[9]),
  };
}

// start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
// rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
function parseConsumer(stdout, logFile) {
  const lines = stdout.split("\n").map((line) => line.trim());
  const headerAt = lines.findIndex((line) => line.startsWith("start.time"));
  if (headerAt < 0 || !lines[headerAt + 1]) throw new Error(`no ConsumerPerformance summary; see ${logFile}`);
  const names = lines[headerAt].split(/,\s*/);
  const values = lines[headerAt + 1].split(/,\s*/);
  const row = Object.fromEntries(names.map((name, i) => [name, values[i]]));
  const number = (name) => {
    const value = Number(row[name]);
    if (!Number.isFinite(value)) throw new Error(`ConsumerPerformance summary has no numeric ${name}; see ${logFile}`);
    return value;
  };
  return {
    records: number("data.consumed.in.nMsg"), mb: number("data.consumed.in.MB"),
    recordsPerSec: number("fetch.nMsg.sec"), mbPerSec: number("fetch.MB.sec"),
    overallRecordsPerSec: number("nMsg.sec"), overallMbPerSec: number("MB.sec"),
    rebalanceMs: number("rebalance.time.ms"), fetchMs: number("fetch.time.ms"),
  };
}

// ---------------------------------------------------------------- Envoy side

/**
 * Downstream bytes of the tcp_proxy (stat_prefix "kafka"), its connections, the TLS
 * handshakes on the Kafka listener and, with the filter, the request and response
 * bytes it counted per API (kafka_api_request_bytes, kafka_api_response_bytes).
 */
async function envoyCounters(envoy) {
  const stats = await readStats(envoy.admin,
    String.raw`^(tcp\.kafka\.downstream_cx_(rx|tx)_bytes_total|tcp\.kafka\.downstream_cx_total|wasmcustom\.kafka\..*\.api\..*\.(request|response)_bytes|listener\..*downstream_cx_active|listener\..*\.ssl\.handshake)$`);
  let filterBytes = 0;
  let active = 0;
  let handshakes = 0;
  for (const [name, value] of stats) {
    if (name.startsWith("wasmcustom.kafka.")) filterBytes += value;
    if (name.startsWith("listener.admin.")) continue;
    if (name.startsWith("listener.") && name.endsWith("downstream_cx_active")) active += value;
    if (name.startsWith("listener.") && name.endsWith(".ssl.handshake")) handshakes += value;
  }
  return {
    rx: stats.get("tcp.kafka.downstream_cx_rx_bytes_total") ?? 0,
    tx: stats.get("tcp.kafka.downstream_cx_tx_bytes_total") ?? 0,
    connections: stats.get("tcp.kafka.downstream_cx_total") ?? 0,
    filterBytes,
    active,
    handshakes,
  };
}

// ---------------------------------------------------------------- Kroxylicious side

/**
 * Kroxylicious's counters in the shape envoyCounters returns: connections and messages
 * are the sums of kroxylicious_downstream_connections_total and
 * kroxylicious_inbound_downstream_messages_total (Kafka requests from clients) from its
 * Prometheus endpoint. It counts no bytes, and /proc/<pid>/io cannot stand in (its Netty
 * transport moves socket data with sendto/recvfrom, which rchar/wchar do not count), so
 * rx and tx are 0 here and runOnce fills them from the Kafka clients' own byte counters
 * (--print-metrics), checking from `messages` that every request the client sent went
 * through Kroxylicious.
 */
async function kroxyliciousCounters(proxy) {
  let connections = 0;
  let messages = 0;
  const response = await fetch(`http://127.0.0.1:${proxy.managementPort}/metrics`);
  if (!response.ok) throw new Error(`Kroxylicious metrics endpoint answered ${response.status}`);
  for (const line of (await response.text()).split("\n")) {
    const m = /^kroxylicious_downstream_connections_total(?:\{[^}]*\})?\s+([\d.eE+-]+)/.exec(line);
    if (m) connections += Number(m[1]);
    const n = /^kroxylicious_inbound_downstream_messages_total(?:\{[^}]*\})?\s+([\d.eE+-]+)/.exec(line);
    if (n) messages += Number(n[1]);
  }
  return { rx: 0, tx: 0, connections, messages, filterBytes: 0, active: 0, handshakes: 0 };
}

/**
 * Starts Kroxylicious in passthrough in front of the broker listener at brokerPort: one
 * virtual cluster with no filters, its bootstrap on listenerPort and node 1 (the
 * broker's node id) on nodePort (portIdentifiesNode with one node id range), which it
 * writes into the Metadata, FindCoordinator and DescribeCluster responses in place of
 * the broker's own address; its Prometheus endpoint on managementPort. Fetches it from
 * Maven Central first if .deps/kroxylicious has not got it. Returns { child, managementPort,
 * logFile, stop() } once it accepts connections on its bootstrap port.
 */
async function startKroxylicious({ listenerPort, nodePort, managementPort, brokerPort }) {
  const lib = runInstaller(`Kroxylicious ${KROXYLICIOUS_VERSION} (Maven Central; scripts/install-kroxylicious.sh)`,
    path.join(root, "scripts/install-kroxylicious.sh"));
  const dir = path.join(runDir, "kroxylicious");
  fs.mkdirSync(dir, { recursive: true });
  const configFile = path.join(dir, "config.yaml");
  fs.writeFileSync(configFile, YAML.stringify({
    management: { bindAddress: "127.0.0.1", port: managementPort, endpoints: { prometheus: {} } },
    virtualClusters: [{
      name: "bench",
      targetCluster: { bootstrapServers: `127.0.0.1:${brokerPort}` },
      gateways: [{
        name: "plain",
        portIdentifiesNode: {
          bootstrapAddress: `127.0.0.1:${listenerPort}`,
          advertisedBrokerAddressPattern: "127.0.0.1",
          nodeStartPort: nodePort,
          nodeIdRanges: [{ name: "broker", start: 1, end: 1 }],
        },
      }],
    }],
  }));
  const child = startProcess("kroxylicious", "java", [
    "-Xms512m", "-Xmx512m", "-XX:+UseG1GC", `-XX:ActiveProcessorCount=${settings.concurrency}`,
    "-cp", `${lib}/*`, path.join(root, "tools/kroxylicious/KroxyliciousMain.java"), configFile,
  ], { logFile: path.join(dir, "kroxylicious.log") });
  const proxy = { child, managementPort, logFile: child.logFile, stop: () => stopProcess(child) };
  started.push(proxy);
  let exited = false;
  child.exited.then(() => { exited = true; });
  await waitFor(`Kroxylicious on 127.0.0.1:${listenerPort}`, async () => {
    if (exited) throw new Error(`Kroxylicious exited during start-up; see ${child.logFile}\n${tail(child.logFile, 20)}`);
    return (await isPortOpen(listenerPort)) && (await isPortOpen(nodePort));
  }, { timeoutMs: 120000, hint: () => `; see ${child.logFile}\n${tail(child.logFile, 20)}` });
  return proxy;
}

/** CPU time and counters of every proxy (Envoy admin stats, or Kroxylicious's). */
async function snapshot(envoys) {
  const result = {};
  for (const [key, envoy] of Object.entries(envoys)) {
    const counters = isKroxylicious(key) ? await kroxyliciousCounters(envoy) : await envoyCounters(envoy);
    result[key] = { cpu: cpuSeconds(envoy.child.pid), ...counters };
  }
  return result;
}

/** After a tool exits, waits (briefly) until Envoy has closed its connections so the counters are final. */
async function settle(envoys) {
  const deadline = Date.now() + 5000;
  for (;;) {
    let active = 0;
    for (const [key, envoy] of Object.entries(envoys)) if (!isKroxylicious(key)) active += (await envoyCounters(envoy)).active;
    if (active === 0 || Date.now() > deadline) return;
    await sleep(100);
  }
}

/** Per variant, each counter's change from `before` to `after`. */
function deltas(before, after) {
  const result = {};
  for (const key of Object.keys(after)) {
    result[key] = {};
    for (const [name, value] of Object.entries(after[key])) result[key][name] = value - before[key][name];
  }
  return result;
}

/**
 * Checks that a client's traffic went through the Envoy it was pointed at, and only
 * that one: its downstream side carried at least `minBytes` in the direction that
 * matters (`direction` "rx", "tx" or "both"), the other Envoys (practically) nothing,
 * with the filter the filter parsed every byte as Kafka frames, and with TLS Envoy
 * completed at least one handshake. Returns { carried, filterOverEnvoy }.
 */
function verifyPath(phase, key, d, { minBytes, direction }) {
  const own = d[key];
  const carried = direction === "rx" ? own.rx : direction === "tx" ? own.tx : own.rx + own.tx;
  const problems = [];
  if (carried < minBytes) problems.push(`proxy ${key} carried ${carried} bytes (${direction}), less than the ${Math.round(minBytes)} expected`);
  if (isKroxylicious(key) && !(own.messages > 0)) problems.push(`Kroxylicious (${key}) received no Kafka request from a client`);
  for (const [other, counters] of Object.entries(d)) {
    if (other !== key && isKroxylicious(other)) {
      if (counters.messages > 0) problems.push(`Kroxylicious (${other}) received ${counters.messages} Kafka requests during this run`);
    } else if (other !== key && counters.rx + counters.tx > Math.max(0.01 * minBytes, 4096)) {
      problems.push(`proxy ${other} carried ${counters.rx + counters.tx} bytes during this run`);
    }
  }
  if (countsFrames(key) && own.filterBytes < 0.99 * (own.rx + own.tx)) {
    problems.push(`the filter counted ${own.filterBytes} frame bytes of the ${own.rx + own.tx} Envoy moved`);
  }
  if (VARIANT[key].tls && own.handshakes < 1) problems.push(`Envoy ${key} completed no TLS handshake`);
  if (problems.length) throw new Error(`traffic check failed for ${phase} through ${key}: ${problems.join("; ")}`);
  return { carried, filterOverEnvoy: countsFrames(key) ? own.filterBytes / (own.rx + own.tx) : undefined };
}

// ---------------------------------------------------------------- throughput mode

let runCounter = 0;

/** Client properties for the Kafka tools: TLS to Envoy for a TLS variant, with the run's CA as a PEM trust store. */
function clientTlsProperties(key, ca) {
  if (!VARIANT[key].tls) return [];
  return ["security.protocol=SSL", "ssl.truststore.type=PEM", `ssl.truststore.location=${ca.cert}`];
}

async function runOnce({ key, envoys, listenerPorts, directBootstrap, ca, records, label: runLabel }) {
  runCounter += 1;
  const topic = `bench-${key}-${runLabel}-${runCounter}-${crypto.randomBytes(3).toString("hex")}`;
  const bootstrap = `127.0.0.1:${listenerPorts[key]}`;
  await runTool(`${runLabel}-${key}-create`, "org.apache.kafka.tools.TopicCommand", [
    "--bootstrap-server", directBootstrap, "--create", "--topic", topic,
    "--partitions", String(settings.partitions), "--replication-factor", "1",
  ]);

  const payloadBytes = records * settings.recordSize;
  const load1 = os.loadavg()[0];

  const beforeProduce = await snapshot(envoys);
  const produced = await runTool(`${runLabel}-${key}-produce`, "org.apache.kafka.tools.ProducerPerformance", [
    "--bootstrap-server", bootstrap, "--topic", topic, "--num-records", String(records),
    "--record-size", String(settings.recordSize), "--throughput", String(settings.throughput),
    "--command-property", `acks=${settings.acks}`, `client.id=bench-${key}-producer`, ...clientTlsProperties(key, ca),
    ...(isKroxylicious(key) ? ["--print-metrics"] : []),
  ]);
  await settle(envoys);
  const afterProduce = await snapshot(envoys);

  const consumed = await runTool(`${runLabel}-${key}-consume`, "org.apache.kafka.tools.ConsumerPerformance", [
    "--bootstrap-server", bootstrap, "--topic", topic, "--num-records", String(records),
    "--group", `bench-${topic}`, "--timeout", "30000",
    // ConsumerPerformance (joptsimple) takes one property per --command-property.
    ...[`client.id=bench-${key}-consumer`, "auto.offset.reset=earliest", ...clientTlsProperties(key, ca)].flatMap((p) => ["--command-property", p]),
    ...(isKroxylicious(key) ? ["--print-metrics"] : []),
  ]);
  await settle(envoys);
  const afterConsume = await snapshot(envoys);

  await runTool(`${runLabel}-${key}-delete`, "org.apache.kafka.tools.TopicCommand", [
    "--bootstrap-server", directBootstrap, "--delete", "--topic", topic,
  ]);

  const producer = parseProducer(produced.stdout, produced.logFile);
  const consumer = parseConsumer(consumed.stdout, consumed.logFile);
  if (producer.records !== records) throw new Error(`producer sent ${producer.records} of ${records} records; see ${produced.logFile}`);
  if (consumer.records !== records) throw new Error(`consumer read ${consumer.records} of ${records} records; see ${consumed.logFile}`);

  const produceDeltas = deltas(beforeProduce, afterProduce);
  const consumeDeltas = deltas(afterProduce, afterConsume);
  if (isKroxylicious(key)) {
    countClientBytes("produce", produceDeltas[key], clientMetrics(produced.stdout, "producer-metrics", produced.logFile));
    countClientBytes("consume", consumeDeltas[key], clientMetrics(consumed.stdout, "consumer-metrics", consumed.logFile));
  }
  const produceCheck = verifyPath("produce", key, produceDeltas, { minBytes: 0.95 * payloadBytes, direction: "rx" });
  const consumeCheck = verifyPath("consume", key, consumeDeltas, { minBytes: 0.95 * payloadBytes, direction: "tx" });

  const p = produceDeltas[key];
  const c = consumeDeltas[key];
  const produceBytes = p.rx + p.tx;
  const consumeBytes = c.rx + c.tx;
  return {
    key, topic, load1,
    producer, consumer,
    produceBytes, consumeBytes,
    produceCpu: p.cpu, consumeCpu: c.cpu,
    produceCpuPerGB: p.cpu / (produceBytes / GB),
    consumeCpuPerGB: c.cpu / (consumeBytes / GB),
    totalCpuPerGB: (p.cpu + c.cpu) / ((produceBytes + consumeBytes) / GB),
    produceCheck: { ...produceCheck, overPayload: produceCheck.carried / payloadBytes },
    consumeCheck: { ...consumeCheck, overPayload: consumeCheck.carried / payloadBytes },
    handshakes: p.handshakes + c.handshakes,
    requests: { kroxylicious: p.messages + c.messages, client: p.clientRequests + c.clientRequests },
  };
}

/**
 * A Kafka client's own totals, from the metrics table ProducerPerformance and
 * ConsumerPerformance print with --print-metrics ("<group>:<name>:{client-id=...} : value"):
 * bytes it sent (outgoing-byte-total) and received (incoming-byte-total) and requests it
 * sent (request-total), over all its connections.
 */
function clientMetrics(stdout, group, logFile) {
  const value = (name) => {
    const m = new RegExp(String.raw`^${group}:${name}:\{[^}]*\}\s*:\s*([\d.eE+-]+)`, "m").exec(stdout);
    if (!m) throw new Error(`no ${group}:${name} in the tool's --print-metrics output; see ${logFile}`);
    return Number(m[1]);
  };
  return { sent: value("outgoing-byte-total"), received: value("incoming-byte-total"), requests: value("request-total") };
}

/**
 * For Kroxylicious (k): takes the client's byte totals as Kroxylicious's client-side rx
 * (what the client sent) and tx, after checking that Kroxylicious received at least as
 * many requests as the client sent, so none of them reached the broker around it.
 */
function countClientBytes(phase, counters, client) {
  if (counters.messages < client.requests) {
    throw new Error(`traffic check failed for ${phase} through k: the client sent ${client.requests} requests, ` +
      `Kroxylicious received ${counters.messages}`);
  }
  Object.assign(counters, { rx: client.sent, tx: client.received, clientRequests: client.requests });
}

function describeRun(round, r) {
  const filterNote = countsFrames(r.key)
    ? `, filter parsed ${fmt(100 * r.produceCheck.filterOverEnvoy, 1)}%/${fmt(100 * r.consumeCheck.filterOverEnvoy, 1)}% of it` : "";
  const tlsNote = VARIANT[r.key].tls ? `, ${r.handshakes} TLS handshakes` : "";
  return [
    `round ${round} ${label(r.key)}   (load1 ${fmt(r.load1, 2)}, topic ${r.topic})`,
    `  produce: ${fmt(r.producer.recordsPerSec, 0)} rec/s, ${fmt(r.producer.mbPerSec, 2)} MB/s, ` +
      `avg ${fmt(r.producer.avgMs, 2)} ms, p99 ${fmt(r.producer.p99Ms, 0)} ms (p50 ${fmt(r.producer.p50Ms, 0)}, max ${fmt(r.producer.maxMs, 0)})`,
    `  consume: ${fmt(r.consumer.recordsPerSec, 0)} rec/s, ${fmt(r.consumer.mbPerSec, 2)} MB/s ` +
      `(fetch phase; ${fmt(r.consumer.overallRecordsPerSec, 0)} rec/s incl. ${fmt(r.consumer.rebalanceMs, 0)} ms group join)`,
    `  ${isKroxylicious(r.key) ? "Kroxylicious JVM" : "Envoy"} CPU: produce ${fmt(r.produceCpu, 2)} s for ${fmt(r.produceBytes / 1e6, 1)} MB = ${fmt(r.produceCpuPerGB, 3)} s/GB; ` +
      `consume ${fmt(r.consumeCpu, 2)} s for ${fmt(r.consumeBytes / 1e6, 1)} MB = ${fmt(r.consumeCpuPerGB, 3)} s/GB`,
    `  path check: ${isKroxylicious(r.key) ? `Kroxylicious received ${r.requests.kroxylicious} requests, the client sent ${r.requests.client}; the client's bytes were` : `Envoy ${r.key} carried`} ${fmt(r.produceCheck.overPayload, 3)}x / ${fmt(r.consumeCheck.overPayload, 3)}x ` +
      `the payload (produce rx / consume tx), the other proxies ~0${filterNote}${tlsNote}`,
  ].join("\n");
}

const METRICS = [
  { name: "Produce throughput (records/s)", get: (r) => r.producer.recordsPerSec, digits: 0 },
  { name: "Produce throughput (MB/s)", get: (r) => r.producer.mbPerSec, digits: 2 },
  { name: "Produce latency, average (ms)", get: (r) => r.producer.avgMs, digits: 2 },
  { name: "Produce latency, p99 (ms)", get: (r) => r.producer.p99Ms, digits: 0 },
  { name: "Consume throughput (records/s)", get: (r) => r.consumer.recordsPerSec, digits: 0 },
  { name: "Consume throughput (MB/s)", get: (r) => r.consumer.mbPerSec, digits: 2 },
  { name: "Proxy CPU, produce (s/GB)", get: (r) => r.produceCpuPerGB, digits: 3 },
  { name: "Proxy CPU, consume (s/GB)", get: (r) => r.consumeCpuPerGB, digits: 3 },
  { name: "Proxy CPU, produce + consume (s/GB)", get: (r) => r.totalCpuPerGB, digits: 3 },
];

function throughputReport(results, context) {
  const keys = VARIANTS.map((v) => v.key);
  const out = [];
  out.push("", `## Per round (values ${keys.join(" / ")}; ratios paired within the round)`, "");
  out.push(`| Metric | ${Array.from({ length: settings.rounds }, (_, i) => `round ${i + 1}`).join(" | ")} | ` +
    `${COMPARISONS.map((c) => `median ${c.key}/${c.base}`).join(" | ")} |`);
  out.push(`|---|${"---|".repeat(settings.rounds + COMPARISONS.length)}`);
  for (const metric of METRICS) {
    const cells = [];
    for (let i = 0; i < settings.rounds; i++) cells.push(keys.map((k) => fmt(metric.get(results[k][i]), metric.digits)).join(" / "));
    const ratios = COMPARISONS.map((c) => fmt(median(results[c.key].map((r, i) => metric.get(r) / metric.get(results[c.base][i]))), 3));
    out.push(`| ${metric.name} | ${cells.join(" | ")} | ${ratios.join(" | ")} |`);
  }

  out.push("", "## Summary (Markdown, for the README)", "");
  out.push(`| Metric (median of ${settings.rounds} rounds) | ${keys.map((k) => `(${k})`).join(" | ")} | ` +
    `${COMPARISONS.map((c) => `${c.key}/${c.base}`).join(" | ")} |`);
  out.push(`|---|${"---:|".repeat(keys.length + COMPARISONS.length)}`);
  for (const metric of METRICS) {
    const medians = Object.fromEntries(keys.map((k) => [k, median(results[k].map(metric.get))]));
    out.push(`| ${metric.name} | ${keys.map((k) => fmt(medians[k], metric.digits)).join(" | ")} | ` +
      `${COMPARISONS.map((c) => fmt(medians[c.key] / medians[c.base], 3)).join(" | ")} |`);
  }
  out.push("");
  out.push(VARIANTS.map((v) => `(${v.key}) ${v.label}`).join("; ") + ". " +
    COMPARISONS.map((c) => `${c.key}/${c.base}: ${c.what}`).join("; ") + ".");
  out.push(`${settings.records.toLocaleString("en-US")} records of ${settings.recordSize} B per run, acks=${settings.acks}, ` +
    `producer --throughput ${settings.throughput}, ${settings.partitions} partition(s), one fresh topic per run, ` +
    `produced then consumed; Apache Kafka ${context.kafkaVersion} ProducerPerformance / ConsumerPerformance ` +
    `(consume rate = fetch phase, group join excluded; MB = MiB as the tools count). ` +
    `Envoy ${context.envoyVersion}, --concurrency ${settings.concurrency}; CPU = Envoy utime+stime per 10^9 Kafka bytes through its ` +
    `downstream side (rx+tx, before TLS)` +
    (VARIANT.k ? `; (k): the Kroxylicious JVM's utime+stime per 10^9 bytes the Kafka clients sent and received (their own byte counters), ` +
      `-XX:ActiveProcessorCount=${settings.concurrency}, JIT warmed by the warm-up runs` : "") + `. Same single-node KRaft broker for all, runs alternated. ` +
    `Machine: ${context.nproc} CPUs (shared), load average ${context.loadStart} at start, ${loadAverage()} at end. ` +
    `Reference points: Istio Wasm filters ~11% latency, 10-20% throughput; Kroxylicious passthrough +0.17 ms average ` +
    `publish latency; our target: b/a throughput >= 0.95.`);
  out.push(`Command: \`${context.command}\``);
  return out.join("\n");
}

async function throughputMode({ envoys, listenerPorts, directBootstrap, ca, context }) {
  const common = { envoys, listenerPorts, directBootstrap, ca };
  if (settings.warmupRecords > 0) {
    for (const { key } of VARIANTS) {
      const r = await runOnce({ ...common, key, records: settings.warmupRecords, label: "warmup" });
      console.log(`warm-up ${label(key)}: produce ${fmt(r.producer.recordsPerSec, 0)} rec/s, ` +
        `consume ${fmt(r.consumer.recordsPerSec, 0)} rec/s (not reported)`);
    }
    console.log("");
  }
  const results = Object.fromEntries(VARIANTS.map((v) => [v.key, []]));
  for (let round = 1; round <= settings.rounds; round++) {
    // Reversed every other round, so that no variant always runs right after another.
    const order = round % 2 === 1 ? VARIANTS : [...VARIANTS].reverse();
    for (const { key } of order) {
      const r = await runOnce({ ...common, key, records: settings.records, label: `r${round}` });
      results[key].push(r);
      console.log(describeRun(round, r));
    }
  }
  console.log(throughputReport(results, context));
}

// ---------------------------------------------------------------- latency mode

/** p99 added-latency targets (µs) per comparison "variant/base": the filter over its plain base only. */
const LATENCY_TARGETS_US = { "b/a": 50, "c/a": 150, "bt/at": 50, "ct/at": 150 };

function latencyReport(samples, probe, context) {
  const keys = VARIANTS.map((v) => v.key);
  const out = [];
  const us = (value) => fmt(value, 1);
  const signed = (value) => `${value >= 0 ? "+" : ""}${fmt(value, 1)}`;
  out.push("", `## Latency per request (µs), ${settings.samples.toLocaleString("en-US")} samples per variant and API`, "");
  out.push("| API | variant | p50 | p90 | p99 | p99.9 | max |");
  out.push("|---|---|---:|---:|---:|---:|---:|");
  for (const [api, byKey] of samples) {
    for (const key of keys) {
      const s = summarize(byKey.get(key).micros);
      out.push(`| ${api} v${probe.versions[api]} | (${key}) | ${us(s.p50)} | ${us(s.p90)} | ${us(s.p99)} | ${us(s.p999)} | ${us(s.max)} |`);
    }
  }
  out.push("", "## Added latency (µs): the variant's quantile minus its base's [range over 5 parts of the run]", "");
  out.push("| API | comparison | added p50 | added p99 | p99 target |");
  out.push("|---|---|---:|---:|---:|");
  const summary = [];
  for (const [api, byKey] of samples) {
    for (const c of COMPARISONS) {
      const added = addedLatency(byKey.get(c.base), byKey.get(c.key));
      const target = LATENCY_TARGETS_US[`${c.key}/${c.base}`];
      out.push(`| ${api} | ${c.key} − ${c.base} (${c.what}) | ${signed(added.p50)} [${signed(added.p50Range[0])}, ${signed(added.p50Range[1])}] | ` +
        `${signed(added.p99)} [${signed(added.p99Range[0])}, ${signed(added.p99Range[1])}] | ${target ? `≤ ${target}${added.p99 <= target ? "" : " (missed)"}` : "—"} |`);
      summary.push({ api, ...c, ...added });
    }
  }
  out.push("");
  out.push(VARIANTS.map((v) => `(${v.key}) ${v.label}`).join("; ") + ".");
  out.push(`One connection per variant, one request in flight, ${settings.pauseUs ? `a ${settings.pauseUs} µs pause before each` : "back to back"}; ` +
    `${settings.latencyWarmup} warm-up requests per variant and API discarded; blocks of ${settings.block} requests per variant, ` +
    `order reversed every block. Produce v${probe.versions.produce}: ${settings.recordsPerRequest} records of ${settings.recordSize} B ` +
    `(${probe.batchBytes} B batch), acks=${settings.acks}; Fetch v${probe.versions.fetch}: that batch from offset 0, max wait 0; ` +
    `Metadata v${probe.versions.metadata}: one topic. Timed with System.nanoTime from the request's first byte written to ` +
    `the response's last byte read (tools/bench/java/LatencyProbe.java, Kafka ${context.kafkaVersion} request classes). ` +
    `Envoy ${context.envoyVersion} --concurrency ${settings.concurrency}. Machine: ${context.nproc} CPUs (shared), ` +
    `load average ${context.loadStart} at start, ${loadAverage()} at end.`);
  out.push(`Command: \`${context.command}\``);
  return out.join("\n");
}

async function latencyMode({ envoys, listenerPorts, directBootstrap, ca, context }) {
  const topic = `bench-latency-${crypto.randomBytes(3).toString("hex")}`;
  await runTool("latency-create", "org.apache.kafka.tools.TopicCommand", [
    "--bootstrap-server", directBootstrap, "--create", "--topic", topic, "--partitions", "1", "--replication-factor", "1",
  ]);
  const classpath = compiledJavaClasspath(path.join(root, "tools/bench/java"));
  const samplesFile = path.join(runDir, "latency-samples.csv");
  const targets = VARIANTS.flatMap((v) => ["--target", `${v.key}=${v.tls ? "ssl://" : ""}127.0.0.1:${listenerPorts[v.key]}`]);
  const before = await snapshot(envoys);
  const load1 = os.loadavg()[0];
  const startedAt = Date.now();
  const probeRun = await runTool("latency-probe", "LatencyProbe", [
    ...targets, "--topic", topic, "--out", samplesFile,
    "--samples", String(settings.samples), "--block", String(settings.block), "--warmup", String(settings.latencyWarmup),
    "--records", String(settings.recordsPerRequest), "--record-size", String(settings.recordSize),
    "--acks", settings.acks === "all" ? "-1" : settings.acks, "--pause-us", String(settings.pauseUs),
    ...(options.tls ? ["--tls-ca", ca.cert] : []),
  ], {
    classpath,
    // A fixed heap and a serial collector: the probe allocates little while timing, and
    // what it does allocate should not bring concurrent GC threads onto the 2 cores.
    jvm: ["-Xms256m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:+AlwaysPreTouch"],
  });
  const probe = JSON.parse(probeRun.stdout.trim().split("\n").pop());
  if (!probe.ok) throw new Error(`LatencyProbe failed: ${probe.error}; see ${probeRun.logFile}`);
  await settle(envoys);
  const d = deltas(before, await snapshot(envoys));
  for (const { key } of VARIANTS) {
    if (d[key].connections !== 1) throw new Error(`proxy ${key} saw ${d[key].connections} client connections, not the probe's one`);
    if (isKroxylicious(key)) {
      // It counts requests, not bytes: every timed and warm-up request of the three APIs.
      const expected = 3 * (settings.samples + settings.latencyWarmup);
      if (d[key].messages < expected) throw new Error(`Kroxylicious (k) received ${d[key].messages} requests, fewer than the probe's ${expected}`);
      continue;
    }
    verifyPath("latency", key, Object.fromEntries(Object.entries(d).map(([k, v]) => [k, k === key ? v : { ...v, rx: 0, tx: 0, messages: 0 }])),
      { minBytes: settings.samples * 3 * 40, direction: "both" });
  }
  if (options["samples-out"]) fs.copyFileSync(samplesFile, options["samples-out"]);
  const samples = parseSamples(fs.readFileSync(samplesFile, "utf8"));
  for (const [api, byKey] of samples) {
    for (const { key } of VARIANTS) {
      if (byKey.get(key)?.micros.length !== settings.samples) throw new Error(`the probe wrote ${byKey.get(key)?.micros.length ?? 0} ${api} samples for ${key}`);
    }
  }
  console.log(`latency probe: ${((Date.now() - startedAt) / 1000).toFixed(0)} s, load1 ${fmt(load1, 2)} -> ${fmt(os.loadavg()[0], 2)}; ` +
    VARIANTS.map(({ key }) => (isKroxylicious(key) ? `Kroxylicious ${key} received ${d[key].messages} requests on 1 connection`
      : `Envoy ${key} moved ${fmt((d[key].rx + d[key].tx) / 1e6, 1)} MB on 1 connection`) +
      (countsFrames(key) ? `, filter parsed ${fmt(100 * d[key].filterBytes / (d[key].rx + d[key].tx), 1)}%` : "") +
      (VARIANT[key].tls ? `, ${d[key].handshakes} TLS handshake` : "")).join("; "));
  console.log(latencyReport(samples, probe, context));
}

// ---------------------------------------------------------------- main

async function main() {
  const command = commandLine();
  const nproc = os.availableParallelism?.() ?? os.cpus().length;
  const loadStart = loadAverage();
  console.log(`# Kafka proxy benchmark (${options.latency ? "latency" : "throughput"}): Envoy tcp_proxy only vs Envoy + Kafka Wasm filter`);
  console.log("");
  console.log(`command:  ${command}`);
  console.log(`cwd:      ${process.cwd()}`);
  console.log(`date:     ${new Date().toISOString()}`);
  console.log(`machine:  nproc ${nproc}, ${os.cpus()[0]?.model ?? "unknown CPU"}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
    `load average ${loadStart} (1/5/15 min)`);

  fs.rmSync(runDir, { recursive: true, force: true });
  fs.mkdirSync(runDir, { recursive: true });
  log4jFile = path.join(runDir, "tools-log4j2.yaml");
  fs.writeFileSync(log4jFile, QUIET_LOG4J2);

  // A private copy, so that a concurrent rebuild of build/ cannot change what the filter variants run.
  if (!options["no-build"]) buildFilter();
  if (!fs.existsSync(FILTER_WASM)) throw new Error(`${FILTER_WASM} does not exist; build it or drop --no-build`);
  const wasmFile = path.join(runDir, "kafka_filter.wasm");
  fs.copyFileSync(FILTER_WASM, wasmFile);
  const wasmBytes = fs.readFileSync(wasmFile);
  const floorWasmFile = path.join(runDir, "floor-filter.wasm");
  if (options.floor) fs.copyFileSync(buildFloorFilter(), floorWasmFile);
  const wasmSha = crypto.createHash("sha256").update(wasmBytes).digest("hex");

  // --tls: a CA and a server certificate for 127.0.0.1, made for this run; clients trust the CA.
  let ca;
  let serverCert;
  if (options.tls) {
    requireOpenssl();
    ca = createCertificateAuthority(path.join(runDir, "certs"), { subject: "CN=bench-proxy CA,O=Example" });
    serverCert = issueCertificate(ca, "envoy", { subject: "CN=127.0.0.1,O=Example", sans: ["IP:127.0.0.1"], usage: "server" });
  }

  const ports = { direct: await freePort(), controller: await freePort() };
  const clientPorts = {};
  const listenerPorts = {};
  const adminPorts = {};
  for (const { key } of VARIANTS) {
    clientPorts[key] = await freePort();
    listenerPorts[key] = await freePort();
    adminPorts[key] = await freePort();
  }
  const listenerName = (key) => `CLIENT_${key.toUpperCase()}`;
  const rewrites = (key) => options["broker-addresses"] && countsFrames(key);

  const kafka = await startKafka({
    runDir,
    ports: { client: clientPorts.a, direct: ports.direct, controller: ports.controller },
    advertisedPort: listenerPorts.a,
    heap: "1g",
    extraProperties: {
      // One client listener per Envoy, each advertising that Envoy; with
      // --broker-addresses the filter variants' listeners advertise the broker itself, as
      // an existing cluster does, and the filter rewrites it to its own listener.
      "listeners": [...VARIANTS.map(({ key }) => `${listenerName(key)}://127.0.0.1:${clientPorts[key]}`),
        `DIRECT://127.0.0.1:${ports.direct}`, `CONTROLLER://127.0.0.1:${ports.controller}`].join(","),
      // Kroxylicious (k) always rewrites the broker's address, so its listener advertises the broker.
      "advertised.listeners": [...VARIANTS.map(({ key }) => `${listenerName(key)}://127.0.0.1:${rewrites(key) || isKroxylicious(key) ? clientPorts[key] : listenerPorts[key]}`),
        `DIRECT://127.0.0.1:${ports.direct}`].join(","),
      "listener.security.protocol.map": [...VARIANTS.map(({ key }) => `${listenerName(key)}:PLAINTEXT`),
        "DIRECT:PLAINTEXT", "CONTROLLER:PLAINTEXT"].join(","),
      "offsets.topic.num.partitions": "1",
      "log.segment.delete.delay.ms": "1000",
    },
  });
  started.push(kafka);
  kafkaLib = kafka.lib;
  const kafkaVersion = (fs.readdirSync(kafkaLib).find((f) => /^kafka-tools-[\d.]+\.jar$/.test(f)) ?? "").replace(/^kafka-tools-|\.jar$/g, "") || "unknown";

  // (c): rules that allow the benchmark's traffic, so every request is held whole,
  // decoded and decided: the cost of enforcement.
  const aclConfig = {
    acl: {
      mode: "enforce", default: "deny", principal_sources: ["client_id"],
      rules: [
        { name: "bench-topics", effect: "allow", principal: "User:*", resource_type: "topic", pattern_type: "literal", resource_name: "*", operations: ["all"] },
        { name: "bench-groups", effect: "allow", principal: "User:*", resource_type: "group", pattern_type: "literal", resource_name: "*", operations: ["all"] },
        { name: "bench-cluster", effect: "allow", principal: "User:*", resource_type: "cluster", pattern_type: "literal", resource_name: "kafka-cluster", operations: ["all"] },
      ],
    },
  };
  const pluginConfigOf = (key) => {
    const { filter } = VARIANT[key];
    if (filter === "none" || (filter === "metrics" && !rewrites(key))) return undefined; // envoy/envoy.yaml's own
    return {
      stat_prefix: "broker1",
      ...(filter === "acl" ? aclConfig : {}),
      ...(rewrites(key) ? { broker_addresses: { nodes: { 1: `127.0.0.1:${listenerPorts[key]}` } } } : {}),
    };
  };

  const envoys = {};
  for (const { key, filter, tls } of VARIANTS) {
    if (filter === "kroxylicious") {
      const proxy = await startKroxylicious({
        listenerPort: listenerPorts[key], nodePort: await freePort(), managementPort: adminPorts[key], brokerPort: clientPorts[key],
      });
      proxy.child.exited.then(({ code, signal }) => {
        if (!stopping) { console.error(`Kroxylicious exited (${code ?? signal}); see ${proxy.logFile}`); stopAll(1); }
      });
      if (!processName(proxy.child.pid).startsWith("java")) {
        throw new Error(`pid ${proxy.child.pid} is "${processName(proxy.child.pid)}", not Kroxylicious's JVM; its CPU time would be wrong`);
      }
      envoys[key] = proxy;
      continue;
    }
    const config = renderEnvoyConfig({
      listenerPort: listenerPorts[key], adminPort: adminPorts[key], brokerPort: clientPorts[key], wasmFile, pluginConfig: pluginConfigOf(key),
    });
    const chain = config.static_resources.listeners.find((l) => l.name === "kafka").filter_chains[0];
    if (filter === "none") {
      chain.filters = chain.filters.filter((f) => f.name !== "envoy.filters.network.wasm");
      if (chain.filters.length !== 1 || chain.filters[0].name !== "envoy.filters.network.tcp_proxy") {
        throw new Error(`unexpected filter chain for (${key}): ${chain.filters.map((f) => f.name).join(", ")}`);
      }
    }
    if (filter === "floor") {
      const wasm = chain.filters.find((f) => f.name === "envoy.filters.network.wasm");
      const text = JSON.stringify(wasm).split(JSON.stringify(wasmFile)).join(JSON.stringify(floorWasmFile));
      if (!text.includes(floorWasmFile)) throw new Error(`(${key}): the Wasm filter names no module file to replace`);
      Object.assign(wasm, JSON.parse(text));
    }
    if (tls) chain.transport_socket = downstreamTlsTransportSocket({ certFile: serverCert.cert, keyFile: serverCert.key });
    const envoy = await startEnvoy({ runDir, config, concurrency: settings.concurrency, name: `envoy-${key}` });
    started.push(envoy);
    envoy.child.exited.then(({ code, signal }) => {
      if (!stopping) { console.error(`Envoy ${key} exited (${code ?? signal}); see ${envoy.logFile}`); stopAll(1); }
    });
    if (!processName(envoy.child.pid).startsWith("envoy")) {
      throw new Error(`pid ${envoy.child.pid} is "${processName(envoy.child.pid)}", not Envoy; its CPU time would be wrong`);
    }
    envoys[key] = envoy;
  }
  const envoyBinary = fs.readlinkSync(`/proc/${envoys.a.child.pid}/exe`);
  const envoyVersionLine = spawnSync(envoyBinary, ["--version"], { encoding: "utf8" }).stdout;
  const envoyVersion = (/\/(\d+\.\d+\.\d+)\//.exec(envoyVersionLine) ?? [])[1] ?? "unknown";
  const javaVersion = (spawnSync("java", ["-version"], { encoding: "utf8" }).stderr.split("\n")[0] ?? "").trim();

  console.log(`software: Envoy ${envoyVersion} (--concurrency ${settings.concurrency}), Apache Kafka ${kafkaVersion} ` +
    `(single KRaft node, jars from .deps/kafka/lib), ${javaVersion}`);
  console.log(`filter:   ${path.relative(root, FILTER_WASM)} sha256 ${wasmSha.slice(0, 16)}... (${wasmBytes.length} bytes), ` +
    `plugin configuration as in envoy/envoy.yaml${options.acl ? "; (c) adds ACL rules allowing all" : ""}`);
  if (options.latency) {
    console.log(`workload: ${settings.samples} requests per variant and API (Produce ${settings.recordsPerRequest} x ${settings.recordSize} B ` +
      `acks=${settings.acks}, Fetch, Metadata), one in flight, blocks of ${settings.block}, ${settings.latencyWarmup} warm-up requests discarded`);
  } else {
    console.log(`workload: ${settings.records} records x ${settings.recordSize} B per run, acks=${settings.acks}, ` +
      `--throughput ${settings.throughput}, ${settings.partitions} partition(s), fresh topic per run, produce then consume; ` +
      `${settings.rounds} rounds over ${VARIANTS.map((v) => v.key).join(", ")} (reversed every other round); ` +
      (settings.warmupRecords > 0 ? `warm-up ${settings.warmupRecords} records through each first (not reported)` : "no warm-up"));
  }
  for (const { key } of VARIANTS) {
    console.log(`setup:    ${label(key)}: ${isKroxylicious(key) ? "Kroxylicious" : "Envoy"} :${listenerPorts[key]} -> broker ${listenerName(key)} :${clientPorts[key]}`);
  }
  console.log(`run directory ${path.relative(root, runDir)}`);
  console.log("");

  const context = { command, nproc, loadStart, kafkaVersion, envoyVersion };
  const common = { envoys, listenerPorts, directBootstrap: kafka.directBootstrap, ca, context };
  if (options.latency) await latencyMode(common);
  else await throughputMode(common);
}

try {
  await main();
  await stopAll(0);
} catch (error) {
  if (!stopping) console.error(`bench:proxy failed: ${error.stack ?? error.message}`);
  await stopAll(1);
}

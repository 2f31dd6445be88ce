#!/usr/bin/env node
// `npm start`: Kafka behind Envoy with the Kafka filter, on this machine, no Docker.
//
//   npm start                                  builds the filter, starts a fresh KRaft broker and Envoy
//   npm start -- --brokers 3                   a fresh 3-node KRaft cluster (brokers advertising their
//                                              own addresses), fronted by one Envoy listener per broker
//   npm start -- --bootstrap HOST:PORT[,…]     fronts an existing cluster: discovers its brokers and
//                                              gives each one an Envoy listener (cluster mode)
//   npm start -- --broker HOST:PORT            one existing broker that advertises this Envoy itself
//   options: --port 9092 (first Kafka listener)  --admin-port 9901  --config FILE (plugin JSON)
//            --prometheus (also a Prometheus scraping Envoy, deploy/prometheus/prometheus.yml)
//            --prometheus-port 9090 (with --prometheus)  --help
//
// Ctrl-C stops everything it started.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { splitAddress, startKafka, startKafkaCluster } from "./lib/kafka.mjs";
import { freePort } from "./lib/processes.mjs";
import { renderEnvoyConfig, root, startEnvoy } from "./lib/envoy.mjs";
import { buildFilter } from "./lib/build.mjs";
import { discoverBrokers, generateClusterConfig } from "./lib/cluster-config.mjs";
import { requirePrometheus, startPrometheus } from "./lib/prometheus.mjs";
import { usageOf } from "./lib/usage.mjs";

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      broker: { type: "string" },
      bootstrap: { type: "string" },
      brokers: { type: "string" },
      port: { type: "string", default: "9092" },
      "admin-port": { type: "string", default: "9901" },
      config: { type: "string" },
      prometheus: { type: "boolean", default: false },
      "prometheus-port": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  }));
} catch (error) {
  // parseArgs throws a TypeError whose stack would hide the one line that matters.
  console.error(`npm start failed: ${error.message.replace(/\n/g, " ")} (options: README "Quickstart")`);
  process.exit(1);
}

if (options.help) {
  console.log(usageOf(import.meta.url));
  process.exit(0);
}
if (options["prometheus-port"] !== undefined && !options.prometheus) {
  console.error("npm start failed: --prometheus-port needs --prometheus (it is the port of the Prometheus that --prometheus starts)");
  process.exit(1);
}
options["prometheus-port"] ??= "9090";

/** A --port style option as a port number; exits naming the option otherwise. */
function portOption(name) {
  const port = Number(options[name]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`npm start failed: --${name} must be a port number, got "${options[name]}"`);
    process.exit(1);
  }
  return port;
}
const listenerPort = portOption("port");
const adminPort = portOption("admin-port");
const prometheusPort = portOption("prometheus-port");
const runDir = path.join(root, ".run/stack");
const started = [];
let stopping = false;

// One stack per checkout: a second one would delete the first's Kafka data and Envoy
// directories under .run/stack before failing to bind its ports.
const lockFile = path.join(root, ".run/stack.pid");
fs.mkdirSync(path.dirname(lockFile), { recursive: true });
const holder = fs.existsSync(lockFile) ? Number(fs.readFileSync(lockFile, "utf8")) : 0;
if (holder > 0 && holder !== process.pid && isAlive(holder)) {
  console.error(`npm start failed: another npm start (pid ${holder}) is running in this checkout (${lockFile}); stop it first`);
  process.exit(1);
}
fs.writeFileSync(lockFile, String(process.pid));

function isAlive(pid) {
  try { process.kill(pid, 0); return true; } catch (error) { return error.code === "EPERM"; }
}

async function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  for (const component of started.reverse()) await component.stop().catch(() => {});
  try { if (Number(fs.readFileSync(lockFile, "utf8")) === process.pid) fs.rmSync(lockFile); } catch { /* already gone */ }
  process.exit(exitCode);
}
process.on("SIGINT", () => stopAll(0));
process.on("SIGTERM", () => stopAll(0));

/** Cluster mode: discover the brokers behind `bootstrap`, generate and validate the configuration. */
async function clusterConfig(bootstrap, wasmFile, pluginConfig) {
  const { brokers } = await discoverBrokers(bootstrap);
  const { config, listeners } = generateClusterConfig({
    brokers, firstPort: listenerPort, adminPort, listenAddress: "127.0.0.1", wasmFile, pluginConfig,
    validateFile: path.join(runDir, "envoy-cluster.yaml"),
  });
  for (const l of listeners) console.log(`  node ${l.nodeId}: ${l.advertised} -> broker ${l.upstream}`);
  return { config, bootstrapServers: listeners.map((l) => l.advertised).join(",") };
}

try {
  const modes = ["broker", "bootstrap", "brokers"].filter((m) => options[m] !== undefined);
  if (modes.length > 1) throw new Error(`--${modes.join(" and --")} cannot be combined`);
  const wasmFile = buildFilter();
  const pluginConfig = options.config ? fs.readFileSync(options.config, "utf8") : undefined;
  let config;
  let bootstrapServers = `127.0.0.1:${listenerPort}`;
  if (options.bootstrap) {
    console.log(`Discovering the brokers of the cluster at ${options.bootstrap}:`);
    ({ config, bootstrapServers } = await clusterConfig(options.bootstrap, wasmFile, pluginConfig));
  } else if (options.brokers) {
    const count = Number(options.brokers);
    if (!Number.isInteger(count) || count < 1 || count > 9) throw new Error(`--brokers must be 1..9, got "${options.brokers}"`);
    const cluster = await startKafkaCluster({ runDir, nodes: count });
    started.push(cluster);
    console.log(`Kafka cluster started: ${count} node(s) at ${cluster.bootstrap} (data and logs in ${runDir}/kafka-N)`);
    ({ config, bootstrapServers } = await clusterConfig(cluster.bootstrap, wasmFile, pluginConfig));
  } else {
    let brokerHost = "127.0.0.1";
    let brokerPort;
    if (options.broker) {
      try { [brokerHost, brokerPort] = splitAddress(options.broker); } catch (error) { throw new Error(`--broker: ${error.message}`); }
      console.log(`Using the existing broker at ${options.broker}. It must advertise ` +
        `127.0.0.1:${listenerPort} (this Envoy) for clients to stay on the proxy after Metadata; ` +
        "for a cluster whose brokers advertise themselves, use --bootstrap.");
    } else {
      // Free ports, not fixed ones: a fixed Kafka port could be the --port or --admin-port asked for.
      const ports = { client: await freePort(), controller: await freePort(), direct: await freePort() };
      const kafka = await startKafka({ runDir, ports, advertisedPort: listenerPort });
      started.push(kafka);
      brokerPort = ports.client;
      console.log(`Kafka started (data in ${kafka.dataDir}, log ${kafka.logFile}; ` +
        `the broker directly, bypassing the proxy: 127.0.0.1:${ports.direct})`);
    }
    config = renderEnvoyConfig({ listenerPort, adminPort, brokerHost, brokerPort, wasmFile, pluginConfig });
  }
  const envoy = await startEnvoy({ runDir, config });
  started.push(envoy);
  envoy.child.exited.then(({ code }) => {
    if (!stopping) { console.error(`Envoy exited (${code}); see ${envoy.logFile}`); stopAll(1); }
  });
  let prometheusLines = "";
  if (options.prometheus) {
    console.log(`Prometheus: ${requirePrometheus()}`);
    const prometheus = await startPrometheus({ runDir, port: prometheusPort, targets: [`127.0.0.1:${adminPort}`] });
    started.push(prometheus);
    prometheus.child.exited.then(({ code }) => {
      if (!stopping) { console.error(`Prometheus exited (${code}); see ${prometheus.logFile}`); stopAll(1); }
    });
    const graph = `${prometheus.url}/graph?${new URLSearchParams({ "g0.expr": "sum by (kafka_api) (rate(kafka_api_requests[1m]))", "g0.tab": "0" })}`;
    prometheusLines = `
  Prometheus:        ${prometheus.url}   (scraping ${envoy.admin}/stats/prometheus; request rate per API: ${graph})
  Prometheus log:    ${prometheus.logFile}`;
  }
  const first = bootstrapServers.split(",")[0];
  console.log(`
Kafka filter stack is up.
  bootstrap servers: ${bootstrapServers}   (try: kcat -b ${first} -L)
  metrics:           ${envoy.admin}/stats?filter=wasmcustom   and   ${envoy.admin}/stats/prometheus
  Envoy log:         ${envoy.logFile}${prometheusLines}
Press Ctrl-C to stop.`);
} catch (error) {
  console.error(`npm start failed: ${error.message}`);
  await stopAll(1);
}

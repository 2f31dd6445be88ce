#!/usr/bin/env node
// `npm start`: Kafka behind Envoy with the Kafka filter, on this machine, no Docker.
//
//   npm start                          builds the filter, starts a fresh KRaft broker and Envoy
//   npm start -- --broker HOST:PORT    puts Envoy in front of an existing broker instead
//   options: --port 9092 (Kafka listener)  --admin-port 9901  --config FILE (plugin JSON)
//
// Ctrl-C stops everything it started.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { startKafka } from "./lib/kafka.mjs";
import { renderEnvoyConfig, root, startEnvoy } from "./lib/envoy.mjs";
import { buildFilter } from "./lib/build.mjs";

const { values: options } = parseArgs({
  options: {
    broker: { type: "string" },
    port: { type: "string", default: "9092" },
    "admin-port": { type: "string", default: "9901" },
    config: { type: "string" },
  },
});

const listenerPort = Number(options.port);
const adminPort = Number(options["admin-port"]);
const runDir = path.join(root, ".run/stack");
const started = [];
let stopping = false;

async function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  for (const component of started.reverse()) await component.stop().catch(() => {});
  process.exit(exitCode);
}
process.on("SIGINT", () => stopAll(0));
process.on("SIGTERM", () => stopAll(0));

try {
  const wasmFile = buildFilter();
  let brokerHost = "127.0.0.1";
  let brokerPort = 19092;
  if (options.broker) {
    const [host, port] = options.broker.split(":");
    if (!host || !Number(port)) throw new Error(`--broker must be HOST:PORT, got "${options.broker}"`);
    [brokerHost, brokerPort] = [host, Number(port)];
    console.log(`Using the existing broker at ${options.broker}. It must advertise ` +
      `127.0.0.1:${listenerPort} (this Envoy) for clients to stay on the proxy after Metadata.`);
  } else {
    const kafka = await startKafka({
      runDir, ports: { client: 19092, controller: 19093, direct: 19094 }, advertisedPort: listenerPort,
    });
    started.push(kafka);
    console.log(`Kafka started (data in ${kafka.dataDir}, log ${kafka.logFile})`);
  }
  const pluginConfig = options.config ? fs.readFileSync(options.config, "utf8") : undefined;
  const envoy = await startEnvoy({
    runDir,
    config: renderEnvoyConfig({ listenerPort, adminPort, brokerHost, brokerPort, wasmFile, pluginConfig }),
  });
  started.push(envoy);
  envoy.child.exited.then(({ code }) => {
    if (!stopping) { console.error(`Envoy exited (${code}); see ${envoy.logFile}`); stopAll(1); }
  });
  console.log(`
Kafka filter stack is up.
  bootstrap servers: 127.0.0.1:${listenerPort}   (try: kcat -b 127.0.0.1:${listenerPort} -L)
  metrics:           ${envoy.admin}/stats?filter=wasmcustom   and   ${envoy.admin}/stats/prometheus
  Envoy log:         ${envoy.logFile}
Press Ctrl-C to stop.`);
} catch (error) {
  console.error(`npm start failed: ${error.message}`);
  await stopAll(1);
}

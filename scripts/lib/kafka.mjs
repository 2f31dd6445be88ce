// Runs Apache Kafka from the Maven Central jars as a single KRaft node on loopback,
// with a fresh data directory each time.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { isPortOpen, runInstaller, startProcess, stopProcess, tail, waitFor } from "./processes.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * A KRaft cluster id: 16 random bytes, URL-safe base64 without padding, as Kafka prints
 * them. Like Kafka's own Uuid.randomUuid, never one starting with '-', which command-line
 * parsers (kafka-storage's included) would take for an option.
 */
function newClusterId() {
  for (;;) {
    const id = crypto.randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

function brokerProperties({ dataDir, ports, advertisedPort, extra }) {
  const lines = {
    "process.roles": "broker,controller",
    "node.id": "1",
    "controller.quorum.voters": `1@127.0.0.1:${ports.controller}`,
    // CLIENT is what Envoy forwards to; it advertises the Envoy listener so that clients
    // that follow Metadata stay on the proxy. DIRECT advertises itself, for tests and
    // tools that must bypass the proxy (for example to check what really landed).
    "listeners": `CLIENT://127.0.0.1:${ports.client},DIRECT://127.0.0.1:${ports.direct},CONTROLLER://127.0.0.1:${ports.controller}`,
    "advertised.listeners": `CLIENT://127.0.0.1:${advertisedPort},DIRECT://127.0.0.1:${ports.direct}`,
    "listener.security.protocol.map": "CLIENT:PLAINTEXT,DIRECT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "inter.broker.listener.name": "DIRECT",
    "controller.listener.names": "CONTROLLER",
    "log.dirs": path.join(dataDir, "log"),
    "num.partitions": "1",
    "offsets.topic.replication.factor": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "group.initial.rebalance.delay.ms": "0",
    "auto.create.topics.enable": "true",
    ...extra,
  };
  return Object.entries(lines).map(([key, value]) => `${key}=${value}`).join("\n") + "\n";
}

const LOG4J2 = `Configuration:
  status: warn
  Appenders:
    Console:
      name: stdout
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: info
      AppenderRef:
        - ref: stdout
    Logger:
      - name: kafka.request.logger
        level: warn
      - name: org.apache.kafka.controller
        level: warn
`;

/**
 * Starts a broker. `advertisedPort` is the Envoy listener port the broker tells
 * clients to use. Returns { ports, dataDir, logFile, directBootstrap, stop() }.
 */
export async function startKafka({ runDir, ports, advertisedPort, extraProperties = {}, heap = "768m" }) {
  const lib = runInstaller("Apache Kafka (Maven Central)", path.join(root, "scripts/install-kafka.sh"));
  if (spawnSync("java", ["-version"]).status !== 0) throw new Error("Apache Kafka needs java, which is not installed");
  const dataDir = path.join(runDir, "kafka");
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  const propertiesFile = path.join(dataDir, "server.properties");
  fs.writeFileSync(propertiesFile, brokerProperties({ dataDir, ports, advertisedPort, extra: extraProperties }));
  const log4jFile = path.join(dataDir, "log4j2.yaml");
  fs.writeFileSync(log4jFile, LOG4J2);
  const logFile = path.join(dataDir, "kafka.log");
  const classpath = `${lib}/*`;
  const jvm = [`-Xms${heap}`, `-Xmx${heap}`, "-XX:+UseG1GC", `-Dlog4j2.configurationFile=${log4jFile}`, "-cp", classpath];

  const format = spawnSync("java", [...jvm, "kafka.tools.StorageTool", "format", "--config", propertiesFile,
    "--cluster-id", newClusterId(), "--ignore-formatted"], { encoding: "utf8" });
  if (format.status !== 0) {
    throw new Error(`kafka-storage format failed (exit ${format.status}):\n${format.stdout}\n${format.stderr}`);
  }

  const child = startProcess("kafka", "java", [...jvm, "kafka.Kafka", propertiesFile], { logFile });
  let exited = false;
  child.exited.then(() => { exited = true; });
  await waitFor(`Kafka on 127.0.0.1:${ports.direct}`, async () => {
    if (exited) throw new Error(`Kafka exited during start-up:\n${tail(logFile)}`);
    return fs.existsSync(logFile) && fs.readFileSync(logFile, "utf8").includes("Kafka Server started") &&
      (await isPortOpen(ports.client)) && (await isPortOpen(ports.direct));
  }, { timeoutMs: 90000, hint: () => `\n${tail(logFile)}` });

  return {
    ports,
    dataDir,
    logFile,
    lib,
    directBootstrap: `127.0.0.1:${ports.direct}`,
    stop: () => stopProcess(child, 15000),
  };
}

// Runs Apache Kafka from the Maven Central jars as KRaft nodes on loopback, with a
// fresh data directory each run: one node (startKafka: the single-broker stack whose
// client listener advertises Envoy) or a multi-node cluster (startKafkaCluster: brokers
// advertising their own addresses, as any existing cluster does).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort, isPortOpen, runInstaller, startProcess, stopProcess, tail, waitFor } from "./processes.mjs";

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

/** Settings every node of these local clusters shares; `replication` sizes the internal topics. */
function commonProperties({ dataDir, replication }) {
  const minIsr = String(Math.min(2, replication));
  return {
    "log.dirs": path.join(dataDir, "log"),
    "num.partitions": "1",
    "offsets.topic.replication.factor": String(replication),
    "transaction.state.log.replication.factor": String(replication),
    "transaction.state.log.min.isr": minIsr,
    "share.coordinator.state.topic.replication.factor": String(replication),
    "share.coordinator.state.topic.min.isr": minIsr,
    "group.initial.rebalance.delay.ms": "0",
    "auto.create.topics.enable": "true",
  };
}

function renderProperties(lines) {
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

/** The Kafka jars (installed on first use) and a JDK, or an error naming what is missing. */
function kafkaLib() {
  const lib = runInstaller("Apache Kafka (Maven Central)", path.join(root, "scripts/install-kafka.sh"));
  if (spawnSync("java", ["-version"]).status !== 0) throw new Error("Apache Kafka needs java, which is not installed");
  return lib;
}

function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => { output += d; });
    child.stderr.on("data", (d) => { output += d; });
    child.on("error", (error) => resolve({ status: -1, output: error.message }));
    child.on("close", (status) => resolve({ status, output }));
  });
}

/**
 * One KRaft node: its server.properties, storage formatted once, and a JVM that can be
 * started, stopped gracefully (SIGTERM: controlled shutdown), killed (SIGKILL) and
 * started again on the same data. `readyAddress` is the host:port whose listener must
 * accept connections before the node counts as up.
 */
class KafkaNode {
  constructor({ nodeId, dataDir, properties, readyAddress, lib, heap }) {
    Object.assign(this, { nodeId, dataDir, readyAddress, lib, heap });
    this.propertiesFile = path.join(dataDir, "server.properties");
    this.logFile = path.join(dataDir, "kafka.log");
    this.log4jFile = path.join(dataDir, "log4j2.yaml");
    this.child = null;
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(this.propertiesFile, renderProperties(properties));
    fs.writeFileSync(this.log4jFile, LOG4J2);
  }

  jvm() {
    return [`-Xms${this.heap}`, `-Xmx${this.heap}`, "-XX:+UseG1GC", `-Dlog4j2.configurationFile=${this.log4jFile}`,
      "-cp", `${this.lib}/*`];
  }

  /** Formats the storage; `scramCredentials` as startKafka's, written into the bootstrap metadata (KIP-900). */
  async format(clusterId, scramCredentials = []) {
    const scram = scramCredentials.flatMap(({ mechanism, name, password }) => {
      if (!/^SCRAM-SHA-(256|512)$/.test(mechanism)) throw new Error(`SCRAM credentials need SCRAM-SHA-256 or SCRAM-SHA-512, got "${mechanism}"`);
      // kafka-storage parses the bracketed list itself: a value must not contain its separators.
      if (!/^[^,=\[\]"]+$/.test(name) || !/^[^,=\[\]"]+$/.test(password)) throw new Error(`SCRAM user "${name}": names and passwords here may not hold , = [ ] or "`);
      return ["--add-scram", `${mechanism}=[name=${name},password=${password}]`];
    });
    const { status, output } = await run("java", [...this.jvm(), "kafka.tools.StorageTool", "format",
      "--config", this.propertiesFile, "--cluster-id", clusterId, "--ignore-formatted", ...scram]);
    if (status !== 0) throw new Error(`kafka-storage format of node ${this.nodeId} failed (exit ${status}):\n${output}`);
  }

  get running() { return this.child !== null && this.child.exitCode === null && this.child.signalCode === null; }

  /** Starts the JVM; `ready` resolves once it logged "Kafka Server started" and its client listener accepts. */
  start() {
    if (this.running) throw new Error(`Kafka node ${this.nodeId} is already running`);
    const logStart = fs.existsSync(this.logFile) ? fs.statSync(this.logFile).size : 0;
    this.child = startProcess(`kafka-${this.nodeId}`, "java", [...this.jvm(), "kafka.Kafka", this.propertiesFile],
      { logFile: this.logFile });
    const child = this.child;
    let exited = false;
    child.exited.then(() => { exited = true; });
    const [host, port] = splitAddress(this.readyAddress);
    const logSince = () => {
      const fd = fs.openSync(this.logFile, "r");
      try {
        const size = fs.fstatSync(fd).size;
        const buffer = Buffer.alloc(Math.max(0, size - logStart));
        fs.readSync(fd, buffer, 0, buffer.length, logStart);
        return buffer.toString("utf8");
      } finally { fs.closeSync(fd); }
    };
    this.ready = waitFor(`Kafka node ${this.nodeId} on ${this.readyAddress}`, async () => {
      if (exited) throw new Error(`Kafka node ${this.nodeId} exited during start-up:\n${tail(this.logFile)}`);
      return logSince().includes("Kafka Server started") && (await isPortOpen(port, host));
    }, { timeoutMs: 120000, hint: () => `\n${tail(this.logFile)}` });
    return this.ready;
  }

  /** Graceful stop: SIGTERM (Kafka's controlled shutdown), SIGKILL after `graceMs`. */
  async stop(graceMs = 15000) {
    await stopProcess(this.child, graceMs);
  }

  /** SIGKILL, as a crashed machine: no controlled shutdown, no leadership handed over. */
  async kill() {
    if (!this.running) return;
    this.child.kill("SIGKILL");
    await this.child.exited;
  }
}

/**
 * "host:port" (or "[v6]:port") as [host, port], brackets removed; throws naming the text
 * unless the port is an integer 1-65535 and the host is non-empty.
 */
export function splitAddress(address) {
  const at = address.lastIndexOf(":");
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, "$1");
  const port = Number(address.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a HOST:PORT address: "${address}"`);
  return [host, port];
}

/**
 * Starts a single broker. `advertisedPort` is the Envoy listener port the broker tells
 * clients to use. `scramCredentials` ([{ mechanism: "SCRAM-SHA-256" | "SCRAM-SHA-512",
 * name, password }]) are created when the storage is formatted (kafka-storage format
 * --add-scram, KIP-900), so SCRAM users can log in from the first start.
 * `extraListeners` ([{ name, port, advertised: "host:port" }]) are further client
 * listeners on 127.0.0.1 (their security protocols go in `extraProperties`'
 * listener.security.protocol.map), e.g. a SASL_SSL one behind a second Envoy.
 * Returns { ports, dataDir, logFile, lib, directBootstrap, stop(), start() }: stop() is
 * graceful (SIGTERM, controlled shutdown); start() starts the broker again on the same
 * data and ports and resolves once it serves.
 */
export async function startKafka({ runDir, ports, advertisedPort, extraProperties = {}, scramCredentials = [], extraListeners = [], heap = "768m" }) {
  const lib = kafkaLib();
  const dataDir = path.join(runDir, "kafka");
  const properties = {
    "process.roles": "broker,controller",
    "node.id": "1",
    "controller.quorum.voters": `1@127.0.0.1:${ports.controller}`,
    // CLIENT is what Envoy forwards to; it advertises the Envoy listener so that clients
    // that follow Metadata stay on the proxy. DIRECT advertises itself, for tests and
    // tools that must bypass the proxy (for example to check what really landed).
    "listeners": [`CLIENT://127.0.0.1:${ports.client}`, `DIRECT://127.0.0.1:${ports.direct}`, `CONTROLLER://127.0.0.1:${ports.controller}`,
      ...extraListeners.map((l) => `${l.name}://127.0.0.1:${l.port}`)].join(","),
    "advertised.listeners": [`CLIENT://127.0.0.1:${advertisedPort}`, `DIRECT://127.0.0.1:${ports.direct}`,
      ...extraListeners.map((l) => `${l.name}://${l.advertised}`)].join(","),
    "listener.security.protocol.map": "CLIENT:PLAINTEXT,DIRECT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "inter.broker.listener.name": "DIRECT",
    "controller.listener.names": "CONTROLLER",
    ...commonProperties({ dataDir, replication: 1 }),
    ...extraProperties,
  };
  const node = new KafkaNode({ nodeId: 1, dataDir, properties, readyAddress: `127.0.0.1:${ports.direct}`, lib, heap });
  await node.format(newClusterId(), scramCredentials);
  try {
    await node.start();
    if (!(await isPortOpen(ports.client))) throw new Error(`Kafka's CLIENT listener 127.0.0.1:${ports.client} does not accept connections`);
  } catch (error) {
    await node.kill();
    throw error;
  }
  return {
    ports,
    dataDir,
    logFile: node.logFile,
    lib,
    directBootstrap: `127.0.0.1:${ports.direct}`,
    stop: () => node.stop(),
    start: () => node.start(),
  };
}

/**
 * Starts an N-node KRaft cluster on loopback, every node a broker; nodes 1..min(3, N)
 * are also the controller quorum's voters (combined roles, KIP-833's static voters).
 * Like any existing cluster, each broker advertises ITS OWN address on its client
 * listener (CLIENT://host:port), and the brokers replicate over a separate listener
 * (REPLICATION) so that the client port carries client traffic only.
 *
 *  - `hosts`: one loopback address per node (default all 127.0.0.1). Distinct ones
 *    (127.0.0.2, .3, ...) make each broker's address unique in captured bytes.
 *  - `clientPorts`: optional fixed client ports (default free ones).
 *  - replication factor and min.insync.replicas default to 3 and 2 (capped at N) for
 *    new topics and the internal ones.
 *
 * Returns { nodes: [{ nodeId, host, clientPort, address, dataDir, logFile, running,
 * start(), stop(), kill() }], bootstrap ("host:port,…" of the client listeners),
 * node(id), stop() }. Nodes of a failed start are killed before the error is thrown.
 */
export async function startKafkaCluster({ runDir, nodes: count = 3, hosts, clientPorts, extraProperties = {}, heap = "512m" }) {
  if (!Number.isInteger(count) || count < 1) throw new Error(`a cluster needs at least one node, got ${count}`);
  const lib = kafkaLib();
  const replication = Math.min(3, count);
  const specs = [];
  for (let i = 0; i < count; i++) {
    specs.push({
      nodeId: i + 1,
      host: hosts?.[i] ?? "127.0.0.1",
      client: clientPorts?.[i] ?? await freePort(),
      replication: await freePort(),
      controller: await freePort(),
    });
  }
  const voters = specs.slice(0, replication).map((s) => `${s.nodeId}@${s.host}:${s.controller}`).join(",");
  const nodes = specs.map((spec) => {
    const voter = spec.nodeId <= replication;
    const dataDir = path.join(runDir, `kafka-${spec.nodeId}`);
    const listeners = [`CLIENT://${spec.host}:${spec.client}`, `REPLICATION://${spec.host}:${spec.replication}`];
    if (voter) listeners.push(`CONTROLLER://${spec.host}:${spec.controller}`);
    const properties = {
      "process.roles": voter ? "broker,controller" : "broker",
      "node.id": String(spec.nodeId),
      "controller.quorum.voters": voters,
      "listeners": listeners.join(","),
      "advertised.listeners": `CLIENT://${spec.host}:${spec.client},REPLICATION://${spec.host}:${spec.replication}`,
      "listener.security.protocol.map": "CLIENT:PLAINTEXT,REPLICATION:PLAINTEXT,CONTROLLER:PLAINTEXT",
      "inter.broker.listener.name": "REPLICATION",
      "controller.listener.names": "CONTROLLER",
      ...commonProperties({ dataDir, replication }),
      "default.replication.factor": String(replication),
      "min.insync.replicas": String(Math.min(2, replication)),
      // Fewer internal partitions start faster; coordinators still spread over the brokers.
      "offsets.topic.num.partitions": "6",
      "transaction.state.log.num.partitions": "6",
      // A killed broker is fenced, and its partitions move, within seconds.
      "broker.heartbeat.interval.ms": "1000",
      "broker.session.timeout.ms": "6000",
      ...extraProperties,
    };
    const node = new KafkaNode({ nodeId: spec.nodeId, dataDir, properties, readyAddress: `${spec.host}:${spec.client}`, lib, heap });
    node.host = spec.host;
    node.clientPort = spec.client;
    node.address = `${spec.host}:${spec.client}`;
    return node;
  });
  const stop = async () => { await Promise.all(nodes.map((n) => n.stop().catch(() => {}))); };
  try {
    const clusterId = newClusterId();
    await Promise.all(nodes.map((n) => n.format(clusterId)));
    // The voters must come up together: none finishes starting without a quorum.
    await Promise.all(nodes.map((n) => n.start()));
  } catch (error) {
    await Promise.all(nodes.map((n) => n.kill().catch(() => {})));
    throw error;
  }
  return {
    nodes,
    lib,
    bootstrap: nodes.map((n) => n.address).join(","),
    node: (id) => {
      const found = nodes.find((n) => n.nodeId === id);
      if (!found) throw new Error(`no Kafka node ${id} in this cluster`);
      return found;
    },
    stop,
  };
}

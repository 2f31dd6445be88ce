#!/usr/bin/env node
// Captures the fuzzer's seed corpus: real Kafka clients (kcat/librdkafka, kafkajs and
// the Java console tools) talking to a real broker through a recording TCP relay.
// Each client connection becomes two files in tests/fuzz/corpus/:
//   NNN.request.bin   the bytes the client sent (complete frames only)
//   NNN.response.bin  the bytes the broker answered
// plus index.json describing them. The broker advertises the relay's port, so
// clients that follow Metadata to the broker stay on the relay.
//
//   node tests/fuzz/capture-corpus.mjs [--out tests/fuzz/corpus] [--no-java]
//
// Connections are trimmed so the corpus stays small: whole request/response pairs
// are kept in order until a connection reaches CONNECTION_BUDGET bytes, and a frame
// larger than FRAME_LIMIT ends the kept part. What is kept is never edited.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { startKafka } from "../../scripts/lib/kafka.mjs";
import { freePort, waitFor, sleep } from "../../scripts/lib/processes.mjs";
import { causalOrder, requestFields, splitFrames } from "./frames.mjs";
import { apiNameOf } from "./api-names.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");

const CONNECTION_BUDGET = 40 * 1024;
const FRAME_LIMIT = 24 * 1024;
const TOTAL_BUDGET = 900 * 1024;
const MESSAGES = 20;

const args = process.argv.slice(2);
const outDir = path.resolve(args.includes("--out") ? args[args.indexOf("--out") + 1] : path.join(here, "corpus"));
const withJava = !args.includes("--no-java");

// ---------------------------------------------------------------------------
// The recording relay.

function startCaptureRelay({ upstreamPort }) {
  const connections = [];
  const sockets = new Set();
  let label = "setup";
  const server = net.createServer((client) => {
    const record = { id: connections.length, label, request: [], response: [], closed: false };
    connections.push(record);
    const broker = net.connect(upstreamPort, "127.0.0.1");
    sockets.add(client).add(broker);
    client.on("data", (chunk) => { record.request.push(Buffer.from(chunk)); broker.write(chunk); });
    broker.on("data", (chunk) => { record.response.push(Buffer.from(chunk)); client.write(chunk); });
    client.on("end", () => broker.end());
    broker.on("end", () => client.end());
    client.on("error", () => broker.destroy());
    broker.on("error", () => client.destroy());
    const closed = () => { sockets.delete(client); sockets.delete(broker); record.closed = true; };
    client.on("close", () => { closed(); broker.destroy(); });
    broker.on("close", () => { closed(); client.destroy(); });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({
      port: server.address().port,
      connections,
      setLabel: (value) => { label = value; },
      openCount: () => connections.filter((c) => !c.closed).length,
      stop: () => new Promise((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
    }));
  });
}

// ---------------------------------------------------------------------------
// Clients.

function run(command, commandArgs, { input = "", timeoutMs = 90000, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${commandArgs.join(" ")} timed out after ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    child.on("error", (error) => { clearTimeout(timer); reject(error); });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`${command} ${commandArgs.join(" ")} exited with ${code}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
    child.stdin.end(input);
  });
}

const lines = (prefix) => Array.from({ length: MESSAGES }, (_, i) => `${prefix}-key-${i}\t${prefix} message ${i}\n`).join("");

async function kcatSteps(step, bootstrap) {
  const topic = "corpus-kcat";
  await step("kcat metadata", () => run("kcat", ["-b", bootstrap, "-L"]));
  await step("kcat produce acks=all", () => run("kcat", ["-b", bootstrap, "-t", topic, "-P", "-K", "\t", "-X", "acks=all"], { input: lines("kcat") }));
  await step("kcat produce acks=0", () => run("kcat", ["-b", bootstrap, "-t", topic, "-P", "-K", "\t", "-X", "acks=0",
    "-X", "linger.ms=0", "-X", "batch.num.messages=4"], { input: lines("kcat0") }));
  await step("kcat consume", () => run("kcat", ["-b", bootstrap, "-t", topic, "-C", "-o", "beginning", "-c", String(MESSAGES), "-e", "-q",
    "-X", "message.max.bytes=8192", "-X", "fetch.max.bytes=16384", "-X", "fetch.message.max.bytes=4096"]));
  await step("kcat group consume", () => run("kcat", ["-b", bootstrap, "-G", "corpus-kcat-group", topic, "-c", String(MESSAGES), "-q",
    "-X", "auto.offset.reset=earliest", "-X", "message.max.bytes=8192", "-X", "fetch.max.bytes=16384", "-X", "fetch.message.max.bytes=4096"]));
}

async function kafkajsSteps(step, bootstrap) {
  const topic = "corpus-kafkajs";
  const kafka = new Kafka({ clientId: "corpus-kafkajs", brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await step("kafkajs admin create", async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }, { topic: "corpus-kafkajs-doomed" }], waitForLeaders: true });
    await admin.listTopics();
    await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.describeCluster();
    await admin.describeConfigs({ resources: [{ type: 2, name: topic }], includeSynonyms: false });
  });
  await step("kafkajs produce", async () => {
    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: MESSAGES }, (_, i) => ({ key: `kafkajs-key-${i}`, value: `kafkajs message ${i}` }));
    await producer.send({ topic, acks: -1, messages: messages.slice(0, 10) });
    await producer.send({ topic, acks: 1, messages: messages.slice(10) });
    await producer.send({ topic, acks: 0, messages: [{ value: "fire and forget" }] });
    await producer.disconnect();
  });
  await step("kafkajs idempotent/transactional produce", async () => {
    const producer = kafka.producer({ transactionalId: "corpus-txn", idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic, messages: [{ key: "txn", value: "in a transaction" }] });
    await txn.commit();
    await producer.disconnect();
  });
  await step("kafkajs group consume", async () => {
    const consumer = kafka.consumer({ groupId: "corpus-kafkajs-group", sessionTimeout: 10000, heartbeatInterval: 500, maxBytesPerPartition: 8192, maxBytes: 16384 });
    let received = 0;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async () => { received++; } });
    await waitFor("kafkajs consumer messages", () => received >= MESSAGES, { timeoutMs: 60000 });
    await sleep(1500); // a few heartbeats and an offset commit
    await consumer.disconnect();
  });
  await step("kafkajs admin inspect and delete", async () => {
    await admin.describeGroups(["corpus-kafkajs-group"]);
    await admin.fetchOffsets({ groupId: "corpus-kafkajs-group", topics: [topic] });
    await admin.fetchTopicOffsets(topic);
    await admin.deleteTopics({ topics: ["corpus-kafkajs-doomed"] });
    await admin.disconnect();
  });
}

async function javaSteps(step, bootstrap, lib) {
  const topic = "corpus-java";
  const classpath = `${lib}/*`;
  const jvm = ["-Xmx256m", "-Dlog4j2.rootLogger.level=error", "-cp", classpath];
  await step("java console producer", () => run("java", [...jvm, "org.apache.kafka.tools.ConsoleProducer",
    "--bootstrap-server", bootstrap, "--topic", topic], { input: lines("java") }));
  await step("java console consumer (group.protocol=consumer)", () => run("java", [...jvm, "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "--bootstrap-server", bootstrap, "--topic", topic, "--from-beginning", "--max-messages", String(MESSAGES),
    "--group", "corpus-java-group", "--consumer-property", "group.protocol=consumer",
    "--consumer-property", "fetch.max.bytes=16384", "--consumer-property", "max.partition.fetch.bytes=4096"]));
}

// ---------------------------------------------------------------------------
// Trimming and writing.

function concat(chunks) {
  return new Uint8Array(Buffer.concat(chunks));
}

/** Keeps whole frames, in causal order, up to the budgets; never edits a kept frame. */
function trimConnection(requestBytes, responseBytes) {
  const order = causalOrder(requestBytes, responseBytes);
  let requestEnd = 0;
  let responseEnd = 0;
  let kept = 0;
  let trimmed = false;
  for (const s of order) {
    const size = s.end - s.start;
    const isFrame = size >= 4 && (s.dir === "request" ? s.start === requestEnd : s.start === responseEnd);
    if (!isFrame || size > FRAME_LIMIT + 4 || kept + size > CONNECTION_BUDGET) { trimmed = true; break; }
    // A partial trailing frame (the connection was cut) is not a frame of its own.
    const whole = splitFrames((s.dir === "request" ? requestBytes : responseBytes).subarray(s.start, s.end));
    if (whole.end !== size) { trimmed = true; break; }
    if (s.dir === "request") requestEnd = s.end; else responseEnd = s.end;
    kept += size;
  }
  return { request: requestBytes.subarray(0, requestEnd), response: responseBytes.subarray(0, responseEnd), trimmed };
}

function describe(bytes, isRequest) {
  const { frames } = splitFrames(bytes);
  if (!isRequest) return { frames: frames.length };
  const apis = {};
  for (const f of frames) {
    const { apiKey, apiVersion } = requestFields(bytes, f);
    const name = `${apiNameOf(apiKey)}v${apiVersion}`;
    apis[name] = (apis[name] ?? 0) + 1;
  }
  return { frames: frames.length, apis };
}

// ---------------------------------------------------------------------------

async function main() {
  const runDir = path.join(root, ".run/fuzz-capture", `${process.pid}-${Date.now()}`);
  fs.mkdirSync(runDir, { recursive: true });
  const ports = { client: await freePort(), direct: await freePort(), controller: await freePort() };
  // The relay listens first so that the broker can advertise its port.
  const relay = await startCaptureRelay({ upstreamPort: ports.client });
  let kafka;
  const failures = [];
  try {
    kafka = await startKafka({ runDir, ports, advertisedPort: relay.port, heap: "512m" });
    const bootstrap = `127.0.0.1:${relay.port}`;
    const step = async (name, action) => {
      relay.setLabel(name);
      const started = Date.now();
      try {
        await action();
        console.log(`capture: ${name}: ok (${Date.now() - started} ms)`);
      } catch (error) {
        failures.push(`${name}: ${error.message.split("\n")[0]}`);
        console.error(`capture: ${name}: FAILED: ${error.message}`);
      }
      // Let the client's sockets close so that the next step's connections get its label.
      await waitFor("client connections to close", () => relay.openCount() === 0, { timeoutMs: 15000 }).catch(() => {});
    };
    await kcatSteps(step, bootstrap);
    await kafkajsSteps(step, bootstrap);
    if (withJava) await javaSteps(step, bootstrap, kafka.lib);
  } finally {
    await relay.stop();
    await kafka?.stop();
  }
  if (failures.length > 0) throw new Error(`some capture steps failed:\n  ${failures.join("\n  ")}`);

  fs.mkdirSync(outDir, { recursive: true });
  for (const name of fs.readdirSync(outDir)) {
    if (name.endsWith(".bin") || name === "index.json") fs.rmSync(path.join(outDir, name));
  }
  const index = [];
  let total = 0;
  let n = 0;
  for (const c of relay.connections) {
    const { request, response, trimmed } = trimConnection(concat(c.request), concat(c.response));
    if (request.length === 0) continue;
    if (total + request.length + response.length > TOTAL_BUDGET) {
      console.warn(`capture: corpus budget reached, dropping connection ${c.id} (${c.label})`);
      continue;
    }
    const id = String(n++).padStart(3, "0");
    fs.writeFileSync(path.join(outDir, `${id}.request.bin`), request);
    fs.writeFileSync(path.join(outDir, `${id}.response.bin`), response);
    total += request.length + response.length;
    index.push({
      id, client: c.label, trimmed,
      requestBytes: request.length, responseBytes: response.length,
      capturedBytes: c.request.reduce((s, b) => s + b.length, 0) + c.response.reduce((s, b) => s + b.length, 0),
      requests: describe(request, true), responses: describe(response, false),
    });
  }
  fs.writeFileSync(path.join(outDir, "index.json"), JSON.stringify(index, null, 1) + "\n");
  console.log(`capture: wrote ${index.length} connections, ${(total / 1024).toFixed(1)} KiB, to ${path.relative(root, outDir)}`);
}

main().catch((error) => { console.error(error); process.exit(1); });

// Two Envoy replicas behind one shared address (README "Failure behaviour", several
// replicas): a layer-4 round-robin balancer (support/balancer.mjs) in front of two Envoy
// processes, each with the filter and the same ACLs, and a broker advertising the
// balancer's address. Every new client connection lands on the next replica, so a
// client's Metadata can pass through one replica while its Fetch or Produce, naming the
// topic by id, lands on the other, which has not learned the id (ids live in each
// process's proxy-wasm shared data) and answers UNKNOWN_TOPIC_ID. The suite measures what
// the real Java clients do then (the consumer's Fetch v13+ and the producer's Produce
// v13 both name topics by id): for each client, two runs with the balancer's turn
// shifted by one, so that each of the client's connections meets each replica once.
// They must converge: every record read, every record acknowledged exactly once.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { spawn } from "node:child_process";
import { startKafka } from "../../scripts/lib/kafka.mjs";
import { renderEnvoyConfig, startEnvoy } from "../../scripts/lib/envoy.mjs";
import { freePort } from "../../scripts/lib/processes.mjs";
import { filterWasm, newRunDir } from "./support/stack.mjs";
import { kafkaToolsClasspath, kcat, requireKcat } from "./support/clients.mjs";
import { appPolicy, createTopicsDirectly } from "./support/acl.mjs";
import { startBalancer } from "./support/balancer.mjs";
import { topicIdOf, unknownTopicIdAnswers } from "./support/topic-ids.mjs";

const RECORDS = 500;
const CONVERGE_WITHIN_MS = 30000;

let runDir;
let kafka;
let balancer;
const replicas = [];
const figures = { consumer: [], producer: [] };

before(async () => {
  requireKcat();
  runDir = newRunDir("replicas");
  const sharedPort = await freePort();
  const ports = { client: await freePort(), direct: await freePort(), controller: await freePort() };
  // The broker advertises the shared address: clients come back through the balancer.
  kafka = await startKafka({ runDir, ports, advertisedPort: sharedPort, extraProperties: { "auto.create.topics.enable": "false" } });
  for (const name of ["a", "b"]) {
    const listenerPort = await freePort();
    const config = renderEnvoyConfig({ listenerPort, adminPort: await freePort(), brokerPort: ports.client, wasmFile: filterWasm(), pluginConfig: appPolicy() });
    const envoy = await startEnvoy({ runDir, config, name: `envoy-${name}` });
    replicas.push({ name, port: listenerPort, envoy });
  }
  balancer = await startBalancer({ port: sharedPort, upstreams: replicas.map(({ name, port }) => ({ name, port })) });
}, { timeout: 240000 });

after(async () => {
  await balancer?.stop();
  for (const { envoy } of replicas) await envoy.stop().catch(() => {});
  await kafka?.stop().catch(() => {});
  fs.writeFileSync(path.join(runDir ?? ".", "figures.json"), JSON.stringify(figures, null, 2));
  console.log(JSON.stringify(figures));
});

const bootstrap = () => `127.0.0.1:${balancer.port}`;
const jvm = () => ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", kafkaToolsClasspath()];

/**
 * Runs one of Kafka's Verifiable* tools to completion; `onEvent(event, at)` gets each
 * JSON line of its standard output with the time it arrived. Resolves its exit code.
 */
function runTool(className, args, { log, onEvent }) {
  const child = spawn("java", [...jvm(), className, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  child.stderr.pipe(fs.createWriteStream(log));
  readline.createInterface({ input: child.stdout }).on("line", (line) => {
    let event;
    try { event = JSON.parse(line); } catch { return; }
    onEvent(event, Date.now());
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 120000);
  return new Promise((resolve) => child.once("close", (code) => { clearTimeout(timer); resolve(code); }));
}

/** What one client run met: where its connections went, the UNKNOWN_TOPIC_ID answers per replica, and the times. */
function summarize({ api, topicId, startedAt, firstSuccessAt, doneAt, connectionsBefore }) {
  const unknown = Object.fromEntries(replicas.map(({ name, envoy }) => [name, unknownTopicIdAnswers(envoy.logFile, { api, id: topicId })]));
  const all = Object.values(unknown).flat().map((a) => a.at).sort((x, y) => x - y);
  return {
    connections: balancer.connections.slice(connectionsBefore).map((c) => c.upstream).join(""),
    unknownTopicIdAnswers: Object.fromEntries(Object.entries(unknown).map(([name, list]) => [name, list.length])),
    firstSuccessMs: firstSuccessAt - startedAt,
    doneMs: doneAt - startedAt,
    // From the first UNKNOWN_TOPIC_ID the client met to its first success.
    convergedMs: all.length > 0 ? firstSuccessAt - all[0] : 0,
  };
}

for (const shift of [0, 1]) {
  test(`the Java consumer (Fetch by topic id) through two replicas, balancer turn shifted by ${shift}: every record is read, within ${CONVERGE_WITHIN_MS} ms of any UNKNOWN_TOPIC_ID`, { timeout: 180000 }, async () => {
    const topic = `allowed.replicas-consumer-${shift}`;
    await createTopicsDirectly({ direct: kafka.directBootstrap }, [topic]);
    const values = Array.from({ length: RECORDS }, (_, i) => `c${shift}-${i}`);
    const seeded = await kcat(["-b", kafka.directBootstrap, "-P", "-t", topic], { input: `${values.join("\n")}\n` });
    assert.equal(seeded.code, 0, seeded.stderr);
    const topicId = await topicIdOf(kafka.directBootstrap, topic);

    const config = path.join(runDir, "consumer.properties");
    fs.writeFileSync(config, "reconnect.backoff.ms=100\nreconnect.backoff.max.ms=1000\nretry.backoff.ms=100\nretry.backoff.max.ms=1000\n");
    balancer.resetTo(shift);
    const connectionsBefore = balancer.connections.length;
    const read = new Set();
    let firstSuccessAt = null;
    let doneAt = null;
    const startedAt = Date.now();
    const code = await runTool("org.apache.kafka.tools.VerifiableConsumer", [
      "--bootstrap-server", bootstrap(), "--topic", topic, "--group-id", `replicas-${shift}`, "--verbose",
      "--reset-policy", "earliest", "--max-messages", String(RECORDS), "--command-config", config,
    ], {
      log: path.join(runDir, `consumer-${shift}.log`),
      onEvent: (event, at) => {
        if (event.name !== "record_data") return;
        firstSuccessAt ??= at;
        read.add(event.value);
        if (read.size === RECORDS) doneAt ??= at;
      },
    });
    assert.equal(code, 0, `VerifiableConsumer exited ${code}; see ${runDir}/consumer-${shift}.log`);
    assert.deepEqual([...read].sort(), [...values].sort(), "every record read");
    const summary = summarize({ api: "Fetch", topicId, startedAt, firstSuccessAt, doneAt, connectionsBefore });
    figures.consumer.push({ shift, ...summary });
    assert.ok(summary.convergedMs <= CONVERGE_WITHIN_MS, JSON.stringify(summary));
  });
}

for (const shift of [0, 1]) {
  test(`VerifiableProducer (Produce v13, topic by id; acks=all, idempotent) through two replicas, balancer turn shifted by ${shift}: every record acknowledged once, within ${CONVERGE_WITHIN_MS} ms of any UNKNOWN_TOPIC_ID`, { timeout: 180000 }, async () => {
    const topic = `allowed.replicas-producer-${shift}`;
    await createTopicsDirectly({ direct: kafka.directBootstrap }, [topic]);
    const topicId = await topicIdOf(kafka.directBootstrap, topic);
    const config = path.join(runDir, "producer.properties");
    fs.writeFileSync(config, "enable.idempotence=true\nacks=all\nretries=2147483647\nmax.in.flight.requests.per.connection=5\nreconnect.backoff.ms=100\nreconnect.backoff.max.ms=1000\nretry.backoff.ms=100\nretry.backoff.max.ms=1000\nlinger.ms=5\n");
    balancer.resetTo(shift);
    const connectionsBefore = balancer.connections.length;
    const acked = [];
    let sendErrors = 0;
    let firstSuccessAt = null;
    let doneAt = null;
    const startedAt = Date.now();
    const code = await runTool("org.apache.kafka.tools.VerifiableProducer", [
      "--bootstrap-server", bootstrap(), "--topic", topic, "--max-messages", String(RECORDS), "--throughput", "1000",
      "--acks", "-1", "--value-prefix", String(shift), "--command-config", config,
    ], {
      log: path.join(runDir, `producer-${shift}.log`),
      onEvent: (event, at) => {
        if (event.name === "producer_send_error") sendErrors += 1;
        if (event.name !== "producer_send_success") return;
        firstSuccessAt ??= at;
        acked.push(event.value);
        if (acked.length === RECORDS) doneAt ??= at;
      },
    });
    assert.equal(code, 0, `VerifiableProducer exited ${code}; see ${runDir}/producer-${shift}.log`);
    assert.equal(sendErrors, 0, `send errors; see ${runDir}/producer-${shift}.log`);
    assert.equal(acked.length, RECORDS);
    const landed = await kcat(["-b", kafka.directBootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\n"]);
    assert.equal(landed.code, 0, landed.stderr);
    assert.deepEqual(landed.stdout.split("\n").filter(Boolean).sort(), [...acked].sort(), "each acknowledged record on the broker once");
    const warnings = fs.readFileSync(path.join(runDir, `producer-${shift}.log`), "utf8").split("\n").filter((l) => l.includes("UNKNOWN_TOPIC_ID")).length;
    const summary = { ...summarize({ api: "Produce", topicId, startedAt, firstSuccessAt, doneAt, connectionsBefore }), producerLogLinesNamingUnknownTopicId: warnings };
    figures.producer.push({ shift, ...summary });
    assert.ok(summary.convergedMs <= CONVERGE_WITHIN_MS, JSON.stringify(summary));
  });
}

test("across the four runs, the clients did meet replicas that had not learned their topic's id", () => {
  const met = [...figures.consumer, ...figures.producer].map((run) => Object.values(run.unknownTopicIdAnswers).reduce((a, b) => a + b, 0));
  assert.ok(met.some((n) => n > 0), `no run met UNKNOWN_TOPIC_ID: ${JSON.stringify(figures)}`);
});

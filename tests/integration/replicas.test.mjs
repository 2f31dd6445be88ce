// Two Envoy replicas in front of one 3-broker cluster, behind shared addresses (README
// "Failure behaviour", several replicas): both replicas run the generated cluster-mode
// configuration (a listener per broker, the same ACLs), and for each broker a layer-4
// round-robin balancer (support/balancer.mjs) spreads connections over the two replicas'
// listeners for that broker; broker_addresses sends clients to the balancers. Every new
// client connection lands on the next replica, so a
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
import { renderClusterEnvoyConfig, startEnvoy } from "../../scripts/lib/envoy.mjs";
import { freePort, freePortRun, waitFor } from "../../scripts/lib/processes.mjs";
import { filterWasm, newRunDir } from "./support/stack.mjs";
import { startTestCluster } from "./support/cluster.mjs";
import { javaClient, kafkaToolLogLines, kafkaToolLogging, kafkaToolsClasspath, kcat, requireKcat } from "./support/clients.mjs";
import { appPolicy } from "./support/acl.mjs";
import { startBalancer } from "./support/balancer.mjs";
import { unknownTopicIdErrors } from "./support/topic-ids.mjs";

const RECORDS = 600;
const PARTITIONS = 3;
const CONVERGE_WITHIN_MS = 30000;

let runDir;
let cluster;
let balancers = [];
const replicas = [];
const figures = { consumer: [], producer: [] };

before(async () => {
  requireKcat();
  runDir = newRunDir("replicas");
  cluster = await startTestCluster({ runDir, extraProperties: { "auto.create.topics.enable": "false" } });
  const brokers = cluster.nodes.map((n) => ({ nodeId: n.nodeId, host: n.host, port: n.clientPort }));
  const shared = {};
  for (const { nodeId } of brokers) shared[nodeId] = await freePort();
  // Both replicas advertise the shared addresses: clients come back through the balancers.
  const { stat_prefix: _prefix, ...plugin } = appPolicy();
  for (const name of ["a", "b"]) {
    const firstPort = await freePortRun(brokers.length);
    const config = renderClusterEnvoyConfig({
      brokers, firstPort, adminPort: await freePort(), wasmFile: filterWasm(), pluginConfig: plugin,
      advertisedAddresses: Object.fromEntries(Object.entries(shared).map(([id, port]) => [id, `127.0.0.1:${port}`])),
    });
    const envoy = await startEnvoy({ runDir, config, name: `envoy-${name}` });
    replicas.push({ name, firstPort, envoy });
  }
  for (const [i, { nodeId }] of brokers.entries()) {
    balancers.push(await startBalancer({ port: shared[nodeId], upstreams: replicas.map(({ name, firstPort }) => ({ name, port: firstPort + i })) }));
  }
}, { timeout: 240000 });

after(async () => {
  for (const balancer of balancers) await balancer.stop();
  for (const { envoy } of replicas) await envoy.stop().catch(() => {});
  await cluster?.stop().catch(() => {});
  fs.writeFileSync(path.join(runDir ?? ".", "figures.json"), JSON.stringify(figures, null, 2));
  console.log(JSON.stringify(figures));
});

const bootstrap = () => balancers.map((b) => `127.0.0.1:${b.port}`).join(",");

/** Creates `topic` (PARTITIONS partitions, led by different brokers) on the cluster directly and waits until every partition answers. */
async function createTopic(topic) {
  const created = await javaClient("create-topics", { bootstrap: cluster.bootstrap, topics: [topic], partitions: PARTITIONS });
  assert.ok(created.results[topic]?.ok, JSON.stringify(created));
  let last = null;
  await waitFor(`the partitions of ${topic}`, async () => {
    last = await kcat(["-b", cluster.bootstrap, "-Q", ...Array.from({ length: PARTITIONS }, (_, p) => ["-t", `${topic}:${p}:-1`]).flat()]);
    return last.code === 0 && Array.from({ length: PARTITIONS }, (_, p) => `${topic} [${p}] offset `).every((t) => last.stdout.includes(t));
  }, { timeoutMs: 30000, hint: () => `\n${JSON.stringify(last)}` });
}

/** Every record value of `topic`, read from the brokers directly (past Envoy). */
async function brokerValues(topic) {
  const landed = await kcat(["-b", cluster.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\n"]);
  assert.equal(landed.code, 0, landed.stderr);
  return landed.stdout.split("\n").filter(Boolean);
}
const jvm = () => ["-Xmx256m", "-XX:TieredStopAtLevel=1", ...kafkaToolLogging(runDir), "-cp", kafkaToolsClasspath()];

/**
 * Runs one of Kafka's Verifiable* tools to completion; `onEvent(event, at)` gets each
 * JSON line of its standard output with the time it arrived. Resolves its exit code.
 */
function runTool(className, args, { log, onEvent }) {
  const child = spawn("java", [...jvm(), className, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  readline.createInterface({ input: child.stdout }).on("line", (line) => {
    let event;
    try { event = JSON.parse(line); } catch { return; }
    onEvent(event, Date.now());
  });
  const out = fs.createWriteStream(log);
  const written = new Promise((resolve) => out.once("close", resolve));
  child.stderr.pipe(out);
  const timer = setTimeout(() => child.kill("SIGKILL"), 120000);
  const exited = new Promise((resolve) => child.once("close", resolve));
  return Promise.all([exited, written]).then(([code]) => { clearTimeout(timer); return code; });
}

/** Each replica's count of UNKNOWN_TOPIC_ID answers to `api` so far, over its listeners: { a: n, b: n }. */
async function unknownIdCounts(api) {
  const counts = {};
  for (const { name, envoy } of replicas) {
    counts[name] = 0;
    for (const node of cluster.nodes) counts[name] += await unknownTopicIdErrors(envoy.admin, api, `broker${node.nodeId}`);
  }
  return counts;
}

/** The replica each new connection went to, in accept order over all balancers: "abba…". */
const connectionsSince = (marks) => balancers.flatMap((b, i) => b.connections.slice(marks[i])).sort((x, y) => x.at - y.at).map((c) => c.upstream).join("");

/**
 * What one client run met: where its connections went (one letter per connection, in
 * order), the UNKNOWN_TOPIC_ID answers each replica sent it (`before`: the counts before
 * the run), the client's own log lines about them, and the times (ms from the start).
 */
async function summarize({ api, before, log, logText, startedAt, firstSuccessAt, doneAt, connectionsBefore }) {
  const after = await unknownIdCounts(api);
  const logged = kafkaToolLogLines(log, logText);
  return {
    connections: connectionsSince(connectionsBefore),
    unknownTopicIdAnswers: Object.fromEntries(Object.keys(after).map((name) => [name, after[name] - before[name]])),
    clientLogLines: logged.length,
    firstSuccessMs: firstSuccessAt - startedAt,
    doneMs: doneAt - startedAt,
    // From the first UNKNOWN_TOPIC_ID the client logged to its first success (negative
    // when another partition succeeded first), and from the first to the last.
    convergedMs: logged.length > 0 ? firstSuccessAt - logged[0].at : 0,
    firstErrorMs: logged.length > 0 ? logged[0].at - startedAt : null,
    lastErrorMs: logged.length > 0 ? logged.at(-1).at - startedAt : null,
    errorWindowMs: logged.length > 0 ? logged.at(-1).at - logged[0].at : 0,
  };
}

for (const shift of [0, 1]) {
  test(`the Java consumer (Fetch by topic id) through two replicas, balancer turn shifted by ${shift}: every record is read, within ${CONVERGE_WITHIN_MS} ms of any UNKNOWN_TOPIC_ID`, { timeout: 180000 }, async () => {
    const topic = `allowed.replicas-consumer-${shift}`;
    await createTopic(topic);
    const values = Array.from({ length: RECORDS }, (_, i) => `c${shift}-${i}`);
    // Spread over the partitions (kcat's default partitioner with no key: random).
    const seeded = await kcat(["-b", cluster.bootstrap, "-P", "-t", topic], { input: `${values.join("\n")}\n` });
    assert.equal(seeded.code, 0, seeded.stderr);

    const config = path.join(runDir, "consumer.properties");
    fs.writeFileSync(config, "reconnect.backoff.ms=100\nreconnect.backoff.max.ms=1000\nretry.backoff.ms=100\nretry.backoff.max.ms=1000\n");
    for (const balancer of balancers) balancer.resetTo(shift);
    const connectionsBefore = balancers.map((b) => b.connections.length);
    const before = await unknownIdCounts("Fetch");
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
    const log = path.join(runDir, `consumer-${shift}.log`);
    const summary = await summarize({ api: "Fetch", before, log, logText: "unknown topic ID", startedAt, firstSuccessAt, doneAt, connectionsBefore });
    figures.consumer.push({ shift, ...summary });
    assert.ok(summary.errorWindowMs <= CONVERGE_WITHIN_MS, JSON.stringify(summary));
  });
}

for (const shift of [0, 1]) {
  test(`VerifiableProducer (Produce v13, topic by id; acks=all, idempotent) through two replicas, balancer turn shifted by ${shift}: every record acknowledged once, within ${CONVERGE_WITHIN_MS} ms of any UNKNOWN_TOPIC_ID`, { timeout: 180000 }, async () => {
    const topic = `allowed.replicas-producer-${shift}`;
    await createTopic(topic);
    const config = path.join(runDir, "producer.properties");
    fs.writeFileSync(config, "enable.idempotence=true\nacks=all\nretries=2147483647\nmax.in.flight.requests.per.connection=5\nreconnect.backoff.ms=100\nreconnect.backoff.max.ms=1000\nretry.backoff.ms=100\nretry.backoff.max.ms=1000\nlinger.ms=5\n");
    for (const balancer of balancers) balancer.resetTo(shift);
    const connectionsBefore = balancers.map((b) => b.connections.length);
    const before = await unknownIdCounts("Produce");
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
    assert.deepEqual((await brokerValues(topic)).sort(), [...acked].sort(), "each acknowledged record on the brokers once");
    const log = path.join(runDir, `producer-${shift}.log`);
    const summary = await summarize({ api: "Produce", before, log, logText: "UNKNOWN_TOPIC_ID", startedAt, firstSuccessAt, doneAt, connectionsBefore });
    figures.producer.push({ shift, ...summary });
    assert.ok(summary.errorWindowMs <= CONVERGE_WITHIN_MS, JSON.stringify(summary));
  });
}

test("across the four runs, the clients did meet replicas that had not learned their topic's id", () => {
  const met = [...figures.consumer, ...figures.producer].map((run) => Object.values(run.unknownTopicIdAnswers).reduce((a, b) => a + b, 0));
  assert.ok(met.some((n) => n > 0), `no run met UNKNOWN_TOPIC_ID: ${JSON.stringify(figures)}`);
});

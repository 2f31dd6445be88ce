// An Envoy hot restart under load, with ACLs enforced (README "Failure behaviour"):
// Envoy epoch 0 serves; Kafka's VerifiableProducer (acks=all, idempotent) produces and
// VerifiableConsumer (the Java consumer: Fetch v13+, topics by id) consumes through it;
// then epoch 1 is started with the same --base-id and configuration, takes the listen
// sockets over, drains epoch 0 and, after --parent-shutdown-time-s, has it exit.
// Throughout, a probe opens a fresh connection every ~50 ms and asks for what the policy
// denies: a Produce to a denied topic, and a Fetch (by topic id) of a topic the principal
// may only describe. Every answer must be a denial (or, for the Fetch, UNKNOWN_TOPIC_ID
// from a process that has not learned the id): never a success, never a record of the
// denied topics reaching the client or the broker. Afterwards the broker holds every
// acknowledged record exactly once, the consumer has read them all, epoch 0 has exited
// and epoch 1 serves.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { spawn } from "node:child_process";
import { startKafka } from "../../scripts/lib/kafka.mjs";
import { readStats, renderEnvoyConfig, startEnvoy } from "../../scripts/lib/envoy.mjs";
import { freePort, sleep, stopProcess, waitFor } from "../../scripts/lib/processes.mjs";
import { filterWasm, newRunDir } from "./support/stack.mjs";
import { kafkaToolLogLines, kafkaToolLogging, kafkaToolsClasspath, kcat, requireKcat } from "./support/clients.mjs";
import { STATS, appPolicy, createTopicsDirectly } from "./support/acl.mjs";
import { RawConnection, fetchRequestByTopicId, parseFetchResponse, parseProduceResponse, produceRequest, uuidBytes } from "./support/kafka-wire.mjs";
import { metadataOf, topicIdOf } from "./support/topic-ids.mjs";

const RATE = 1000;
// An upper bound: the producer is stopped once it has produced through epoch 1 alone
// for a while (epoch 1's start-up time varies with the machine's load).
const MAX_RECORDS = 90000;
const RECORDS_AFTER_EPOCH0_EXIT = 3000;
const TOPIC = "allowed.hot-restart";
const DENIED_TOPIC = "denied.hot-restart";
const DESCRIBE_ONLY = "described-only";
const TOPIC_AUTHORIZATION_FAILED = 29;
const UNKNOWN_TOPIC_ID = 100;
// Short enough for a lean suite, long enough that both epochs serve side by side.
const DRAIN_TIME_S = 2;
const PARENT_SHUTDOWN_TIME_S = 5;

let runDir;
let kafka;
let config;
let baseId;
const envoys = [];

before(async () => {
  requireKcat();
  runDir = newRunDir("hot-restart");
  const listenerPort = await freePort();
  const adminPort = await freePort();
  const ports = { client: await freePort(), direct: await freePort(), controller: await freePort() };
  kafka = await startKafka({ runDir, ports, advertisedPort: listenerPort, extraProperties: { "auto.create.topics.enable": "false" } });
  await createTopicsDirectly({ direct: kafka.directBootstrap }, [TOPIC, DENIED_TOPIC, DESCRIBE_ONLY]);
  config = renderEnvoyConfig({ listenerPort, adminPort, brokerPort: ports.client, wasmFile: filterWasm(), pluginConfig: appPolicy() });
  // Unique per run: the admin port is handed out to this process only.
  baseId = adminPort;
  envoys.push(await startEnvoy({ runDir, config, name: "envoy-epoch0", baseId, restartEpoch: 0 }));
}, { timeout: 240000 });

after(async () => {
  for (const envoy of envoys.reverse()) await envoy.stop().catch(() => {});
  await kafka?.stop().catch(() => {});
});

const bootstrapOf = () => `127.0.0.1:${config.static_resources.listeners.find((l) => l.name === "kafka").address.socket_address.port_value}`;

/** Every record value of partition 0 of `topic`, read from the broker directly (past Envoy). */
async function brokerValues(topic) {
  const { code, stdout, stderr } = await kcat(["-b", kafka.directBootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\n"]);
  assert.equal(code, 0, stderr);
  return stdout.split("\n").filter((line) => line.length > 0);
}

/**
 * The "no unfiltered window" probe: until stop(), every `intervalMs` a fresh connection
 * through Envoy sends a Produce (v9, by name) to DENIED_TOPIC and then a Fetch (v13, by
 * id) of DESCRIBE_ONLY. Each attempt is recorded as { at, produce, fetch } where each is
 * an error code, "closed" (the connection closed before an answer) or "refused" (no
 * connection). Records the fetch returned are counted in `fetchedRecords`.
 */
function startProbe(describeOnlyId, intervalMs = 50) {
  const attempts = [];
  let fetchedRecordBytes = 0;
  let running = true;
  let correlationId = 0;
  const loop = (async () => {
    while (running) {
      const attempt = { at: Date.now(), produce: null, fetch: null };
      attempts.push(attempt);
      let connection = null;
      try {
        connection = await RawConnection.open(bootstrapOf());
      } catch {
        attempt.produce = attempt.fetch = "refused";
      }
      if (connection) {
        try {
          await connection.write(produceRequest({ correlationId: ++correlationId, recordsByTopic: { [DENIED_TOPIC]: [`probe-${attempts.length}`] } }));
          const produced = parseProduceResponse((await connection.response({ flexibleHeader: true, timeoutMs: 5000 })).body);
          attempt.produce = produced[0].partitions[0].errorCode;
          await connection.write(fetchRequestByTopicId({ correlationId: ++correlationId, topicIds: [uuidBytes(describeOnlyId)] }));
          const fetched = parseFetchResponse((await connection.response({ flexibleHeader: true, timeoutMs: 5000 })).body);
          const partition = fetched.topics[0]?.partitions[0];
          attempt.fetch = fetched.errorCode !== 0 ? fetched.errorCode : partition?.errorCode ?? "empty";
          fetchedRecordBytes += partition?.records?.length ?? 0;
        } catch {
          if (attempt.produce === null) attempt.produce = "closed";
          if (attempt.fetch === null) attempt.fetch = "closed";
        } finally {
          connection.close();
        }
      }
      await sleep(intervalMs);
    }
  })();
  return {
    attempts,
    fetchedRecordBytes: () => fetchedRecordBytes,
    stop: async () => { running = false; await loop; },
  };
}

const tally = (values) => values.reduce((counts, v) => ({ ...counts, [v]: (counts[v] ?? 0) + 1 }), {});

test(`hot restart under load: VerifiableProducer (acks=all, idempotent) produces and VerifiableConsumer reads them through Envoy while epoch 1 replaces epoch 0; every denied request is denied throughout, no record is lost or duplicated`, { timeout: 300000 }, async () => {
  // A record the probe's Fetch would return if it were ever let through.
  const seeded = await kcat(["-b", kafka.directBootstrap, "-P", "-t", DESCRIBE_ONLY], { input: "must-never-reach-the-probe\n" });
  assert.equal(seeded.code, 0, seeded.stderr);
  const describeOnlyId = await topicIdOf(kafka.directBootstrap, DESCRIBE_ONLY);
  const learned = await metadataOf(bootstrapOf(), DESCRIBE_ONLY);
  assert.equal(learned?.topicId, describeOnlyId, "epoch 0 has seen the describe-only topic's id");

  const jvm = ["-Xmx256m", "-XX:TieredStopAtLevel=1", ...kafkaToolLogging(runDir), "-cp", kafkaToolsClasspath()];
  const producerConfig = path.join(runDir, "verifiable-producer.properties");
  fs.writeFileSync(producerConfig, "enable.idempotence=true\nacks=all\nretries=2147483647\nmax.in.flight.requests.per.connection=5\nreconnect.backoff.ms=100\nreconnect.backoff.max.ms=1000\nretry.backoff.ms=100\nretry.backoff.max.ms=500\nlinger.ms=5\ndelivery.timeout.ms=180000\n");
  const consumerConfig = path.join(runDir, "verifiable-consumer.properties");
  fs.writeFileSync(consumerConfig, "reconnect.backoff.ms=100\nreconnect.backoff.max.ms=1000\nretry.backoff.ms=100\nretry.backoff.max.ms=500\n");
  const logs = {
    producer: fs.createWriteStream(path.join(runDir, "verifiable-producer.log")),
    consumer: fs.createWriteStream(path.join(runDir, "verifiable-consumer.log")),
  };

  const probe = startProbe(describeOnlyId);
  const read = new Map(); // value -> first time read
  let readEvents = 0;
  const consumer = spawn("java", [...jvm, "org.apache.kafka.tools.VerifiableConsumer", "--bootstrap-server", bootstrapOf(),
    "--topic", TOPIC, "--group-id", "hot-restart", "--verbose", "--reset-policy", "earliest",
    "--command-config", consumerConfig], { stdio: ["ignore", "pipe", "pipe"] });
  consumer.stderr.pipe(logs.consumer);
  readline.createInterface({ input: consumer.stdout }).on("line", (line) => {
    if (!line.includes("\"record_data\"")) return;
    readEvents += 1;
    const { value } = JSON.parse(line);
    if (!read.has(value)) read.set(value, Date.now());
  });
  const consumerExit = new Promise((resolve) => consumer.once("close", resolve));

  const acked = [];
  const ackedAt = [];
  let sendErrors = 0;
  const timeline = {};
  let restart = null;
  const producer = spawn("java", [...jvm, "org.apache.kafka.tools.VerifiableProducer", "--bootstrap-server", bootstrapOf(),
    "--topic", TOPIC, "--max-messages", String(MAX_RECORDS), "--throughput", String(RATE), "--acks", "-1",
    "--command-config", producerConfig], { stdio: ["ignore", "pipe", "pipe"] });
  producer.stderr.pipe(logs.producer);
  readline.createInterface({ input: producer.stdout }).on("line", (line) => {
    let event;
    try { event = JSON.parse(line); } catch { return; }
    if (event.name === "producer_send_success") { acked.push(event.value); ackedAt.push(Date.now()); }
    else if (event.name === "producer_send_error") sendErrors += 1;
    // Enough produced through epoch 1 alone: stop (SIGTERM: the tool closes its producer,
    // which completes every send in flight and reports it, then exits 143).
    if (timeline.ackedAtEpoch0Exit !== undefined && timeline.stoppedAt === undefined && acked.length >= timeline.ackedAtEpoch0Exit + RECORDS_AFTER_EPOCH0_EXIT) {
      timeline.stoppedAt = Date.now();
      producer.kill("SIGTERM");
    }
    if (restart === null && acked.length >= 2000) {
      timeline.restartAt = Date.now();
      timeline.ackedAtRestart = acked.length;
      restart = startEnvoy({
        runDir, config, name: "envoy-epoch1", baseId, restartEpoch: 1,
        extraArgs: ["--drain-time-s", String(DRAIN_TIME_S), "--parent-shutdown-time-s", String(PARENT_SHUTDOWN_TIME_S)],
      }).then((envoy) => { envoys.push(envoy); timeline.epoch1LiveAt = Date.now(); timeline.ackedAtEpoch1Live = acked.length; return envoy; });
      restart.catch(() => {}); // awaited below
      envoys[0].child.exited.then((exit) => { timeline.epoch0ExitedAt = Date.now(); timeline.epoch0Exit = exit; timeline.ackedAtEpoch0Exit = acked.length; });
    }
  });
  let producerExit;
  try {
    producerExit = await new Promise((resolve) => producer.once("close", resolve));
    assert.ok(restart !== null, "epoch 1 was started mid-run");
    await restart;
    await waitFor("epoch 0 to exit", () => timeline.epoch0ExitedAt !== undefined, { timeoutMs: 60000 });
    await waitFor(`VerifiableConsumer reading all ${acked.length} acknowledged records`, () => acked.every((v) => read.has(v)),
      { timeoutMs: 90000, intervalMs: 500, hint: () => ` (read ${read.size})` });
  } finally {
    await probe.stop();
    consumer.kill("SIGTERM");
    const timer = setTimeout(() => consumer.kill("SIGKILL"), 15000);
    await consumerExit;
    clearTimeout(timer);
    if (producer.exitCode === null) await stopProcess(producer);
    await Promise.all(Object.values(logs).map((log) => new Promise((resolve) => log.end(resolve))));
  }
  const epoch1 = envoys[1];

  // Epoch 0 exited by itself, cleanly, once epoch 1 told it to (not killed by the test),
  // and did so while the producer still had records to send.
  assert.deepEqual(timeline.epoch0Exit, { code: 0, signal: null }, `epoch 0 exit; see ${envoys[0].logFile}`);
  assert.ok(timeline.stoppedAt !== undefined, `the producer went on through epoch 1 alone until stopped: ${JSON.stringify(timeline)}`);
  const info = await fetch(`${epoch1.admin}/server_info`).then((r) => r.json());
  assert.equal(Number(info.command_line_options.restart_epoch), 1);
  assert.equal(info.state, "LIVE");

  // Nothing lost, nothing duplicated: the broker holds each acknowledged record once.
  assert.ok([0, 143].includes(producerExit), `VerifiableProducer exited ${producerExit}; see ${runDir}/verifiable-producer.log`);
  assert.equal(sendErrors, 0, `${sendErrors} send errors; see ${runDir}/verifiable-producer.log`);
  const landed = await brokerValues(TOPIC);
  assert.equal(landed.length, acked.length, "records on the broker == records acknowledged (none duplicated)");
  assert.deepEqual([...landed].sort(), [...acked].sort());

  // No unfiltered window: every probe answer was a denial. A Fetch by id may also be
  // answered UNKNOWN_TOPIC_ID by epoch 1 until a Metadata response through it teaches it
  // the id; it never returns the topic's records.
  const produceAnswers = tally(probe.attempts.map((a) => a.produce));
  const fetchAnswers = tally(probe.attempts.map((a) => a.fetch));
  const during = probe.attempts.filter((a) => a.at >= timeline.restartAt && a.at <= timeline.epoch0ExitedAt);
  assert.ok(during.length >= 20, `the probe ran through the restart: ${during.length} attempts between its start and epoch 0's exit`);
  assert.ok(probe.attempts.every((a) => a.produce !== 0), `a Produce to ${DENIED_TOPIC} succeeded: ${JSON.stringify(produceAnswers)}`);
  assert.ok(probe.attempts.every((a) => a.fetch !== 0 && a.fetch !== "empty"), `a Fetch of ${DESCRIBE_ONLY} succeeded: ${JSON.stringify(fetchAnswers)}`);
  assert.equal(probe.fetchedRecordBytes(), 0, "the probe's Fetch never received records");
  for (const answer of Object.keys(produceAnswers)) assert.ok([String(TOPIC_AUTHORIZATION_FAILED), "closed"].includes(answer), `Produce answers: ${JSON.stringify(produceAnswers)}`);
  for (const answer of Object.keys(fetchAnswers)) {
    assert.ok([String(TOPIC_AUTHORIZATION_FAILED), String(UNKNOWN_TOPIC_ID), "closed"].includes(answer), `Fetch answers: ${JSON.stringify(fetchAnswers)}`);
  }
  assert.equal(produceAnswers.refused ?? 0, 0, "no connection was refused: the listen socket passed from epoch 0 to epoch 1");
  assert.deepEqual(await brokerValues(DENIED_TOPIC), [], `nothing reached ${DENIED_TOPIC}`);

  // Epoch 1 started without the ids epoch 0 had learned: the probe's Fetch got
  // UNKNOWN_TOPIC_ID from it until a Metadata response through epoch 1 named the topic.
  const unknownAfter = probe.attempts.filter((a) => a.at > timeline.epoch0ExitedAt && a.fetch === UNKNOWN_TOPIC_ID).length;
  assert.equal((await metadataOf(bootstrapOf(), DESCRIBE_ONLY))?.topicId, describeOnlyId);
  const connection = await RawConnection.open(bootstrapOf());
  await connection.write(fetchRequestByTopicId({ correlationId: 1, topicIds: [uuidBytes(describeOnlyId)] }));
  const afterMetadata = parseFetchResponse((await connection.response({ flexibleHeader: true })).body);
  connection.close();
  assert.equal(afterMetadata.topics[0].partitions[0].errorCode, TOPIC_AUTHORIZATION_FAILED, "once epoch 1 has seen the id, the Fetch is denied by name");

  // What the Java consumer (Fetch by id) met across the restart.
  // The consumer's UNKNOWN_TOPIC_ID answers: as epoch 1 counted the error codes it sent
  // (its probe answers taken out; epoch 0 had learned both ids), and as the consumer logged them.
  const epoch1Errors = await readStats(epoch1.admin, `${STATS}.errors.Fetch.`);
  const probeUnknownIds = probe.attempts.filter((a) => a.fetch === UNKNOWN_TOPIC_ID).length;
  const consumerLogged = kafkaToolLogLines(path.join(runDir, "verifiable-consumer.log"), "unknown topic ID");
  const consumerUnknownIdAnswers = {
    sentByEpoch1: (epoch1Errors.get(`${STATS}.errors.Fetch.UNKNOWN_TOPIC_ID`) ?? 0) - probeUnknownIds,
    loggedByConsumer: consumerLogged.length,
    firstMsAfterEpoch0Exit: consumerLogged.length ? consumerLogged[0].at - timeline.epoch0ExitedAt : null,
    lastMsAfterEpoch0Exit: consumerLogged.length ? consumerLogged.at(-1).at - timeline.epoch0ExitedAt : null,
  };
  const readTimes = [...read.values()].sort((a, b) => a - b);
  let gap = { ms: 0 };
  for (let i = 1; i < readTimes.length; i++) {
    if (readTimes[i] >= timeline.restartAt && readTimes[i] - readTimes[i - 1] > gap.ms) gap = { ms: readTimes[i] - readTimes[i - 1], after: readTimes[i - 1] - timeline.restartAt };
  }
  const stats = await readStats(epoch1.admin, `${STATS}.filter.`);
  const landedSet = new Set(landed);
  const figures = {
    timeline: {
      epoch1LiveMs: timeline.epoch1LiveAt - timeline.restartAt,
      epoch0ExitMs: timeline.epoch0ExitedAt - timeline.restartAt,
      ackedAtRestart: timeline.ackedAtRestart, ackedAtEpoch1Live: timeline.ackedAtEpoch1Live, ackedAtEpoch0Exit: timeline.ackedAtEpoch0Exit,
      producerStoppedMsAfterRestart: timeline.stoppedAt - timeline.restartAt,
    },
    records: { acked: acked.length, onBroker: landed.length, duplicated: landed.length - landedSet.size, lost: acked.filter((v) => !landedSet.has(v)).length },
    consumer: { distinctRead: read.size, readEvents, longestReadGapAfterRestartMs: gap.ms, gapStartsMsAfterRestart: gap.after, unknownTopicIdFetchAnswers: consumerUnknownIdAnswers },
    probe: { attempts: probe.attempts.length, duringRestart: during.length, produce: produceAnswers, fetch: fetchAnswers, fetchUnknownIdAfterEpoch0Exit: unknownAfter },
    epoch1Filter: Object.fromEntries([...stats].filter(([, v]) => v > 0)),
  };
  console.log(JSON.stringify(figures));
  fs.writeFileSync(path.join(runDir, "figures.json"), JSON.stringify(figures, null, 2));
  // The filter itself closed nothing in epoch 1 for an ACL or framing reason.
  assert.equal(stats.get(`${STATS}.filter.acl_connections_closed`) ?? 0, 0);
  assert.equal(stats.get(`${STATS}.filter.framing_errors`) ?? 0, 0);
  // The Fetches it answered itself were not walked as Fetch responses.
  assert.equal(stats.get(`${STATS}.filter.walk_errors`) ?? 0, 0);
});

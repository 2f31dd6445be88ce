// Per-topic produced/fetched bytes and records, counted by the streaming walkers from
// record-batch headers, held against an independent parse of the frames that crossed
// the wire (the frame tap between Envoy and the broker); the label cap; and a Fetch
// response of tens of MB that streams through without the filter's memory growing.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { startStack } from "./support/stack.mjs";
import { kcat, requireKcat } from "./support/clients.mjs";
import { tallyTopics, topicCounters } from "./support/topic-traffic.mjs";
import { waitFor } from "../../scripts/lib/processes.mjs";

const PREFIX = "wasmcustom.kafka.broker1";
const LARGE_MESSAGES = 40;
const LARGE_MESSAGE_BYTES = 1024 * 1024;
let current = null;

after(async () => { await current?.stop(); });

/** One stack at a time (the machine is small): starting the next stops the previous. */
async function start(options) {
  requireKcat();
  await current?.stop();
  current = null;
  current = await startStack(options);
  return current;
}

const prometheus = async (stack) => (await fetch(`${stack.admin}/stats/prometheus`)).text();
const kafkaClient = (stack, clientId) => new Kafka({ clientId, brokers: [stack.bootstrap], logLevel: logLevel.ERROR, requestTimeout: 120000 });

async function createTopics(stack, topics) {
  const admin = kafkaClient(stack, "topics-admin").admin();
  await admin.connect();
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 2 })), waitForLeaders: true });
  await admin.disconnect();
}

async function kcatProduce(stack, topic, count) {
  const lines = Array.from({ length: count }, (_, i) => `${topic} message ${i} ${"x".repeat(i % 50)}\n`).join("");
  const produced = await kcat(["-b", stack.bootstrap, "-t", topic, "-P", "-X", "linger.ms=5"], { input: lines });
  assert.equal(produced.code, 0, produced.stderr);
}

async function kcatConsume(stack, topic, expected) {
  const consumed = await kcat(["-b", stack.bootstrap, "-t", topic, "-C", "-o", "beginning", "-e", "-q"]);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.equal(consumed.stdout.split("\n").filter((l) => l.length > 0).length, expected);
}

test("per-topic bytes and records of kcat and kafkajs traffic equal the frames on the wire, labels included", { timeout: 300000 }, async () => {
  const stack = await start({ name: "topics", tap: "capture" });
  // A dot in a topic name must stay inside the kafka_topic label.
  const alpha = "orders.eu-west.v1";
  const beta = "audit_log-2";
  await createTopics(stack, [alpha, beta]);

  await kcatProduce(stack, alpha, 300);
  const producer = kafkaClient(stack, "topics-producer").producer();
  await producer.connect();
  for (let send = 0; send < 4; send++) {
    await producer.send({ topic: beta, acks: 1, messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `beta ${send}.${i}` })) });
  }
  await producer.disconnect();

  await kcatConsume(stack, alpha, 300);
  await kcatConsume(stack, beta, 200);
  const consumer = kafkaClient(stack, "topics-consumer").consumer({ groupId: "topics-test" });
  let received = 0;
  await consumer.connect();
  await consumer.subscribe({ topic: beta, fromBeginning: true });
  await consumer.run({ eachMessage: async () => { received += 1; } });
  await waitFor("kafkajs to read the 200 messages", () => received === 200, { timeoutMs: 60000 });
  await consumer.disconnect();

  const wire = tallyTopics(stack.tap.drain());
  const counted = topicCounters(await prometheus(stack));
  assert.equal(wire.get(alpha).produced_records, 300, "the tap saw every message produced");
  assert.equal(wire.get(beta).produced_records, 200);
  assert.ok(wire.get(alpha).fetched_records >= 300 && wire.get(beta).fetched_records >= 400, JSON.stringify([...wire]));
  for (const topic of [alpha, beta]) {
    assert.deepEqual(counted.get(topic), wire.get(topic), `${topic}: filter ${JSON.stringify(counted.get(topic))} vs wire ${JSON.stringify(wire.get(topic))}`);
  }
  const stats = await stack.stats(`${PREFIX}.filter.`);
  assert.equal(stats.get(`${PREFIX}.filter.walk_errors`), 0);
  assert.equal(stats.get(`${PREFIX}.filter.framing_errors`), 0);
});

test("topics beyond max_topic_labels share the _other label", { timeout: 300000 }, async () => {
  // One worker, so that one VM's cap is the whole listener's.
  const stack = await start({ name: "topics-cap", concurrency: 1, pluginConfig: { stat_prefix: "broker1", max_topic_labels: 1 } });
  await createTopics(stack, ["first-topic", "second-topic", "third.topic"]);
  await kcatProduce(stack, "first-topic", 10);
  await kcatProduce(stack, "second-topic", 20);
  await kcatProduce(stack, "third.topic", 30);
  const counted = topicCounters(await prometheus(stack));
  assert.deepEqual([...counted.keys()].sort(), ["_other", "first-topic"]);
  assert.equal(counted.get("first-topic").produced_records, 10);
  assert.equal(counted.get("_other").produced_records, 50);
});

test("a Fetch response of tens of MB is counted per topic and the filter's memory does not grow", { timeout: 400000 }, async () => {
  const total = LARGE_MESSAGES * LARGE_MESSAGE_BYTES;
  const stack = await start({
    name: "topics-large",
    tap: "capture",
    kafkaProperties: { "message.max.bytes": String(total + 1024 * 1024), "replica.fetch.max.bytes": String(total + 1024 * 1024) },
  });
  const topic = "large.frames";
  await createTopics(stack, [topic]);
  const memoryBefore = (await stack.stats(PREFIX)).get(`${PREFIX}.filter.wasm_memory_bytes`);

  const client = kafkaClient(stack, "topics-large");
  const producer = client.producer();
  await producer.connect();
  const messages = Array.from({ length: LARGE_MESSAGES }, (_, i) => ({ key: `m${i}`, value: crypto.randomBytes(LARGE_MESSAGE_BYTES) }));
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
  stack.tap.drain();

  const consumer = client.consumer({ groupId: "topics-large", maxBytes: total * 2, maxBytesPerPartition: total * 2 });
  let received = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async () => { received += 1; } });
  await waitFor("the 40 MB to come back", () => received === LARGE_MESSAGES, { timeoutMs: 180000 });
  await consumer.disconnect();

  const captured = stack.tap.drain();
  const largest = Math.max(...captured.filter((f) => f.direction === "response" && f.apiKey === 1).map((f) => f.frame.length));
  assert.ok(largest > total, `one Fetch response carried all ${total} bytes (largest was ${largest})`);
  const wire = tallyTopics(captured);
  const counted = topicCounters(await prometheus(stack)).get(topic);
  assert.equal(counted.produced_records, LARGE_MESSAGES);
  assert.ok(counted.produced_bytes > total);
  assert.equal(counted.fetched_records, wire.get(topic).fetched_records);
  assert.equal(counted.fetched_bytes, wire.get(topic).fetched_bytes);
  assert.ok(counted.fetched_bytes > total);
  const growth = (await stack.stats(PREFIX)).get(`${PREFIX}.filter.wasm_memory_bytes`) - memoryBefore;
  assert.ok(growth <= 1024 * 1024, `filter memory grew by ${growth} bytes while ${2 * total} bytes of records passed`);
  assert.equal((await stack.stats(`${PREFIX}.filter.`)).get(`${PREFIX}.filter.walk_errors`), 0);
});

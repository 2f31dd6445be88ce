// Real clients produce and consume through the real Envoy with the filter, against
// the real broker; the filter's per-API counters must equal the requests and
// responses that actually crossed the wire.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { startStack } from "./support/stack.mjs";
import { kcat, requireKcat } from "./support/clients.mjs";
import { apiNamesByKey } from "./support/spec.mjs";
import { waitFor } from "../../scripts/lib/processes.mjs";

const MESSAGES = 500;
let stack;

before(async () => {
  requireKcat();
  stack = await startStack({ name: "roundtrip", tap: true });
}, { timeout: 180000 });

after(async () => { await stack?.stop(); });

function expectedMessages(prefix) {
  return Array.from({ length: MESSAGES }, (_, i) => ({ key: `${prefix}-key-${i}`, value: `${prefix} message ${i} ${"x".repeat(i % 97)}` }));
}

test("kcat lists the broker through Envoy", async () => {
  const { code, stdout, stderr } = await kcat(["-b", stack.bootstrap, "-L"]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, new RegExp(`broker 1 at ${stack.bootstrap.replace(".", "\\.")}`));
});

test("kcat produces N messages through Envoy and consumes them back intact and in order", async () => {
  const messages = expectedMessages("kcat");
  const topic = "roundtrip-kcat";
  const produced = await kcat(["-b", stack.bootstrap, "-t", topic, "-P", "-K", "\t", "-X", "acks=all"],
    { input: messages.map((m) => `${m.key}\t${m.value}\n`).join("") });
  assert.equal(produced.code, 0, produced.stderr);
  const consumed = await kcat(["-b", stack.bootstrap, "-t", topic, "-C", "-o", "beginning", "-c", String(MESSAGES),
    "-f", "%k\t%s\n", "-q"]);
  assert.equal(consumed.code, 0, consumed.stderr);
  const lines = consumed.stdout.split("\n").filter((l) => l.length > 0);
  assert.deepEqual(lines.map((l) => { const [key, value] = l.split("\t"); return { key, value }; }), messages);
});

test("kafkajs produces N messages through Envoy and a consumer group reads them back intact and in order", async () => {
  const messages = expectedMessages("kafkajs");
  const topic = "roundtrip-kafkajs";
  const kafka = new Kafka({ clientId: "roundtrip-test", brokers: [stack.bootstrap], logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();

  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < messages.length; i += 50) {
    await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 50) });
  }
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: "roundtrip-group", sessionTimeout: 10000, heartbeatInterval: 1000 });
  const received = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => { received.push({ key: message.key.toString(), value: message.value.toString() }); },
  });
  await waitFor(`${MESSAGES} messages from kafkajs`, () => received.length >= MESSAGES, { timeoutMs: 60000 });
  await consumer.disconnect();
  assert.deepEqual(received, messages);
});

test("the filter's per-API counters equal the requests and responses that crossed the wire", async () => {
  const names = apiNamesByKey();
  const expected = () => {
    const counters = new Map();
    for (const [key, count] of stack.tap.requests) counters.set(`wasmcustom.kafka.broker1.api.${names.get(key)}.requests`, count);
    for (const [key, count] of stack.tap.responses) counters.set(`wasmcustom.kafka.broker1.api.${names.get(key)}.responses`, count);
    return counters;
  };
  const actual = async () => {
    const stats = await stack.stats("wasmcustom.kafka.broker1.api.");
    return new Map([...stats].filter(([, value]) => value > 0));
  };
  // Clients have disconnected; give in-flight bytes a moment to settle on both sides.
  let last;
  const settled = await waitFor("filter counters to match the wire", async () => {
    last = { wire: expected(), filter: await actual() };
    return JSON.stringify([...last.wire].sort()) === JSON.stringify([...last.filter].sort());
  }, { timeoutMs: 10000 }).catch(() => false);
  if (!settled) assert.deepEqual(Object.fromEntries([...last.filter].sort()), Object.fromEntries([...last.wire].sort()));
  // The run exercised a real mix of APIs, not just one.
  for (const api of ["ApiVersions", "Metadata", "Produce", "Fetch", "FindCoordinator", "JoinGroup", "SyncGroup", "OffsetCommit"]) {
    assert.ok((last.filter.get(`wasmcustom.kafka.broker1.api.${api}.requests`) ?? 0) > 0, `${api} requests counted`);
  }
  const health = await stack.stats("wasmcustom.kafka.broker1.filter.");
  assert.equal(health.get("wasmcustom.kafka.broker1.filter.unmatched_responses"), 0);
  assert.equal(health.get("wasmcustom.kafka.broker1.filter.framing_errors"), 0);
  assert.equal(health.get("wasmcustom.kafka.broker1.filter.request_header_errors"), 0);
  assert.equal(health.get("wasmcustom.kafka.broker1.filter.unknown_api_requests"), 0);
});

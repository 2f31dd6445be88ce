// Frames far larger than anything the filter copies, pipelined requests, acks=0
// Produce and connections that end mid-frame, all through the real Envoy and broker.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import net from "node:net";
import { Kafka, logLevel } from "kafkajs";
import { startStack } from "./support/stack.mjs";
import { kcat, requireKcat } from "./support/clients.mjs";
import { waitFor } from "../../scripts/lib/processes.mjs";

const PREFIX = "wasmcustom.kafka.broker1";
const LARGE = 50 * 1024 * 1024;
let stack;

before(async () => {
  requireKcat();
  stack = await startStack({
    name: "streaming",
    tap: true,
    kafkaProperties: { "message.max.bytes": String(LARGE + 1024 * 1024) },
  });
}, { timeout: 180000 });

after(async () => { await stack?.stop(); });

const sumOf = (stats, pattern) => [...stats].filter(([name]) => pattern.test(name)).reduce((n, [, v]) => n + v, 0);

/** A client that exits with a request outstanding leaves it in flight until Envoy tears the connection down. */
async function expectNothingInFlight() {
  let inFlight;
  await waitFor("in-flight gauges to return to zero", async () => {
    inFlight = sumOf(await stack.stats(PREFIX), /\.in_flight$/);
    return inFlight === 0;
  }, { timeoutMs: 10000 }).catch(() => assert.equal(inFlight, 0, "requests still in flight"));
}

test("a 50 MB Produce request and Fetch response stream through without the filter's memory growing", async () => {
  const before = await stack.stats(PREFIX);
  const memoryBefore = before.get(`${PREFIX}.filter.wasm_memory_bytes`);
  assert.ok(memoryBefore > 0, "the filter reports its memory");

  const value = crypto.randomBytes(LARGE);
  const kafka = new Kafka({ clientId: "streaming-test", brokers: [stack.bootstrap], logLevel: logLevel.ERROR, requestTimeout: 120000 });
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  await producer.send({ topic: "large-frames", acks: -1, messages: [{ key: "big", value }] });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: "large-frames", maxBytes: LARGE * 2, maxBytesPerPartition: LARGE * 2 });
  let received = null;
  await consumer.connect();
  await consumer.subscribe({ topic: "large-frames", fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { received = message.value; } });
  await waitFor("the 50 MB message to come back", () => received !== null, { timeoutMs: 120000 });
  await consumer.disconnect();
  assert.equal(crypto.createHash("sha256").update(received).digest("hex"), crypto.createHash("sha256").update(value).digest("hex"));

  const afterStats = await stack.stats(PREFIX);
  const produced = sumOf(afterStats, /\.api\.Produce\.v\d+\.request_bytes$/) - sumOf(before, /\.api\.Produce\.v\d+\.request_bytes$/);
  const fetched = sumOf(afterStats, /\.api\.Fetch\.v\d+\.response_bytes$/) - sumOf(before, /\.api\.Fetch\.v\d+\.response_bytes$/);
  assert.ok(produced > LARGE, `Produce request bytes counted: ${produced}`);
  assert.ok(fetched > LARGE, `Fetch response bytes counted: ${fetched}`);
  const growth = afterStats.get(`${PREFIX}.filter.wasm_memory_bytes`) - memoryBefore;
  assert.ok(growth <= 1024 * 1024, `filter memory grew by ${growth} bytes while ${produced + fetched} bytes passed`);
  assert.equal(afterStats.get(`${PREFIX}.filter.framing_errors`), 0);
});

test("pipelined Produce requests are each matched to their response", async () => {
  const before = await stack.stats(PREFIX);
  const lines = Array.from({ length: 3000 }, (_, i) => `pipelined ${i}\n`).join("");
  const produced = await kcat(["-b", stack.bootstrap, "-t", "pipelined", "-P", "-X", "max.in.flight=5",
    "-X", "linger.ms=0", "-X", "batch.num.messages=1", "-X", "enable.idempotence=false", "-X", "acks=1"], { input: lines });
  assert.equal(produced.code, 0, produced.stderr);
  const afterStats = await stack.stats(PREFIX);
  const delta = (pattern) => sumOf(afterStats, pattern) - sumOf(before, pattern);
  const requests = delta(/\.api\.Produce\.v\d+\.requests$/);
  assert.ok(requests >= 100, `many Produce requests were sent (${requests})`);
  assert.equal(delta(/\.api\.Produce\.v\d+\.responses$/), requests);
  assert.equal(delta(/\.filter\.unmatched_responses$/), 0);
  assert.equal(delta(/\.filter\.unanswered_requests$/), 0);
  await expectNothingInFlight();
  // The wire agrees on how many Produce requests there were.
  const wireProduce = [...stack.tap.requests].filter(([api]) => api.startsWith("0.")).reduce((n, [, e]) => n + e.frames, 0);
  assert.equal(sumOf(afterStats, /\.api\.Produce\.v\d+\.requests$/), wireProduce);
});

test("Produce with acks=0 awaits no response and does not upset matching", async () => {
  const before = await stack.stats(PREFIX);
  const lines = Array.from({ length: 500 }, (_, i) => `fire and forget ${i}\n`).join("");
  const produced = await kcat(["-b", stack.bootstrap, "-t", "acks-zero", "-P", "-X", "acks=0",
    "-X", "linger.ms=0", "-X", "batch.num.messages=10", "-X", "enable.idempotence=false"], { input: lines });
  assert.equal(produced.code, 0, produced.stderr);
  const consumed = await kcat(["-b", stack.bootstrap, "-t", "acks-zero", "-C", "-o", "beginning", "-c", "500", "-q"]);
  assert.equal(consumed.stdout.trim().split("\n").length, 500);
  const afterStats = await stack.stats(PREFIX);
  const delta = (pattern) => sumOf(afterStats, pattern) - sumOf(before, pattern);
  assert.ok(delta(/\.api\.Produce\.v\d+\.requests$/) > 0);
  const changed = JSON.stringify([...afterStats].filter(([name, v]) => before.get(name) !== v).map(([name, v]) => [name, v - (before.get(name) ?? 0)]));
  assert.equal(delta(/\.api\.Produce\.v\d+\.responses$/), 0, `the broker answered none of them; changes: ${changed}`);
  assert.equal(delta(/\.filter\.unanswered_requests$/), 0, `none was ever awaited; changes: ${changed}`);
  assert.equal(delta(/\.filter\.unmatched_responses$/), 0, changed);
  await expectNothingInFlight();
});

test("a client that disconnects halfway through a request frame is counted and cleaned up", async () => {
  const before = await stack.stats(PREFIX);
  const socket = net.connect(Number(stack.bootstrap.split(":")[1]), "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  // A Metadata v12 request header announcing 100 bytes, cut after 20.
  const frame = Buffer.alloc(24);
  frame.writeInt32BE(100, 0);
  frame.writeInt16BE(3, 4);
  frame.writeInt16BE(12, 6);
  frame.writeInt32BE(7, 8);
  socket.end(frame);
  await new Promise((resolve) => socket.once("close", resolve));
  await waitFor("the mid-frame close to be counted", async () =>
    (await stack.stats(PREFIX)).get(`${PREFIX}.filter.closed_mid_request`) === before.get(`${PREFIX}.filter.closed_mid_request`) + 1,
  { timeoutMs: 10000 });
  const afterStats = await stack.stats(PREFIX);
  assert.equal(afterStats.get(`${PREFIX}.filter.framing_errors`), before.get(`${PREFIX}.filter.framing_errors`));
  await waitFor("active connections back to zero", async () =>
    (await stack.stats(PREFIX)).get(`${PREFIX}.connections_active`) === 0, { timeoutMs: 10000 });
});

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

test("the filter's per-API stats equal the frames and bytes that crossed the wire", async () => {
  const names = apiNamesByKey();
  const prefix = "wasmcustom.kafka.broker1";
  const fromWire = () => {
    const stats = new Map();
    const put = (map, kind) => {
      for (const [api, { frames, bytes }] of map) {
        const [key, version] = api.split(".");
        const stem = `${prefix}.api.${names.get(Number(key)) ?? `unknown_${key}`}.v${version}`;
        stats.set(`${stem}.${kind}s`, frames);
        stats.set(`${stem}.${kind}_bytes`, bytes);
      }
    };
    put(stack.tap.requests, "request");
    put(stack.tap.responses, "response");
    return stats;
  };
  const fromFilter = async () => {
    const stats = await stack.stats(`${prefix}.api.`);
    return new Map([...stats].filter(([name]) => /\.(requests|responses|request_bytes|response_bytes)$/.test(name)));
  };
  const sorted = (map) => Object.fromEntries([...map].sort());
  // Clients have disconnected; give in-flight bytes a moment to settle on both sides.
  let last;
  const settled = await waitFor("filter stats to match the wire", async () => {
    last = { wire: sorted(fromWire()), filter: sorted(await fromFilter()) };
    return JSON.stringify(last.wire) === JSON.stringify(last.filter);
  }, { timeoutMs: 30000 }).catch(() => false);
  if (!settled) assert.deepEqual(last.filter, last.wire);
  // The run exercised a real mix of APIs, not just one. (Heartbeat is left out: whether
  // kafkajs sends one depends on how long consuming takes.)
  const seen = new Set(Object.keys(last.filter).map((name) => name.split(".")[4]));
  for (const api of ["ApiVersions", "Metadata", "Produce", "Fetch", "ListOffsets", "FindCoordinator", "JoinGroup",
    "SyncGroup", "OffsetCommit", "OffsetFetch", "LeaveGroup", "CreateTopics"]) {
    assert.ok(seen.has(api), `${api} traffic seen`);
  }

  // kcat exits with a Fetch outstanding; it leaves flight, and the connection leaves the
  // active gauge, only when Envoy has torn the connection down.
  let all;
  await waitFor("in-flight and active-connection gauges back to zero", async () => {
    all = await stack.stats(prefix);
    return all.get(`${prefix}.connections_active`) === 0 &&
      [...all].every(([name, value]) => !name.endsWith(".in_flight") || value === 0);
  }, { timeoutMs: 15000 }).catch(() => {});
  for (const [name, value] of all) {
    if (name.endsWith(".in_flight")) assert.equal(value, 0, `${name} is back to zero`);
  }
  assert.equal(all.get(`${prefix}.connections_active`), 0);
  assert.equal(all.get(`${prefix}.connections_total`), stack.tap.connections);
  for (const health of ["unmatched_responses", "framing_errors", "request_header_errors", "unknown_api_requests",
    "in_flight_overflow", "unanswered_requests", "connections_closed"]) {
    assert.equal(all.get(`${prefix}.filter.${health}`), 0, health);
  }
});

test("clients that name themselves in ApiVersions v3+ are counted by software and version", async () => {
  const librdkafkaVersion = /librdkafka (\d[\w.-]*)/.exec(requireKcat())?.[1];
  assert.ok(librdkafkaVersion, "kcat -V names its librdkafka version");
  const text = await (await fetch(`${stack.admin}/stats/prometheus`)).text();
  const line = /^kafka_client_connections\{kafka_listener="broker1",kafka_client_software="librdkafka",kafka_client_software_version="([^"]+)"\} (\d+)$/m.exec(text);
  assert.ok(line, `librdkafka client software counted in:\n${text.split("\n").filter((l) => l.includes("client")).join("\n")}`);
  assert.equal(line[1], librdkafkaVersion);
  assert.ok(Number(line[2]) >= 3, "every kcat connection so far identified itself");
});

test("request latency lands in the per-API histogram", async () => {
  // Envoy publishes histograms at its stats flush (every 5 s by default).
  const count = async () => {
    const text = await (await fetch(`${stack.admin}/stats/prometheus`)).text();
    const match = /^kafka_api_latency_us_count\{kafka_listener="broker1",kafka_api="Produce",kafka_api_version="\d+"\} (\d+)$/m.exec(text);
    return match ? Number(match[1]) : 0;
  };
  const produceResponses = [...stack.tap.responses].filter(([api]) => api.startsWith("0.")).reduce((n, [, e]) => n + e.frames, 0);
  await waitFor("Produce latency samples", async () => (await count()) === produceResponses, { timeoutMs: 30000 });
  assert.ok(produceResponses > 0);
});

// Topic ACLs enforced by the filter, seen by real clients (kcat/librdkafka, kafkajs,
// Kafka's own Java clients) through the real Envoy, against a real broker that has no
// ACLs of its own. What landed is checked on the broker's DIRECT listener, which
// bypasses Envoy. The policy is support/acl.mjs appPolicy: every loopback client is
// User:app, default deny.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { startStack } from "./support/stack.mjs";
import { javaClient, kcat, requireJava, requireKcat } from "./support/clients.mjs";
import {
  PRINCIPAL, SEED_TOPICS, aclDecisions, aclFilterStats, appMayDescribe, appPolicy, auditLines, brokerTopics,
  createTopicsDirectly, envoyLogTail,
} from "./support/acl.mjs";
import { waitFor } from "../../scripts/lib/processes.mjs";

let stack;

before(async () => {
  requireKcat();
  requireJava();
  stack = await startStack({ name: "acl", pluginConfig: appPolicy(), kafkaProperties: { "auto.create.topics.enable": "false" } });
  await createTopicsDirectly(stack, SEED_TOPICS);
  for (const topic of ["allowed.kafkajs", "denied.kafkajs", "allowed.fetch", "described-only"]) {
    const produced = await javaClient("produce", { bootstrap: stack.direct, topic, count: 3, valuePrefix: topic });
    assert.equal(produced.ok, 3, `seeding ${topic}: ${JSON.stringify(produced)}`);
  }
}, { timeout: 240000 });

after(async () => { await stack?.stop(); });

/** The end offset of partition 0 of `topic`, asked of the broker directly. */
async function endOffset(topic) {
  const { code, stdout, stderr } = await kcat(["-b", stack.direct, "-Q", "-t", `${topic}:0:-1`]);
  assert.equal(code, 0, stderr);
  const match = /\[0\] offset (-?\d+)/.exec(stdout);
  assert.ok(match, `kcat -Q output: ${stdout}`);
  return Number(match[1]);
}

/** Records of partition 0 of `topic`, read from the broker directly. */
async function brokerRecords(topic) {
  const { code, stdout, stderr } = await kcat(["-b", stack.direct, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\n"]);
  assert.equal(code, 0, stderr);
  return stdout.split("\n").filter((line) => line.length > 0);
}

test("kcat (librdkafka) producing to a denied topic gets 'Topic authorization failed'; an allowed topic takes the records", async () => {
  const denied = await kcat(["-b", stack.bootstrap, "-t", "denied.kcat", "-P", "-X", "message.timeout.ms=5000"],
    { input: "never\n" });
  assert.notEqual(denied.code, 0, "kcat must report the failed delivery");
  assert.match(denied.stderr, /Topic authorization failed/i, denied.stderr);
  assert.equal(await endOffset("denied.kcat"), 0, "nothing reached the broker");

  const allowed = await kcat(["-b", stack.bootstrap, "-t", "allowed.kcat", "-P", "-X", "acks=all"], { input: "one\ntwo\n" });
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.deepEqual(await brokerRecords("allowed.kcat"), ["one", "two"]);

  const decisions = await aclDecisions(stack);
  assert.ok((decisions["topic.write.denied"] ?? 0) + (decisions["topic.describe.denied"] ?? 0) >= 1, JSON.stringify(decisions));
  const audits = auditLines(stack).filter((line) => line.resource === "denied.kcat");
  assert.ok(audits.length >= 1, `an audit line names denied.kcat\n${envoyLogTail(stack)}`);
  for (const line of audits) {
    assert.equal(line.principal, PRINCIPAL);
    assert.equal(line.resource_type, "topic");
    assert.equal(line.decision, "DENIED");
    assert.equal(line.rule, "default");
  }
});

test("a kafkajs consumer of a denied topic gets TOPIC_AUTHORIZATION_FAILED; an allowed topic is consumed", async () => {
  const kafka = new Kafka({ clientId: "acl-kafkajs", brokers: [stack.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 1 } });

  const allowed = kafka.consumer({ groupId: "acl-kafkajs-allowed", sessionTimeout: 10000, heartbeatInterval: 1000 });
  const received = [];
  await allowed.connect();
  await allowed.subscribe({ topic: "allowed.kafkajs", fromBeginning: true });
  await allowed.run({ eachMessage: async ({ message }) => { received.push(message.value.toString()); } });
  await waitFor("3 records of allowed.kafkajs through Envoy", () => received.length >= 3, { timeoutMs: 30000 });
  await allowed.disconnect();
  assert.deepEqual(received, ["allowed.kafkajs-0", "allowed.kafkajs-1", "allowed.kafkajs-2"]);

  const denied = kafka.consumer({ groupId: "acl-kafkajs-denied", sessionTimeout: 10000, heartbeatInterval: 1000, retry: { retries: 0 } });
  let failure = null;
  denied.on(denied.events.CRASH, ({ payload }) => { failure ??= payload.error; });
  await denied.connect();
  try {
    await denied.subscribe({ topic: "denied.kafkajs", fromBeginning: true });
    await denied.run({ eachMessage: async () => { failure ??= new Error("a record of denied.kafkajs was delivered"); } });
    await waitFor("the kafkajs consumer to fail", () => failure !== null, { timeoutMs: 30000 });
  } catch (error) {
    failure = error;
  } finally {
    await denied.disconnect().catch(() => {});
  }
  assert.equal(failure?.type, "TOPIC_AUTHORIZATION_FAILED", `kafkajs error: ${failure?.name} ${failure?.type} ${failure?.message}`);
});

test("Java AdminClient: createTopics and deleteTopics on denied names get TopicAuthorizationException; allowed names are created and deleted", async () => {
  const created = await javaClient("create-topics", { bootstrap: stack.bootstrap, topics: ["allowed.created", "denied.created", "allowed.except"] });
  assert.deepEqual(created.results["allowed.created"], { ok: true }, JSON.stringify(created));
  assert.equal(created.results["denied.created"].error, "TopicAuthorizationException", JSON.stringify(created));
  assert.equal(created.results["allowed.except"].error, "TopicAuthorizationException", "a deny rule beats a prefixed allow");
  let onBroker = await brokerTopics(stack);
  assert.ok(onBroker.includes("allowed.created"));
  assert.ok(!onBroker.includes("denied.created"));

  const deleted = await javaClient("delete-topics", { bootstrap: stack.bootstrap, topics: ["allowed.todelete", "denied.todelete"] });
  assert.deepEqual(deleted.results["allowed.todelete"], { ok: true }, JSON.stringify(deleted));
  assert.equal(deleted.results["denied.todelete"].error, "TopicAuthorizationException", JSON.stringify(deleted));
  onBroker = await brokerTopics(stack);
  assert.ok(!onBroker.includes("allowed.todelete"));
  assert.ok(onBroker.includes("denied.todelete"), "the denied topic is still on the broker");

  const decisions = await aclDecisions(stack);
  assert.ok(decisions["topic.create.denied"] >= 2, JSON.stringify(decisions));
  assert.ok(decisions["topic.delete.denied"] >= 1, JSON.stringify(decisions));
});

test("listing topics (Java listTopics, kcat -L) shows exactly the topics the principal may Describe", async () => {
  const all = await brokerTopics(stack);
  const expected = all.filter(appMayDescribe).sort();
  assert.ok(all.some((t) => !appMayDescribe(t)) && expected.length >= 5, "the broker holds both kinds of topic");

  const listed = await javaClient("list-topics", { bootstrap: stack.bootstrap });
  assert.equal(listed.ok, true, JSON.stringify(listed));
  assert.deepEqual(listed.topics, expected);

  const { code, stdout, stderr } = await kcat(["-b", stack.bootstrap, "-L"]);
  assert.equal(code, 0, stderr);
  const kcatTopics = [...stdout.matchAll(/^\s*topic "([^"]+)"/gm)].map((m) => m[1]).sort();
  assert.deepEqual(kcatTopics, expected, stdout);
});

test("Java describeTopics: allowed names are described, denied ones get TopicAuthorizationException", async () => {
  const described = await javaClient("describe-topics", { bootstrap: stack.bootstrap, topics: ["allowed.fetch", "Orders", "orders", "ordersx", "orders.eu"] });
  assert.equal(described.results["allowed.fetch"].ok, true, JSON.stringify(described));
  assert.equal(described.results["Orders"].ok, true, JSON.stringify(described));
  assert.equal(described.results["orders.eu"].ok, true, JSON.stringify(described));
  assert.equal(described.results["orders"].error, "TopicAuthorizationException", "case matters: 'Orders' is allowed, 'orders' is not");
  assert.equal(described.results["ordersx"].error, "TopicAuthorizationException", "prefix 'orders.' does not match 'ordersx'");
});

/** Fetch requests of v13 and later (topics by id) the filter has counted; kafkajs and librdkafka send older ones. */
async function fetchRequestsByTopicId() {
  return [...await stack.stats("wasmcustom.kafka.broker1.api.Fetch.")]
    .filter(([name]) => name.endsWith(".requests") && Number(/\.v(\d+)\./.exec(name)[1]) >= 13)
    .reduce((sum, [, value]) => sum + value, 0);
}

test("Java consumer fetching by topic id (Fetch v13+): an allowed topic is read, a topic it may only Describe gets TopicAuthorizationException", async () => {
  const fetchesBefore = await fetchRequestsByTopicId();
  const allowed = await javaClient("consume", { bootstrap: stack.bootstrap, topic: "allowed.fetch", count: 3, timeoutMs: 20000 });
  assert.equal(allowed.ok, true, JSON.stringify(allowed));
  assert.deepEqual(allowed.records.map((r) => r.value), ["allowed.fetch-0", "allowed.fetch-1", "allowed.fetch-2"]);

  const before = await aclDecisions(stack);
  const denied = await javaClient("consume", { bootstrap: stack.bootstrap, topic: "described-only", count: 1, timeoutMs: 20000 });
  assert.equal(denied.ok, false, JSON.stringify(denied));
  assert.equal(denied.error, "TopicAuthorizationException", JSON.stringify(denied));
  assert.deepEqual(denied.records, []);
  const after = await aclDecisions(stack);
  assert.ok((after["topic.read.denied"] ?? 0) > (before["topic.read.denied"] ?? 0), `Read was denied (Fetch): ${JSON.stringify(after)}`);
  assert.ok(auditLines(stack).some((l) => l.resource === "described-only" && l.api === "Fetch" && l.operation === "read"),
    `an audit line for the Fetch of described-only\n${envoyLogTail(stack)}`);
  const fetchesByTopicId = await fetchRequestsByTopicId();
  assert.ok(fetchesByTopicId > fetchesBefore, `the Java consumer fetched by topic id (Fetch v13+): ${fetchesBefore} -> ${fetchesByTopicId}`);
});

test("Java consumer group: offsets commit for an allowed topic, and a denied topic's commit gets TopicAuthorizationException", async () => {
  const allowed = await javaClient("commit-offset", { bootstrap: stack.bootstrap, group: "acl-java-group", topic: "allowed.fetch", offset: 2 });
  assert.deepEqual(allowed, { ok: true });
  const denied = await javaClient("commit-offset", { bootstrap: stack.bootstrap, group: "acl-java-group", topic: "denied.kcat", offset: 0 });
  assert.equal(denied.ok, false);
  assert.equal(denied.error, "TopicAuthorizationException", JSON.stringify(denied));

  const subscribed = await javaClient("consume", { bootstrap: stack.bootstrap, topic: "allowed.fetch", group: "acl-java-subscriber", count: 3, timeoutMs: 30000 });
  assert.equal(subscribed.ok, true, JSON.stringify(subscribed));
  assert.equal(subscribed.records.length, 3);
});

test("the filter's ACL counters moved and the connection-level health stats stayed clean", async () => {
  const filter = await aclFilterStats(stack);
  assert.ok(filter.denied + filter.rewritten >= 1, JSON.stringify(filter));
  assert.ok(filter.responsesRewritten >= 1, `listings were filtered: ${JSON.stringify(filter)}`);
  assert.equal(filter.connectionsClosed, 0, "real clients never made the filter fail closed");
  const health = await stack.stats("wasmcustom.kafka.broker1.filter.");
  for (const name of ["unmatched_responses", "request_header_errors", "framing_errors", "response_body_errors"]) {
    assert.equal(health.get(`wasmcustom.kafka.broker1.filter.${name}`), 0, name);
  }
  assert.ok(!/kafka filter aborted|RuntimeError|Function: proxy_on_\w+ failed/.test(envoyLogTail(stack, 100000)), "no trap in Envoy's log");
});

// Topic ACLs against requests no well-behaved client sends, built byte by byte
// (support/kafka-wire.mjs): one Produce mixing allowed and denied topics, frames cut
// into single bytes, pipelined allowed and denied requests, versions above the codec's
// range, unknown API keys, null topic lists, names differing only in case or sharing
// a prefix, and made-up topic ids. Same policy as acl.test.mjs (support/acl.mjs).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startStack } from "./support/stack.mjs";
import { kcat, requireJava, requireKcat } from "./support/clients.mjs";
import { apiVersionRanges } from "./support/spec.mjs";
import {
  SEED_TOPICS, aclDecisions, aclFilterStats, appMayDescribe, appPolicy, auditLines, brokerTopics, createTopicsDirectly, envoyLogTail,
} from "./support/acl.mjs";
import {
  Encoder, RawConnection, apiVersionsRequest, fetchRequestByTopicId, metadataRequest, parseApiVersionsResponse, parseFetchResponse,
  parseMetadataResponse, parseProduceResponse, produceRequest, randomTopicId, requestFrame, uuidBytes,
} from "./support/kafka-wire.mjs";

const TOPIC_AUTHORIZATION_FAILED = 29;
const UNKNOWN_TOPIC_ID = 100;
let stack;

before(async () => {
  requireKcat();
  requireJava();
  stack = await startStack({ name: "acl-wire", pluginConfig: appPolicy(), kafkaProperties: { "auto.create.topics.enable": "false" } });
  await createTopicsDirectly(stack, SEED_TOPICS);
}, { timeout: 240000 });

after(async () => { await stack?.stop(); });

async function endOffset(topic) {
  const { code, stdout, stderr } = await kcat(["-b", stack.direct, "-Q", "-t", `${topic}:0:-1`]);
  assert.equal(code, 0, stderr);
  return Number(/\[0\] offset (-?\d+)/.exec(stdout)[1]);
}

async function brokerRecords(topic) {
  const { code, stdout, stderr } = await kcat(["-b", stack.direct, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\n"]);
  assert.equal(code, 0, stderr);
  return stdout.split("\n").filter((line) => line.length > 0);
}

const errorsByTopic = (produced) => Object.fromEntries(produced.map((t) => [t.name, t.partitions.map((p) => p.errorCode)]));
const metadataErrors = (metadata) => Object.fromEntries(metadata.topics.map((t) => [t.name, t.errorCode]));

/** Sends one request on a fresh connection and returns its response. */
async function roundTrip(frame, { flexibleHeader = true } = {}) {
  const connection = await RawConnection.open(stack.bootstrap);
  try {
    await connection.write(frame);
    return await connection.response({ flexibleHeader });
  } finally {
    connection.close();
  }
}

/** Sends `frame` on a fresh connection and expects the filter to close it, counted as an ACL fail-closed. */
async function expectClosed(frame, what) {
  const before = await aclFilterStats(stack);
  const connection = await RawConnection.open(stack.bootstrap);
  await connection.write(frame);
  await Promise.race([
    connection.closed,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: the connection stayed open\n${envoyLogTail(stack)}`)), 10000)),
  ]);
  assert.equal(connection.frames.length, 0, `${what}: no response reached the client`);
  const afterStats = await aclFilterStats(stack);
  assert.equal(afterStats.connectionsClosed - before.connectionsClosed, 1, `${what}: acl_connections_closed counts it`);
}

test("one Produce carrying an allowed and a denied topic: only the allowed records reach Kafka, the client gets 0 and 29", async () => {
  const before = await aclFilterStats(stack);
  const response = await roundTrip(produceRequest({ correlationId: 7, recordsByTopic: { "allowed.mixed": ["a1", "a2"], "denied.mixed": ["d1"] } }));
  assert.equal(response.correlationId, 7);
  assert.deepEqual(errorsByTopic(parseProduceResponse(response.body)), { "allowed.mixed": [0], "denied.mixed": [TOPIC_AUTHORIZATION_FAILED] });
  assert.deepEqual(await brokerRecords("allowed.mixed"), ["a1", "a2"]);
  assert.equal(await endOffset("denied.mixed"), 0, "no record of the denied topic reached the broker");
  const afterStats = await aclFilterStats(stack);
  assert.equal(afterStats.rewritten - before.rewritten, 1, "the request was rewritten");
  assert.ok(auditLines(stack).some((l) => l.api === "Produce" && l.resource === "denied.mixed" && l.operation === "write" && l.decision === "DENIED"));
});

test("requests written one byte at a time get the same answers as whole ones", async () => {
  const metadata = metadataRequest({ correlationId: 3, version: 12, topics: ["allowed.split", "denied.split"] });
  const whole = await roundTrip(metadata);
  const split = await RawConnection.open(stack.bootstrap);
  try {
    await split.writeByteByByte(metadata);
    const splitResponse = await split.response({ flexibleHeader: true });
    assert.deepEqual(metadataErrors(parseMetadataResponse(splitResponse.body, 12)), { "allowed.split": 0, "denied.split": TOPIC_AUTHORIZATION_FAILED });
    assert.ok(splitResponse.frame.equals(whole.frame), "byte-identical Metadata responses");

    const produce = (tag) => produceRequest({ correlationId: 4, recordsByTopic: { "allowed.split": [`ok-${tag}`], "denied.split": [`no-${tag}`] } });
    const wholeProduce = await roundTrip(produce("whole"));
    await split.writeByteByByte(produce("split"));
    const splitProduce = await split.response({ flexibleHeader: true });
    const expected = { "allowed.split": [0], "denied.split": [TOPIC_AUTHORIZATION_FAILED] };
    assert.deepEqual(errorsByTopic(parseProduceResponse(wholeProduce.body)), expected);
    assert.deepEqual(errorsByTopic(parseProduceResponse(splitProduce.body)), expected);
    assert.equal(splitProduce.correlationId, 4);
  } finally {
    split.close();
  }
  assert.deepEqual(await brokerRecords("allowed.split"), ["ok-whole", "ok-split"]);
  assert.equal(await endOffset("denied.split"), 0);
});

test("pipelined allowed and denied requests on one connection are answered in order, each with its own correlation id and errors", async () => {
  const connection = await RawConnection.open(stack.bootstrap);
  try {
    await connection.write(Buffer.concat([
      metadataRequest({ correlationId: 21, version: 12, topics: ["allowed.kcat"] }),
      produceRequest({ correlationId: 22, recordsByTopic: { "denied.mixed": ["pipelined-denied"] } }),
      produceRequest({ correlationId: 23, recordsByTopic: { "allowed.mixed": ["pipelined-allowed"] } }),
      metadataRequest({ correlationId: 24, version: 12, topics: ["denied.kcat"] }),
      apiVersionsRequest({ correlationId: 25 }),
      produceRequest({ correlationId: 26, recordsByTopic: { "denied.mixed": ["pipelined-denied-2"], "allowed.mixed": ["pipelined-allowed-2"] } }),
    ]));
    const r21 = await connection.response({ flexibleHeader: true });
    const r22 = await connection.response({ flexibleHeader: true });
    const r23 = await connection.response({ flexibleHeader: true });
    const r24 = await connection.response({ flexibleHeader: true });
    const r25 = await connection.response();
    const r26 = await connection.response({ flexibleHeader: true });
    assert.deepEqual([r21, r22, r23, r24, r25, r26].map((r) => r.correlationId), [21, 22, 23, 24, 25, 26]);
    assert.deepEqual(metadataErrors(parseMetadataResponse(r21.body, 12)), { "allowed.kcat": 0 });
    assert.deepEqual(errorsByTopic(parseProduceResponse(r22.body)), { "denied.mixed": [TOPIC_AUTHORIZATION_FAILED] });
    assert.deepEqual(errorsByTopic(parseProduceResponse(r23.body)), { "allowed.mixed": [0] });
    assert.deepEqual(metadataErrors(parseMetadataResponse(r24.body, 12)), { "denied.kcat": TOPIC_AUTHORIZATION_FAILED });
    assert.equal(parseApiVersionsResponse(r25.body).errorCode, 0);
    assert.deepEqual(errorsByTopic(parseProduceResponse(r26.body)), { "denied.mixed": [TOPIC_AUTHORIZATION_FAILED], "allowed.mixed": [0] });
    assert.equal(connection.isClosed, false, "the connection stays up after denials");
  } finally {
    connection.close();
  }
  const records = await brokerRecords("allowed.mixed");
  assert.deepEqual(records.filter((r) => r.startsWith("pipelined")), ["pipelined-allowed", "pipelined-allowed-2"]);
  assert.equal(await endOffset("denied.mixed"), 0);
});

test("a request above the codec's version range closes the connection, counted", async () => {
  const ranges = apiVersionRanges();
  const metadataMax = ranges.get(3).max;
  const body = new Encoder().compactArray(null, () => {}).bool(false).bool(false).noTags().build();
  await expectClosed(requestFrame({ apiKey: 3, apiVersion: metadataMax + 1, correlationId: 1, flexible: true, body }), `Metadata v${metadataMax + 1}`);
  await expectClosed(requestFrame({ apiKey: 3, apiVersion: 99, correlationId: 1, flexible: true, body }), "Metadata v99");
});

test("an unknown API key closes the connection, counted", async () => {
  await expectClosed(requestFrame({ apiKey: 9999, apiVersion: 0, correlationId: 1, flexible: false, body: Buffer.alloc(8) }), "api key 9999");
  const unused = Math.max(...apiVersionRanges().keys()) + 1;
  await expectClosed(requestFrame({ apiKey: unused, apiVersion: 0, correlationId: 1, flexible: false, body: Buffer.alloc(8) }), `api key ${unused}`);
});

test("Metadata for all topics (null topic list, v1 and v12) hides the topics the principal may not Describe", async () => {
  const expected = (await brokerTopics(stack)).filter(appMayDescribe).sort();
  assert.ok(expected.length >= 5 && expected.length < (await brokerTopics(stack)).length);
  const auditsBefore = auditLines(stack).length;
  for (const version of [1, 12]) {
    const response = await roundTrip(metadataRequest({ correlationId: 5, version, topics: null }), { flexibleHeader: version >= 9 });
    const metadata = parseMetadataResponse(response.body, version);
    assert.deepEqual(metadata.topics.map((t) => t.name).sort(), expected, `Metadata v${version}`);
    assert.ok(metadata.topics.every((t) => t.errorCode === 0));
  }
  // Kafka writes no audit line for topics it silently leaves out of a listing.
  assert.deepEqual(auditLines(stack).slice(auditsBefore), []);
});

test("topic names are matched exactly: case matters, and a prefixed rule matches only names starting with the prefix", async () => {
  const names = ["Orders", "orders", "orders.eu", "ordersx", "orders.", "allowed.except", "allowed.split"];
  const response = await roundTrip(metadataRequest({ correlationId: 9, version: 12, topics: names }));
  const errors = metadataErrors(parseMetadataResponse(response.body, 12));
  assert.equal(errors["Orders"], 0);
  assert.equal(errors["orders"], TOPIC_AUTHORIZATION_FAILED);
  assert.equal(errors["orders.eu"], 0);
  assert.equal(errors["ordersx"], TOPIC_AUTHORIZATION_FAILED);
  // "orders." itself starts with the prefix: allowed, and the broker says it does not exist.
  assert.equal(errors["orders."], 3);
  assert.equal(errors["allowed.except"], TOPIC_AUTHORIZATION_FAILED, "the literal deny rule wins over the prefixed allow");
  assert.equal(errors["allowed.split"], 0);

  const produced = await roundTrip(produceRequest({ correlationId: 10, recordsByTopic: { Orders: ["O"], orders: ["o"], "orders.eu": ["eu"], ordersx: ["x"] } }));
  assert.deepEqual(errorsByTopic(parseProduceResponse(produced.body)),
    { Orders: [0], orders: [TOPIC_AUTHORIZATION_FAILED], "orders.eu": [0], ordersx: [TOPIC_AUTHORIZATION_FAILED] });
  assert.equal(await endOffset("orders"), 0);
  assert.equal(await endOffset("ordersx"), 0);
  assert.equal(await endOffset("Orders"), 1);
  assert.equal(await endOffset("orders.eu"), 1);
});

test("Fetch by topic id: a known allowed id is served, a Describe-only topic gets 29, an id the filter never saw gets UNKNOWN_TOPIC_ID", async () => {
  const connection = await RawConnection.open(stack.bootstrap);
  try {
    await connection.write(metadataRequest({ correlationId: 1, version: 12, topics: ["allowed.fetch", "described-only"] }));
    const metadata = parseMetadataResponse((await connection.response({ flexibleHeader: true })).body, 12);
    const idOf = Object.fromEntries(metadata.topics.map((t) => [t.name, t.topicId]));
    assert.ok(idOf["allowed.fetch"] && idOf["described-only"], JSON.stringify(metadata));
    const unknownId = randomTopicId();
    const fetchMax = apiVersionRanges().get(1).max;
    let correlationId = 2;
    for (const version of [13, fetchMax]) {
      await connection.write(fetchRequestByTopicId({ correlationId, version, topicIds: [uuidBytes(idOf["allowed.fetch"]), uuidBytes(idOf["described-only"]), unknownId] }));
      const response = await connection.response({ flexibleHeader: true });
      assert.equal(response.correlationId, correlationId++);
      const fetched = parseFetchResponse(response.body);
      const errorOf = Object.fromEntries(fetched.topics.map((t) => [t.topicId, t.partitions[0].errorCode]));
      assert.equal(fetched.errorCode, 0, `Fetch v${version}`);
      assert.equal(errorOf[idOf["allowed.fetch"]], 0, `Fetch v${version}: ${JSON.stringify(fetched)}`);
      assert.equal(errorOf[idOf["described-only"]], TOPIC_AUTHORIZATION_FAILED, `Fetch v${version}: ${JSON.stringify(fetched)}`);
      assert.equal(errorOf[unknownId.toString("base64url")], UNKNOWN_TOPIC_ID, `Fetch v${version}: ${JSON.stringify(fetched)}`);
    }
    // Only ids nobody taught the filter: the broker must not see the request at all.
    const before = await aclFilterStats(stack);
    await connection.write(fetchRequestByTopicId({ correlationId: 50, topicIds: [randomTopicId()] }));
    const alone = await connection.response({ flexibleHeader: true });
    assert.equal(alone.correlationId, 50);
    const fetched = parseFetchResponse(alone.body);
    assert.equal(fetched.topics[0].partitions[0].errorCode, UNKNOWN_TOPIC_ID, JSON.stringify(fetched));
    assert.equal((await aclFilterStats(stack)).denied - before.denied, 1, "answered by the filter");
    assert.equal(connection.isClosed, false);
  } finally {
    connection.close();
  }
});

test("a topic id is resolved only after a Metadata response through Envoy showed it, and then on every connection and worker", async () => {
  await createTopicsDirectly(stack, ["allowed.unseen"]);
  await kcat(["-b", stack.direct, "-P", "-t", "allowed.unseen"], { input: "unseen\n" });
  const direct = await RawConnection.open(stack.direct);
  await direct.write(metadataRequest({ correlationId: 1, version: 12, topics: ["allowed.unseen"] }));
  const id = parseMetadataResponse((await direct.response({ flexibleHeader: true })).body, 12).topics[0].topicId;
  direct.close();

  const fetchError = async () => {
    const fetched = parseFetchResponse((await roundTrip(fetchRequestByTopicId({ correlationId: 3, topicIds: [uuidBytes(id)] }))).body);
    assert.equal(fetched.topics.length, 1, JSON.stringify(fetched));
    return fetched.topics[0].partitions[0].errorCode;
  };
  assert.equal(await fetchError(), UNKNOWN_TOPIC_ID, "a real topic's id that no response through Envoy has shown yet");
  const learned = parseMetadataResponse((await roundTrip(metadataRequest({ correlationId: 2, version: 12, topics: ["allowed.unseen"] }))).body, 12);
  assert.equal(learned.topics[0].topicId, id);
  // Envoy runs two workers, each with its own Wasm VM; fresh connections land on either.
  for (let i = 0; i < 6; i++) assert.equal(await fetchError(), 0, `connection ${i} after the id was learned`);
});

test("ApiVersions through Envoy never advertises a max version or API the filter's codec does not know", async () => {
  const ranges = apiVersionRanges();
  for (const version of [3, ranges.get(18).max]) {
    const response = await roundTrip(apiVersionsRequest({ correlationId: 1, version }), { flexibleHeader: false });
    const { errorCode, apiKeys } = parseApiVersionsResponse(response.body, version);
    assert.equal(errorCode, 0);
    assert.ok(apiKeys.length >= 20, `a real broker's list, got ${apiKeys.length}`);
    for (const { apiKey, min, max } of apiKeys) {
      const known = ranges.get(apiKey);
      assert.ok(known, `ApiVersions v${version} advertises unknown api key ${apiKey}`);
      // Min versions stay the broker's (see api-versions.test.mjs); some version in range must be one the codec reads.
      assert.ok(max >= known.min && max <= known.max && min <= max, `${known.name}: advertised ${min}-${max}, codec ${known.min}-${known.max}`);
    }
  }
});

test("after all that, the Wasm VMs are healthy and the filter never failed a real response", async () => {
  const health = await stack.stats("wasmcustom.kafka.broker1.filter.");
  assert.equal(health.get("wasmcustom.kafka.broker1.filter.unmatched_responses"), 0);
  assert.equal(health.get("wasmcustom.kafka.broker1.filter.response_body_errors"), 0);
  const wasm = await stack.stats("wasm");
  assert.deepEqual([...wasm].filter(([name, value]) => /fail|crash|abort/.test(name) && value > 0), []);
  const decisions = await aclDecisions(stack);
  assert.ok(decisions["topic.write.denied"] >= 1 && decisions["topic.describe.denied"] >= 1 && decisions["topic.read.denied"] >= 1, JSON.stringify(decisions));
  assert.ok(decisions["topic.write.allowed"] >= 1, JSON.stringify(decisions));
});

// What the broker advertises in ApiVersions reaches the client as the broker sent it,
// except for the one edit ACL enforcement needs: max versions lowered to what the
// filter's codec reads, and API keys it reads no version of removed. Min versions
// matter to clients: librdkafka infers the compression codecs a broker supports from
// Produce's range, and a Kafka 4 broker keeps advertising Produce from v0 for that
// reason (KAFKA-18659). So every compression codec is produced through Envoy, with and
// without ACLs, by kcat (librdkafka) and by Kafka's Java producer, and the batches are
// read back from the broker itself to check the codec each one landed with.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startStack } from "./support/stack.mjs";
import { javaClient, kcat, requireJava, requireKcat } from "./support/clients.mjs";
import { apiVersionRanges } from "./support/spec.mjs";
import { appPolicy, createTopicsDirectly } from "./support/acl.mjs";
import {
  Decoder, RawConnection, apiVersionsRequest, fetchRequestByTopicId, metadataRequest, parseFetchResponse, parseMetadataResponse,
  recordBatches, uuidBytes,
} from "./support/kafka-wire.mjs";

const CODECS = ["gzip", "snappy", "lz4", "zstd"];
const CLIENTS = ["kcat", "java"];
const RECORDS = 5;
const PRODUCE = 0;
const topicFor = (client, codec) => `allowed.compression.${client}.${codec}`;
const ALL_TOPICS = CLIENTS.flatMap((client) => CODECS.map((codec) => topicFor(client, codec)));

let enforcing;
let observing;

before(async () => {
  requireKcat();
  requireJava();
  enforcing = await startStack({ name: "api-versions-acl", pluginConfig: appPolicy(), kafkaProperties: { "auto.create.topics.enable": "false" } });
  observing = await startStack({ name: "api-versions-plain", kafkaProperties: { "auto.create.topics.enable": "false" } });
  await createTopicsDirectly(enforcing, ALL_TOPICS);
  await createTopicsDirectly(observing, ALL_TOPICS);
}, { timeout: 300000 });

after(async () => {
  await enforcing?.stop();
  await observing?.stop();
});

async function roundTrip(bootstrap, frame, { flexibleHeader }) {
  const connection = await RawConnection.open(bootstrap);
  try {
    await connection.write(frame);
    return await connection.response({ flexibleHeader });
  } finally {
    connection.close();
  }
}

/**
 * An ApiVersions response frame (after the size field) cut into what precedes the
 * api_keys array (correlation id, error code), the entries, and every byte after the
 * array (throttle time, tagged fields: features, epochs, anything unknown).
 */
function splitApiVersions(frame, version) {
  const d = new Decoder(frame);
  d.int32();
  d.int16();
  const head = frame.subarray(0, d.pos);
  const count = version >= 3 ? d.uvarint() - 1 : d.int32();
  const entries = [];
  for (let i = 0; i < count; i++) {
    entries.push({ apiKey: d.int16(), min: d.int16(), max: d.int16() });
    if (version >= 3) d.skipTags();
  }
  return { head, entries, tail: frame.subarray(d.pos) };
}

test("ApiVersions v0 to v4 through ACL enforcement keeps min versions, order and every byte outside api_keys", async () => {
  const codec = apiVersionRanges();
  for (let version = 0; version <= 4; version++) {
    // ApiVersions answers always use response header v0, whatever the request's version.
    const request = apiVersionsRequest({ correlationId: 40 + version, version });
    const direct = splitApiVersions((await roundTrip(enforcing.direct, request, { flexibleHeader: false })).frame, version);
    const proxied = splitApiVersions((await roundTrip(enforcing.bootstrap, request, { flexibleHeader: false })).frame, version);
    assert.ok(direct.entries.length >= 20, `v${version}: a real broker's list, got ${direct.entries.length} entries`);
    const brokerProduce = direct.entries.find((e) => e.apiKey === PRODUCE);
    assert.ok(brokerProduce.min < codec.get(PRODUCE).min,
      `v${version}: the broker advertises Produce from v${brokerProduce.min}, below the codec's v${codec.get(PRODUCE).min} (KAFKA-18659), which is what this test is about`);
    const expected = direct.entries
      .filter(({ apiKey, min, max }) => codec.has(apiKey) && max >= codec.get(apiKey).min && min <= codec.get(apiKey).max)
      .map(({ apiKey, min, max }) => ({ apiKey, min, max: Math.min(max, codec.get(apiKey).max) }));
    assert.deepEqual(proxied.entries, expected, `v${version}: api_keys through Envoy`);
    assert.deepEqual(proxied.head, direct.head, `v${version}: correlation id and error code`);
    assert.deepEqual(proxied.tail, direct.tail, `v${version}: everything after api_keys`);
    if (version >= 3) assert.ok(direct.tail.length > 5, `v${version}: the broker's answer carries tagged fields (features), ${direct.tail.length} bytes`);
  }
});

/** The topic's id, asked of the broker itself. */
async function topicId(stack, topic) {
  const connection = await RawConnection.open(stack.direct);
  try {
    await connection.write(metadataRequest({ correlationId: 1, version: 12, topics: [topic] }));
    const metadata = parseMetadataResponse((await connection.response({ flexibleHeader: true })).body, 12);
    assert.equal(metadata.topics[0].errorCode, 0, `${topic} on the broker`);
    return metadata.topics[0].topicId;
  } finally {
    connection.close();
  }
}

/** The record batches of partition 0 of `topic`, fetched from the broker's DIRECT listener. */
async function brokerBatches(stack, topic) {
  const id = await topicId(stack, topic);
  const connection = await RawConnection.open(stack.direct);
  try {
    await connection.write(fetchRequestByTopicId({ correlationId: 2, topicIds: [uuidBytes(id)] }));
    const fetched = parseFetchResponse((await connection.response({ flexibleHeader: true })).body);
    const partition = fetched.topics[0].partitions[0];
    assert.equal(partition.errorCode, 0, `fetching ${topic} from the broker`);
    return recordBatches(partition.records);
  } finally {
    connection.close();
  }
}

// Compressible values: librdkafka sends a batch uncompressed when compressing would not shrink it.
const VALUES = Array.from({ length: RECORDS }, (_, i) => `record-${i}-${"compressible ".repeat(40)}`);

async function produce(stack, client, codec, topic) {
  if (client === "kcat") {
    const { code, stderr } = await kcat(["-b", stack.bootstrap, "-t", topic, "-P", "-z", codec, "-X", "acks=all", "-d", "msg"],
      { input: VALUES.join("\n") + "\n" });
    assert.equal(code, 0, stderr.slice(-2000));
    assert.doesNotMatch(stderr, /does not support compression/, `kcat ${codec} through ${stack.runDir}`);
    return;
  }
  const produced = await javaClient("produce", { bootstrap: stack.bootstrap, topic, count: RECORDS, compression: codec, valuePrefix: VALUES[0] });
  assert.equal(produced.ok, RECORDS, JSON.stringify(produced));
}

for (const [mode, stackOf] of [["with ACLs enforcing", () => enforcing], ["without ACLs", () => observing]]) {
  test(`every compression codec lands compressed through Envoy ${mode}, from kcat and from the Java producer`, async () => {
    const stack = stackOf();
    const landed = {};
    for (const client of CLIENTS) {
      for (const codec of CODECS) {
        const topic = topicFor(client, codec);
        await produce(stack, client, codec, topic);
        const batches = await brokerBatches(stack, topic);
        landed[`${client}/${codec}`] = batches.map((b) => b.compression);
        assert.equal(batches.reduce((sum, b) => sum + b.records, 0), RECORDS, `${client}/${codec}: records on the broker`);
      }
    }
    const expected = Object.fromEntries(Object.entries(landed).map(([key, codecs]) => [key, codecs.map(() => key.split("/")[1])]));
    assert.deepEqual(landed, expected, "each batch's compression attribute, as the broker stored it");
  });
}

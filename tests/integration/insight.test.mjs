// Wire-level insight through the real Envoy, against Kafka's own tools: produced
// batches by compression codec (kcat with every codec, Kafka's ProducerPerformance),
// per topic and per client software, held against an independent parse of the frames
// between Envoy and the broker (the frame tap); the records-per-batch and fetched
// record age histograms for records produced with known timestamps (CreateTime and
// LogAppendTime topics); throttling caused by a client quota set with Kafka's
// kafka-configs (ConfigCommand), seen in the filter's throttle stats and in the
// broker's responses; and consumer lag of groups (classic and KIP-848) that consumed
// part of a topic with Kafka's console consumer, held against the LAG column of
// kafka-consumer-groups --describe (ConsumerGroupCommand) read from the broker's own
// listener. One broker and one Envoy (two workers) for the whole file.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { startStack } from "./support/stack.mjs";
import { kafkaTool, kcat, requireKcat, requireJava } from "./support/clients.mjs";
import { capturedBatches } from "./support/topic-traffic.mjs";
import { waitFor } from "../../scripts/lib/processes.mjs";

const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"];
const AGE_MS = 2 * 3600 * 1000;
const THROTTLED_CLIENT = "insight-throttled";
// Brokers measure a client's rate over at least 10 s (quota.window.num 11 of 1 s), so
// 60 KB at 4 KB/s is over quota, and the client is held back some seconds.
const QUOTA = 4096;
let stack;

before(async () => {
  requireKcat();
  requireJava();
  stack = await startStack({
    name: "insight",
    tap: "capture",
    // Two workers: a consumer's coordinator and fetch connections may land on different ones.
    concurrency: 2,
    pluginConfig: { stat_prefix: "broker1", batch_size_histograms: true, record_age: true, consumer_lag: {} },
  });
}, { timeout: 420000 });

after(async () => { await stack?.stop(); });

/** /stats/prometheus as [{ name, labels, value }] for the broker1 listener. */
async function prometheus() {
  const text = await (await fetch(`${stack.admin}/stats/prometheus`)).text();
  const samples = [];
  for (const match of text.matchAll(/^(kafka_\w+)\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...match[2].matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
    if (labels.kafka_listener === "broker1") samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

function pick(samples, name, labels) {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

const sum = (samples) => samples.reduce((total, s) => total + s.value, 0);

const kafkaClient = (clientId) => new Kafka({ clientId, brokers: [stack.bootstrap], logLevel: logLevel.ERROR, requestTimeout: 60000 });

async function createTopics(topics) {
  const admin = kafkaClient("insight-admin").admin();
  await admin.connect();
  await admin.createTopics({ topics, waitForLeaders: true });
  await admin.disconnect();
}

test("produced batches are counted under their compression codec, per topic and per client software, as the wire shows", { timeout: 180000 }, async (t) => {
  await createTopics([...CODECS.map((codec) => ({ topic: `insight.codec.${codec}` })), { topic: "insight.java.lz4" }]);
  stack.tap.drain();
  for (const codec of CODECS) {
    const lines = Array.from({ length: 300 }, (_, i) => `${codec} record ${i} ${"x".repeat(i % 40)}\n`).join("");
    const produced = await kcat(["-b", stack.bootstrap, "-t", `insight.codec.${codec}`, "-P", "-z", codec,
      "-X", "linger.ms=20", "-X", "batch.num.messages=64"], { input: lines });
    assert.equal(produced.code, 0, produced.stderr);
  }
  // Kafka's own producer benchmark, with the Java client's lz4.
  await kafkaTool("org.apache.kafka.tools.ProducerPerformance", ["--topic", "insight.java.lz4", "--num-records", "400",
    "--record-size", "200", "--throughput", "-1", "--producer-props", `bootstrap.servers=${stack.bootstrap}`,
    "compression.type=lz4", "linger.ms=20", "batch.size=16384", "client.id=insight-perf"]);

  const wire = capturedBatches(stack.tap.drain()).filter((b) => b.kind === "produced");
  const samples = await prometheus();
  /** { codec: { batches, bytes } } of the wire's batches that pass `keep`. */
  const wireByCodec = (keep) => {
    const tally = {};
    for (const b of wire.filter(keep)) {
      tally[b.codec] ??= { batches: 0, bytes: 0 };
      tally[b.codec].batches += 1;
      tally[b.codec].bytes += b.bytes;
    }
    return tally;
  };
  /** The same from the filter's counters matching `labels`. */
  const filterByCodec = (prefix, labels) => {
    const tally = {};
    for (const s of pick(samples, `${prefix}_produced_batches`, labels)) {
      tally[s.labels.kafka_compression] ??= { batches: 0, bytes: 0 };
      tally[s.labels.kafka_compression].batches += s.value;
    }
    for (const s of pick(samples, `${prefix}_produced_batch_bytes`, labels)) {
      tally[s.labels.kafka_compression] ??= { batches: 0, bytes: 0 };
      tally[s.labels.kafka_compression].bytes += s.value;
    }
    return tally;
  };
  for (const [topic, codec] of [...CODECS.map((c) => [`insight.codec.${c}`, c]), ["insight.java.lz4", "lz4"]]) {
    // The Java producer names topics by id (Produce v13), which the tap's parse does not resolve; it is the only one here.
    const onWire = wireByCodec((b) => b.topic === (topic === "insight.java.lz4" ? "unknown_topic_id" : topic));
    // The producers used the codec asked for (librdkafka sends a batch that does not shrink uncompressed).
    assert.ok(onWire[codec]?.batches > 1, `${topic}: ${codec} batches on the wire: ${JSON.stringify(onWire)}`);
    // Produce v13 names topics by id (only the Java producer uses it here): the Metadata response that taught
    // the id passed some worker before the client could produce, and the workers share what they learn, so
    // every batch counts under the topic's name, on whichever worker the Produce connection sits.
    const counted = filterByCodec("kafka_topic", { kafka_topic: topic });
    assert.deepEqual(counted, onWire, `${topic}: filter vs wire`);
    t.diagnostic(`codec figures: ${topic}: filter ${JSON.stringify(counted)} wire ${JSON.stringify(onWire)}`);
  }
  assert.deepEqual(filterByCodec("kafka_topic", { kafka_topic: "unknown_topic_id" }), {}, "no batch counted under unknown_topic_id");
  // Per client software: kcat's librdkafka for the five codec topics, the Java client for lz4.
  assert.deepEqual(filterByCodec("kafka_client", { kafka_client_software: "librdkafka" }),
    wireByCodec((b) => b.topic.startsWith("insight.codec.")), "librdkafka");
  assert.deepEqual(filterByCodec("kafka_client", { kafka_client_software: "apache-kafka-java" }),
    wireByCodec((b) => b.topic === "unknown_topic_id"), "Java client");

  // The records-per-batch histogram has one sample per batch (histograms reach /stats at Envoy's flush).
  const topic = "insight.codec.gzip";
  const onWire = wire.filter((b) => b.topic === topic);
  let counted = null;
  await waitFor("the records-per-batch histogram to be flushed", async () => {
    counted = pick(await prometheus(), "kafka_topic_produced_records_per_batch_count", { kafka_topic: topic })[0]?.value;
    return counted === onWire.length;
  }, { timeoutMs: 30000, hint: () => `count ${counted}, batches ${onWire.length}` });
  const histogram = await prometheus();
  const records = pick(histogram, "kafka_topic_produced_records_per_batch_sum", { kafka_topic: topic })[0].value;
  assert.ok(Math.abs(records - 300) <= 300 * 0.02, `the histogram's sum ${records} is the 300 records (to Envoy's histogram precision)`);
  const maxRecords = Math.max(...onWire.map((b) => b.records));
  const smallestBucketAll = pick(histogram, "kafka_topic_produced_records_per_batch_bucket", { kafka_topic: topic })
    .filter((s) => s.value === onWire.length).map((s) => Number(s.labels.le)).sort((a, b) => a - b)[0];
  assert.ok(smallestBucketAll >= maxRecords, `all ${onWire.length} batches fall at or below ${smallestBucketAll} records (largest ${maxRecords})`);
});

test("fetched record age: CreateTime batches are as old as their producer's timestamps, LogAppendTime ones as their append", { timeout: 120000 }, async (t) => {
  await createTopics([
    { topic: "insight.age.create" },
    { topic: "insight.age.append", configEntries: [{ name: "message.timestamp.type", value: "LogAppendTime" }] },
  ]);
  const timestamp = Date.now() - AGE_MS;
  const producer = kafkaClient("insight-age").producer();
  await producer.connect();
  for (const topic of ["insight.age.create", "insight.age.append"]) {
    for (let send = 0; send < 3; send++) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 20 }, (_, i) => ({ value: `r${send}.${i}`, timestamp: String(timestamp) })) });
    }
  }
  await producer.disconnect();
  stack.tap.drain();
  const fetchedFrom = Date.now();
  for (const topic of ["insight.age.create", "insight.age.append"]) {
    const consumed = await kcat(["-b", stack.bootstrap, "-t", topic, "-C", "-o", "beginning", "-e", "-q"]);
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.equal(consumed.stdout.split("\n").filter((l) => l.length > 0).length, 60);
  }
  const fetchedTo = Date.now();
  const wire = capturedBatches(stack.tap.drain()).filter((b) => b.kind === "fetched");
  const create = wire.filter((b) => b.topic === "insight.age.create");
  const append = wire.filter((b) => b.topic === "insight.age.append");
  assert.ok(create.length >= 3 && create.every((b) => b.maxTimestamp === timestamp && !b.logAppendTime), JSON.stringify(create));
  assert.ok(append.length >= 3 && append.every((b) => b.logAppendTime && b.maxTimestamp > timestamp + AGE_MS / 2), JSON.stringify(append));

  const series = (samples, topic, suffix) => pick(samples, `kafka_topic_fetched_record_age_ms${suffix}`, { kafka_topic: topic });
  let samples = null;
  await waitFor("the record age histograms to be flushed", async () => {
    samples = await prometheus();
    return series(samples, "insight.age.create", "_count")[0]?.value === create.length &&
      series(samples, "insight.age.append", "_count")[0]?.value === append.length;
  }, { timeoutMs: 30000, hint: () => JSON.stringify(samples?.filter((s) => s.name.startsWith("kafka_topic_fetched_record_age"))) });
  const bucket = (topic, le) => series(samples, topic, "_bucket").find((s) => s.labels.le === le).value;
  // Two hours old: above the 1 h bucket bound, within the 6 h one.
  assert.equal(bucket("insight.age.create", "3600000"), 0);
  assert.equal(bucket("insight.age.create", "21600000"), create.length);
  const mean = series(samples, "insight.age.create", "_sum")[0].value / create.length;
  const low = (fetchedFrom - timestamp) * 0.98;
  const high = (fetchedTo - timestamp) * 1.02;
  assert.ok(mean >= low && mean <= high, `mean age ${mean} ms within [${low}, ${high}]`);
  t.diagnostic(`age figures: produced with timestamp now-${AGE_MS} ms; fetched between ${fetchedFrom - timestamp} and ${fetchedTo - timestamp} ms after it; ` +
    `filter CreateTime batches ${create.length}, mean age ${Math.round(mean)} ms; LogAppendTime batches ${append.length}, ` +
    `mean age ${Math.round(series(samples, "insight.age.append", "_sum")[0].value / append.length)} ms`);
  // LogAppendTime: the broker's append time, seconds ago, whatever the producer said.
  assert.equal(bucket("insight.age.append", "60000"), append.length);
});

/** ThrottleTimeMs of a Produce response frame (correlation id first), versions 3-13. */
function produceThrottle(frame, version) {
  const flexible = version >= 9;
  let pos = 4;
  const uvarint = () => { let v = 0; for (let shift = 0; ; shift += 7) { const b = frame[pos++]; v += (b & 0x7f) * 2 ** shift; if ((b & 0x80) === 0) return v; } };
  const length = (classic) => {
    if (flexible) return uvarint() - 1;
    const n = classic === 2 ? frame.readInt16BE(pos) : frame.readInt32BE(pos);
    pos += classic;
    return n;
  };
  const skip = (n) => { if (n > 0) pos += n; };
  const tags = () => { if (flexible) for (let n = uvarint(); n > 0; n--) { uvarint(); skip(uvarint()); } };
  const nullableString = () => skip(length(2));
  tags();
  for (let topics = length(4); topics > 0; topics--) {
    if (version >= 13) skip(16); else skip(length(2));
    for (let partitions = length(4); partitions > 0; partitions--) {
      pos += 4 + 2 + 8 + 8 + (version >= 5 ? 8 : 0);
      if (version >= 8) {
        for (let errors = length(4); errors > 0; errors--) { pos += 4; nullableString(); tags(); }
        nullableString();
      }
      tags();
    }
    tags();
  }
  return frame.readInt32BE(pos);
}

test("a client quota set with kafka-configs throttles Produce and Fetch, and the throttle stats show it per API and client id", { timeout: 150000 }, async (t) => {
  await createTopics([{ topic: "insight.quota" }]);
  // Through the broker's own listener, as an operator would.
  await kafkaTool("kafka.admin.ConfigCommand", ["--bootstrap-server", stack.direct, "--alter", "--entity-type", "clients",
    "--entity-name", THROTTLED_CLIENT, "--add-config", `producer_byte_rate=${QUOTA},consumer_byte_rate=${QUOTA}`]);
  const described = await kafkaTool("kafka.admin.ConfigCommand", ["--bootstrap-server", stack.direct, "--describe",
    "--entity-type", "clients", "--entity-name", THROTTLED_CLIENT]);
  assert.match(described, new RegExp(`producer_byte_rate=${QUOTA}`));
  stack.tap.drain();
  const lines = Array.from({ length: 60 }, (_, i) => `${i} ${"q".repeat(1000)}\n`).join("");
  // Batches of 5 records (5 KB): a Fetch response holds at least one whole batch, and the broker never sends a
  // throttled client a response larger than its quota allows (it sends an empty throttled one instead).
  const produced = await kcat(["-b", stack.bootstrap, "-t", "insight.quota", "-P", "-X", `client.id=${THROTTLED_CLIENT}`,
    "-X", "linger.ms=5", "-X", "batch.num.messages=5"], { input: lines, timeoutMs: 120000 });
  assert.equal(produced.code, 0, produced.stderr);
  // Small fetches: one batch each.
  const consumed = await kcat(["-b", stack.bootstrap, "-t", "insight.quota", "-C", "-o", "beginning", "-c", "60", "-q",
    "-X", `client.id=${THROTTLED_CLIENT}`, "-X", "fetch.message.max.bytes=4096"], { timeoutMs: 120000 });
  assert.equal(consumed.code, 0, consumed.stderr);

  const captured = stack.tap.drain().filter((f) => f.direction === "response" && f.apiKey === 0);
  const throttles = captured.map((f) => produceThrottle(f.frame, f.apiVersion)).filter((ms) => ms > 0);
  assert.ok(throttles.length > 0, "the broker throttled the producer");
  const samples = await prometheus();
  const label = { kafka_api: "Produce", kafka_client_id: THROTTLED_CLIENT };
  assert.equal(sum(pick(samples, "kafka_throttle_responses", label)), throttles.length);
  assert.equal(sum(pick(samples, "kafka_throttle_time_ms", label)), throttles.reduce((a, b) => a + b, 0));
  const fetchThrottled = sum(pick(samples, "kafka_throttle_responses", { kafka_api: "Fetch", kafka_client_id: THROTTLED_CLIENT }));
  assert.ok(fetchThrottled > 0, "the consumer's Fetch responses were throttled");
  t.diagnostic(`throttle figures: broker Produce responses throttled ${throttles.length}, ThrottleTimeMs sum ${throttles.reduce((a, b) => a + b, 0)}; ` +
    `filter Produce responses ${sum(pick(samples, "kafka_throttle_responses", label))}, time_ms ${sum(pick(samples, "kafka_throttle_time_ms", label))}; ` +
    `filter Fetch responses ${fetchThrottled}, time_ms ${sum(pick(samples, "kafka_throttle_time_ms", { kafka_api: "Fetch", kafka_client_id: THROTTLED_CLIENT }))}`);
  // No other client was throttled.
  assert.deepEqual([...new Set(pick(samples, "kafka_throttle_responses", {}).map((s) => s.labels.kafka_client_id))], [THROTTLED_CLIENT]);
});

/** The LAG column of `kafka-consumer-groups --describe`, per partition of `topic`. */
function describedLag(output, topic) {
  const lines = output.split("\n").map((l) => l.trim().split(/\s+/));
  const header = lines.find((cols) => cols.includes("LAG") && cols.includes("PARTITION"));
  assert.ok(header, `no header in:\n${output}`);
  const at = (name) => header.indexOf(name);
  const lag = new Map();
  for (const cols of lines) {
    if (cols[at("TOPIC")] !== topic) continue;
    lag.set(Number(cols[at("PARTITION")]), Number(cols[at("LAG")]));
  }
  return lag;
}

test("consumer lag of groups that consumed part of a topic matches kafka-consumer-groups' LAG within one fetch", { timeout: 240000 }, async (t) => {
  const topic = "insight.lag";
  await createTopics([{ topic, numPartitions: 2 }]);
  const lines = Array.from({ length: 3000 }, (_, i) => `lag record ${i} ${"l".repeat(i % 60)}\n`).join("");
  // Small batches, so that one fetch (max.partition.fetch.bytes 2 KB) brings a few dozen records.
  const produced = await kcat(["-b", stack.bootstrap, "-t", topic, "-P", "-X", "linger.ms=5", "-X", "batch.num.messages=20"], { input: lines });
  assert.equal(produced.code, 0, produced.stderr);
  const figures = [];
  for (const [group, protocol, take] of [["insight-lag-classic", "classic", 700], ["insight-lag-kip848", "consumer", 1200]]) {
    stack.tap.drain();
    // Small fetches, so that "one fetch's worth" is a few dozen records.
    await kafkaTool("org.apache.kafka.tools.consumer.ConsoleConsumer", ["--bootstrap-server", stack.bootstrap, "--topic", topic,
      "--group", group, "--from-beginning", "--max-messages", String(take),
      // The console consumer's own client id is "console-consumer" in every group; a client id per group
      // is what the filter ties a fetch connection to its group by.
      "--consumer-property", `client.id=${group}-1`,
      "--consumer-property", `group.protocol=${protocol}`, "--consumer-property", "max.partition.fetch.bytes=2048",
      "--consumer-property", "fetch.max.bytes=4096", "--consumer-property", "max.poll.records=50"], { timeoutMs: 120000 });
    // The Java consumer fetches by topic id (Fetch v13+), which the tap's parse does not resolve; it fetches only this topic.
    const fetched = capturedBatches(stack.tap.drain()).filter((b) => b.kind === "fetched" && (b.topic === topic || b.topic === "unknown_topic_id"));
    assert.ok(fetched.length > 0, "the consumer fetched through Envoy");
    // One fetch's worth: the most records one Fetch response brought (all partitions).
    const perResponse = new Map();
    for (const b of fetched) perResponse.set(b.frame, (perResponse.get(b.frame) ?? 0) + b.records);
    const oneFetch = Math.max(...perResponse.values());
    const described = await kafkaTool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
      ["--bootstrap-server", stack.direct, "--describe", "--group", group]);
    const kafkaLag = describedLag(described, topic);
    assert.equal(kafkaLag.size, 2, described);
    const kafkaSum = [...kafkaLag.values()].reduce((a, b) => a + b, 0);
    const kafkaMax = Math.max(...kafkaLag.values());
    assert.equal(kafkaSum, 3000 - take, described);
    const samples = await prometheus();
    const series = { kafka_consumer_group: group, kafka_topic: topic };
    const filterSum = sum(pick(samples, "kafka_consumer_lag_sum_records", series));
    const filterMax = sum(pick(samples, "kafka_consumer_lag_max_records", series));
    figures.push({ group, protocol, consumed: take, kafkaLag: Object.fromEntries(kafkaLag), kafkaSum, kafkaMax, filterSum, filterMax, oneFetch });
    // The filter measures from the consumer's last fetch position, Kafka from its committed offset.
    const seriesOfTopic = JSON.stringify(pick(samples, "kafka_consumer_lag_sum_records", {}));
    assert.ok(Math.abs(filterSum - kafkaSum) <= oneFetch,
      `${group}: filter sum ${filterSum} vs Kafka ${kafkaSum} (one fetch: ${oneFetch} records); every lag series: ${seriesOfTopic}`);
    assert.ok(Math.abs(filterMax - kafkaMax) <= oneFetch, `${group}: filter max ${filterMax} vs Kafka ${kafkaMax} (one fetch: ${oneFetch} records)`);
    assert.ok(filterSum > 0 && filterMax > 0);
  }
  // The topic's lag series are labelled by group: the fetch connections were tied to their groups. (kcat
  // consumers without a group, earlier in this file, have series labelled by client id.)
  const lagSeries = pick(await prometheus(), "kafka_consumer_lag_sum_records", { kafka_topic: topic });
  assert.deepEqual(lagSeries.map((s) => s.labels.kafka_consumer_group).sort(), ["insight-lag-classic", "insight-lag-kip848"]);
  assert.ok(pick(await prometheus(), "kafka_consumer_lag_sum_records", { kafka_client_id: "rdkafka" }).length > 0,
    "kcat's group-less consumers are labelled by client id");
  t.diagnostic(`lag figures: ${JSON.stringify(figures)}`);
});

// Error codes inside real responses are counted per API under Kafka's own error names.
// The broker runs with topic auto-creation off, and short group session timeouts so a
// stalled consumer is evicted quickly.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { startStack } from "./support/stack.mjs";
import { kcat, requireKcat } from "./support/clients.mjs";
import { waitFor } from "../../scripts/lib/processes.mjs";

const PREFIX = "wasmcustom.kafka.broker1";
let stack;

before(async () => {
  requireKcat();
  stack = await startStack({
    name: "errors",
    kafkaProperties: { "auto.create.topics.enable": "false", "group.min.session.timeout.ms": "1000" },
  });
}, { timeout: 180000 });

after(async () => { await stack?.stop(); });

const errorsOf = async (api) => new Map([...await stack.stats(`${PREFIX}.errors.${api}.`)]
  .map(([name, value]) => [name.slice(`${PREFIX}.errors.${api}.`.length), value]));

test("producing to a topic that does not exist counts UNKNOWN_TOPIC_OR_PARTITION, with Prometheus labels", async () => {
  const produced = await kcat(["-b", stack.bootstrap, "-t", "no-such-topic", "-P", "-X", "topic.metadata.propagation.max.ms=2000",
    "-X", "message.timeout.ms=3000"], { input: "lost\n" });
  assert.notEqual(produced.code, 0, "kcat must fail to produce to a missing topic");
  const client = new Kafka({ clientId: "errors-test", brokers: [stack.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 1 } });
  const producer = client.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await assert.rejects(producer.send({ topic: "no-such-topic-either", messages: [{ value: "lost" }] }));
  await producer.disconnect();

  const metadataErrors = await errorsOf("Metadata");
  assert.ok((metadataErrors.get("UNKNOWN_TOPIC_OR_PARTITION") ?? 0) >= 2, JSON.stringify([...metadataErrors]));
  const text = await (await fetch(`${stack.admin}/stats/prometheus`)).text();
  assert.match(text, /^kafka_errors\{kafka_listener="broker1",kafka_api="Metadata",kafka_error="UNKNOWN_TOPIC_OR_PARTITION"\} [1-9]\d*$/m);
  const health = await stack.stats(`${PREFIX}.filter.`);
  assert.equal(health.get(`${PREFIX}.filter.response_body_errors`), 0);
});

test("a consumer evicted from its group and committing with a stale generation gets its errors counted", async () => {
  const client = new Kafka({ clientId: "errors-group", brokers: [stack.bootstrap], logLevel: logLevel.NOTHING });
  const admin = client.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "stale-generation" }], waitForLeaders: true });
  await admin.disconnect();
  const producer = client.producer();
  await producer.connect();
  await producer.send({ topic: "stale-generation", messages: [{ value: "one" }, { value: "two" }] });
  await producer.disconnect();

  // kafkajs heartbeats between messages, so a handler that stalls past the session
  // timeout gets the member evicted; its next heartbeat and commit carry a stale
  // member id and generation. The handler stalls until the broker shows the group
  // without members (evicted), not for a fixed time: a loaded broker may expire the
  // session late, and a commit before that would succeed.
  const groupId = "stale-generation-group";
  const consumer = client.consumer({ groupId, sessionTimeout: 1500, heartbeatInterval: 500, rebalanceTimeout: 3000 });
  await consumer.connect();
  await consumer.subscribe({ topic: "stale-generation", fromBeginning: true });
  const groups = client.admin();
  await groups.connect();
  let stalled = false;
  let stall = null;
  await consumer.run({
    autoCommit: true,
    eachMessage: async () => {
      if (!stalled) {
        stalled = true;
        let described;
        stall = waitFor("the broker to evict the stalled member", async () => {
          described = (await groups.describeGroups([groupId])).groups[0];
          return described.members.length === 0;
        }, { timeoutMs: 60000, intervalMs: 250, hint: () => ` (group: ${JSON.stringify(described)})` }).then(() => "evicted", (error) => error.message);
        await stall;
      }
    },
  });
  const stale = ["UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION", "REBALANCE_IN_PROGRESS"];
  let seen;
  await waitFor("a group error from the broker", async () => {
    const [commit, heartbeat] = [await errorsOf("OffsetCommit"), await errorsOf("Heartbeat")];
    seen = { OffsetCommit: Object.fromEntries(commit), Heartbeat: Object.fromEntries(heartbeat) };
    return stale.some((name) => (commit.get(name) ?? 0) + (heartbeat.get(name) ?? 0) > 0);
  }, { timeoutMs: 90000 }).catch(async () => assert.fail(`no stale-member error counted: ${JSON.stringify(seen)}; the stall: ${await stall}`));
  assert.equal(await stall, "evicted");
  await consumer.disconnect();
  await groups.disconnect();
  const health = await stack.stats(`${PREFIX}.filter.`);
  assert.equal(health.get(`${PREFIX}.filter.response_body_errors`), 0);
  assert.equal(health.get(`${PREFIX}.filter.unmatched_responses`), 0);
});

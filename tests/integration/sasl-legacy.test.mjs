// The legacy SASL exchange end to end: SaslHandshake v0, then raw SASL/PLAIN token
// frames with no Kafka header, through the real Envoy to a real broker with SASL on.
// No allowed client library picks this path against a Kafka 4 broker (they all use
// SaslAuthenticate when it is offered), so a hand-built client drives the bytes; the
// broker's answers are real. The filter must step over both raw tokens, stay matched
// for the Kafka traffic after them, and, with ACLs, take the principal from the token.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { startStack } from "./support/stack.mjs";
import { Decoder, Encoder, RawConnection, metadataRequest, parseMetadataResponse, requestFrame } from "./support/kafka-wire.mjs";

const PREFIX = "wasmcustom.kafka.broker1";
const PASSWORDS = { alice: "alice-legacy-s3cret", bob: "bob-legacy-s3cret" };
const BROKER_SASL = {
  "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,DIRECT:PLAINTEXT,CONTROLLER:PLAINTEXT",
  "sasl.enabled.mechanisms": "PLAIN",
  "listener.name.client.sasl.enabled.mechanisms": "PLAIN",
  "listener.name.client.plain.sasl.jaas.config":
    `org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="${PASSWORDS.alice}" user_bob="${PASSWORDS.bob}";`,
};
const TOPIC_AUTHORIZATION_FAILED = 29;

let plain;
let guarded;

before(async () => {
  plain = await startStack({ name: "sasl-legacy", kafkaProperties: BROKER_SASL });
  guarded = await startStack({
    name: "sasl-legacy-acl",
    kafkaProperties: BROKER_SASL,
    pluginConfig: {
      stat_prefix: "broker1",
      acl: {
        default: "deny",
        principal_sources: ["sasl"],
        rules: [
          { name: "alice-topics", effect: "allow", principal: "User:alice", resource_type: "topic", pattern_type: "literal", resource_name: "*", operations: ["all"] },
          { name: "cluster", effect: "allow", principal: "User:*", resource_type: "cluster", pattern_type: "literal", resource_name: "kafka-cluster", operations: ["all"] },
        ],
      },
    },
  });
}, { timeout: 240000 });

after(async () => {
  await plain?.stop();
  await guarded?.stop();
});

/** The next size-prefixed frame as raw bytes: raw SASL tokens carry no correlation id. */
function nextRawFrame(connection, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no frame within ${timeoutMs} ms`)), timeoutMs);
    connection.waiters.push({
      resolve: (frame) => { clearTimeout(timer); resolve(frame); },
      reject: (error) => { clearTimeout(timer); reject(error); },
    });
    connection.flushWaiters();
  });
}

/** Authenticates with SaslHandshake v0 and one raw PLAIN token; returns the open connection. */
async function legacyPlainLogin(bootstrap, user) {
  const connection = await RawConnection.open(bootstrap);
  await connection.write(requestFrame({
    apiKey: 17, apiVersion: 0, correlationId: 1, flexible: false, body: new Encoder().string("PLAIN").build(),
  }));
  const handshake = new Decoder(await nextRawFrame(connection));
  assert.equal(handshake.int32(), 1, "SaslHandshake answer's correlation id");
  assert.equal(handshake.int16(), 0, "the broker accepts PLAIN");
  assert.deepEqual(handshake.array((d) => d.string()), ["PLAIN"]);

  // The raw token: [authzid] NUL authcid NUL password, size-prefixed, no Kafka header.
  const token = Buffer.from(`\0${user}\0${PASSWORDS[user]}`, "utf8");
  const frame = Buffer.alloc(4 + token.length);
  frame.writeInt32BE(token.length, 0);
  token.copy(frame, 4);
  await connection.write(frame);
  const answer = await nextRawFrame(connection);
  assert.equal(answer.length, 0, "PLAIN succeeds with an empty server token");
  return connection;
}

async function metadataFor(connection, topic) {
  await connection.write(metadataRequest({ correlationId: 7, version: 1, topics: [topic] }));
  const response = await connection.response();
  assert.equal(response.correlationId, 7);
  return parseMetadataResponse(response.body, 1);
}

const value = (stats, suffix) => [...stats].filter(([name]) => name.endsWith(suffix)).reduce((n, [, v]) => n + v, 0);

test("SaslHandshake v0 and raw PLAIN tokens pass, and the Kafka traffic after them stays matched", async () => {
  const connection = await legacyPlainLogin(plain.bootstrap, "alice");
  const metadata = await metadataFor(connection, "legacy-topic");
  assert.equal(metadata.brokers.length, 1);
  connection.close();

  const stats = await plain.stats(PREFIX);
  assert.equal(value(stats, ".filter.sasl_tokens"), 2, "one client token and one broker token stepped over");
  assert.equal(value(stats, ".api.SaslHandshake.v0.responses"), 1);
  assert.equal(value(stats, ".api.Metadata.v1.responses"), 1);
  for (const health of ["unmatched_responses", "request_header_errors", "unknown_api_requests", "framing_errors", "unanswered_requests"]) {
    assert.equal(value(stats, `.filter.${health}`), 0, health);
  }
  assert.ok(!fs.readFileSync(plain.envoy.logFile, "utf8").includes(PASSWORDS.alice), "the password never reaches Envoy's log");
});

test("with ACLs, the principal comes from the raw PLAIN token: alice may describe a topic, bob may not", async () => {
  const alice = await legacyPlainLogin(guarded.bootstrap, "alice");
  const allowed = await metadataFor(alice, "ledger");
  assert.equal(allowed.topics.length, 1);
  assert.notEqual(allowed.topics[0].errorCode, TOPIC_AUTHORIZATION_FAILED, "alice is allowed");
  alice.close();

  const bob = await legacyPlainLogin(guarded.bootstrap, "bob");
  const denied = await metadataFor(bob, "ledger");
  assert.deepEqual(denied.topics.map((t) => [t.name, t.errorCode]), [["ledger", TOPIC_AUTHORIZATION_FAILED]]);
  assert.equal(denied.brokers.length, 1, "the rest of the response is the broker's");
  bob.close();

  const log = fs.readFileSync(guarded.envoy.logFile, "utf8");
  assert.match(log, /"principal":"User:bob","api":"Metadata","resource_type":"topic","resource":"ledger","operation":"describe","decision":"DENIED"/);
  assert.ok(!log.includes(PASSWORDS.bob) && !log.includes(PASSWORDS.alice), "no password in Envoy's log");
});

// Principals from SASL/PLAIN: the broker authenticates two users, the filter reads the
// user name from the exchange it forwards, and one Envoy gives them different rights
// on the same topic (principal_sources ["sasl"]).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startStack } from "./support/stack.mjs";
import { javaClient, kcat, requireJava, requireKcat } from "./support/clients.mjs";
import { aclDecisions, auditLines, createTopicsDirectly, envoyLogTail } from "./support/acl.mjs";

const USERS = { alice: "alice-secret", bob: "bob-secret" };
let stack;

before(async () => {
  requireKcat();
  requireJava();
  stack = await startStack({
    name: "acl-sasl",
    kafkaProperties: {
      "auto.create.topics.enable": "false",
      "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,DIRECT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      "sasl.enabled.mechanisms": "PLAIN",
      "listener.name.client.sasl.enabled.mechanisms": "PLAIN",
      "listener.name.client.plain.sasl.jaas.config": "org.apache.kafka.common.security.plain.PlainLoginModule required " +
        Object.entries(USERS).map(([user, password]) => `user_${user}="${password}"`).join(" ") + ";",
    },
    pluginConfig: {
      stat_prefix: "broker1",
      acl: {
        mode: "enforce",
        default: "deny",
        principal_sources: ["sasl"],
        rules: [
          { name: "alice-reads-shared", effect: "allow", principal: "User:alice", resource_type: "topic", pattern_type: "literal", resource_name: "shared", operations: ["read", "describe"] },
          { name: "bob-owns-his", effect: "allow", principal: "User:bob", resource_type: "topic", pattern_type: "prefixed", resource_name: "bob.", operations: ["all"] },
          { name: "groups", effect: "allow", principal: "User:*", resource_type: "group", pattern_type: "literal", resource_name: "*", operations: ["read", "describe"] },
          { name: "cluster", effect: "allow", principal: "User:*", resource_type: "cluster", pattern_type: "literal", resource_name: "kafka-cluster", operations: ["describe", "idempotent_write"] },
        ],
      },
    },
  });
  await createTopicsDirectly(stack, ["shared", "bob.private"]);
  const seeded = await javaClient("produce", { bootstrap: stack.direct, topic: "shared", count: 2, valuePrefix: "shared" });
  assert.equal(seeded.ok, 2, JSON.stringify(seeded));
}, { timeout: 240000 });

after(async () => { await stack?.stop(); });

const sasl = (user) => ["-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN", "-X", `sasl.username=${user}`, "-X", `sasl.password=${USERS[user]}`];

test("the same topic is readable by alice and denied to bob, through the same Envoy (kcat)", async () => {
  const alice = await kcat(["-b", stack.bootstrap, ...sasl("alice"), "-C", "-t", "shared", "-o", "beginning", "-c", "2", "-f", "%s\n", "-q"], { timeoutMs: 30000 });
  assert.equal(alice.code, 0, alice.stderr);
  assert.deepEqual(alice.stdout.trim().split("\n"), ["shared-0", "shared-1"]);

  const bob = await kcat(["-b", stack.bootstrap, ...sasl("bob"), "-C", "-t", "shared", "-o", "beginning", "-c", "1", "-e"], { timeoutMs: 30000 });
  assert.notEqual(bob.code, 0, `bob must not read shared: ${bob.stdout}`);
  assert.match(bob.stderr, /Topic authorization failed/i, bob.stderr);
  assert.equal(bob.stdout.trim(), "");

  const audits = auditLines(stack).filter((l) => l.resource === "shared");
  assert.ok(audits.length >= 1, envoyLogTail(stack));
  assert.ok(audits.every((l) => l.principal === "User:bob" && l.decision === "DENIED"), JSON.stringify(audits));
});

test("Java clients with SASL: bob writes his own topic but not shared, alice may not write shared", async () => {
  const bobOwn = await javaClient("produce", { bootstrap: stack.bootstrap, user: "bob", password: USERS.bob, topic: "bob.private", count: 2 });
  assert.equal(bobOwn.ok, 2, JSON.stringify(bobOwn));
  const bobShared = await javaClient("produce", { bootstrap: stack.bootstrap, user: "bob", password: USERS.bob, topic: "shared", count: 1, timeoutMs: 30000 });
  assert.equal(bobShared.ok, 0);
  assert.equal(bobShared.results[0].error, "TopicAuthorizationException", JSON.stringify(bobShared));
  const aliceShared = await javaClient("produce", { bootstrap: stack.bootstrap, user: "alice", password: USERS.alice, topic: "shared", count: 1, timeoutMs: 30000 });
  assert.equal(aliceShared.results[0].error, "TopicAuthorizationException", "alice may read shared, not write it");

  const aliceReads = await javaClient("consume", { bootstrap: stack.bootstrap, user: "alice", password: USERS.alice, topic: "shared", count: 2 });
  assert.equal(aliceReads.ok, true, JSON.stringify(aliceReads));
  const bobListing = await javaClient("list-topics", { bootstrap: stack.bootstrap, user: "bob", password: USERS.bob });
  assert.deepEqual(bobListing.topics, ["bob.private"]);
  const aliceListing = await javaClient("list-topics", { bootstrap: stack.bootstrap, user: "alice", password: USERS.alice });
  assert.deepEqual(aliceListing.topics, ["shared"]);

  // Bob's producer fails on Metadata (he may not Describe shared), so only alice's
  // Produce reaches the filter and is denied there.
  const audits = auditLines(stack).filter((l) => l.resource === "shared" && l.decision === "DENIED");
  assert.ok(audits.some((l) => l.principal === "User:alice" && l.api === "Produce" && l.operation === "write"), JSON.stringify(audits));
  assert.ok(audits.some((l) => l.principal === "User:bob" && l.api === "Metadata" && l.operation === "describe"), JSON.stringify(audits));
  assert.ok(!audits.some((l) => l.principal === "User:alice" && l.operation !== "write"), JSON.stringify(audits));
  const decisions = await aclDecisions(stack);
  assert.ok(decisions["topic.write.denied"] >= 1, JSON.stringify(decisions));
  assert.ok(decisions["topic.write.allowed"] >= 1, JSON.stringify(decisions));
  assert.ok(decisions["topic.read.allowed"] >= 1, JSON.stringify(decisions));
});

test("no password reaches Envoy's log", () => {
  const log = envoyLogTail(stack, 1e9);
  for (const password of Object.values(USERS)) assert.ok(!log.includes(password));
});

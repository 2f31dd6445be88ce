// acl.mode "dry_run": the policy of acl.test.mjs is evaluated, every would-be denial
// is counted and audited, and nothing is enforced.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startStack } from "./support/stack.mjs";
import { javaClient, kcat, requireJava, requireKcat } from "./support/clients.mjs";
import { PRINCIPAL, aclDecisions, aclFilterStats, appMayDescribe, appPolicy, auditLines, brokerTopics, createTopicsDirectly, envoyLogTail } from "./support/acl.mjs";

let stack;

before(async () => {
  requireKcat();
  requireJava();
  stack = await startStack({ name: "acl-dry-run", pluginConfig: appPolicy({ mode: "dry_run" }), kafkaProperties: { "auto.create.topics.enable": "false" } });
  await createTopicsDirectly(stack, ["denied.dry", "allowed.dry"]);
}, { timeout: 240000 });

after(async () => { await stack?.stop(); });

test("a produce the policy denies goes through, and is counted and audited as WOULD_DENY", async () => {
  const produced = await kcat(["-b", stack.bootstrap, "-t", "denied.dry", "-P", "-X", "acks=all", "-X", "message.timeout.ms=10000"], { input: "through\n" });
  assert.equal(produced.code, 0, produced.stderr);
  const consumed = await kcat(["-b", stack.direct, "-C", "-t", "denied.dry", "-o", "beginning", "-c", "1", "-f", "%s", "-q"]);
  assert.equal(consumed.stdout, "through");

  const decisions = await aclDecisions(stack);
  assert.ok(decisions["topic.write.would_deny"] >= 1, JSON.stringify(decisions));
  assert.deepEqual(Object.entries(decisions).filter(([name, value]) => name.endsWith(".denied") && value > 0), [], "nothing was denied");
  const audit = auditLines(stack).filter((l) => l.resource === "denied.dry" && l.operation === "write");
  assert.ok(audit.length >= 1, envoyLogTail(stack));
  assert.deepEqual(audit[0], { principal: PRINCIPAL, api: "Produce", resource_type: "topic", resource: "denied.dry", operation: "write", decision: "WOULD_DENY", rule: "default" });
});

test("listings are not filtered, admin operations are not denied, and the filter rewrote nothing", async () => {
  const listed = await javaClient("list-topics", { bootstrap: stack.bootstrap });
  const all = await brokerTopics(stack);
  assert.deepEqual(listed.topics, all);
  assert.ok(all.some((t) => !appMayDescribe(t)), "the listing holds topics the policy would hide");
  const decisions = await aclDecisions(stack);
  assert.ok(decisions["topic.describe.would_deny"] >= 1, JSON.stringify(decisions));

  const created = await javaClient("create-topics", { bootstrap: stack.bootstrap, topics: ["denied.dry-created"] });
  assert.deepEqual(created.results["denied.dry-created"], { ok: true });
  assert.ok((await brokerTopics(stack)).includes("denied.dry-created"));
  const filter = await aclFilterStats(stack);
  assert.deepEqual({ rewritten: filter.rewritten, denied: filter.denied, connectionsClosed: filter.connectionsClosed },
    { rewritten: 0, denied: 0, connectionsClosed: 0 });
});

// Kafka decides CreateTopics by Create on the cluster, falling back to Create on each
// topic. A dry run must make the same checks as enforcement: the quiet cluster check
// fails, and the topic check that follows is what gets audited.
test("a CreateTopics the policy would deny is audited as a topic create WOULD_DENY", async () => {
  await javaClient("create-topics", { bootstrap: stack.bootstrap, topics: ["denied.dry-created-2"] });
  const audit = auditLines(stack).filter((l) => l.resource === "denied.dry-created-2");
  assert.deepEqual(audit.map((l) => [l.api, l.operation, l.decision]), [["CreateTopics", "create", "WOULD_DENY"]], envoyLogTail(stack));
  const decisions = await aclDecisions(stack);
  assert.ok(decisions["topic.create.would_deny"] >= 1, JSON.stringify(decisions));
});

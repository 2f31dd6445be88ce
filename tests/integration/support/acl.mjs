// Shared pieces of the ACL integration tests: the policy they run the filter with,
// the same policy as a JavaScript predicate (an independent statement of what the
// principal may see, to hold listings against), and readers for the filter's ACL
// stats and audit lines.
import fs from "node:fs";
import { javaClient, kcat } from "./clients.mjs";
import { waitFor } from "../../../scripts/lib/processes.mjs";

/**
 * The stat_prefix of the ACL suites' filter; STATS is its stats' prefix as Envoy's /stats names them
 * (wasmcustom.kafka.<prefix>).
 */
export const STAT_PREFIX = "broker1";
export const STATS = `wasmcustom.kafka.${STAT_PREFIX}`;
/** The principal the policy below gives every loopback connection. */
export const PRINCIPAL = "User:app";

/**
 * The principal of every loopback connection is User:app. Default deny. What User:app
 * may do:
 *  - everything on topics prefixed "allowed." (but not "allowed.except", denied by a deny rule)
 *  - everything on the topic literally named "Orders" (not "orders": names are case-sensitive)
 *  - everything on topics prefixed "orders." ("orders.eu", not "orders" nor "ordersx")
 *  - Describe only on "described-only" (so it has an id the client learns, and Fetch is denied)
 *  - read/describe/delete on every group; describe and idempotent_write on the cluster
 *    (not create: CreateTopics must be decided per topic)
 */
export function appPolicy({ mode = "enforce" } = {}) {
  return {
    stat_prefix: STAT_PREFIX,
    acl: {
      mode,
      default: "deny",
      principal_sources: ["source_address"],
      source_address_principals: [{ cidr: "127.0.0.0/8", principal: PRINCIPAL }],
      rules: [
        { name: "allowed-topics", effect: "allow", principal: PRINCIPAL, resource_type: "topic", pattern_type: "prefixed", resource_name: "allowed.", operations: ["all"] },
        { name: "one-exception", effect: "deny", principal: "User:*", resource_type: "topic", pattern_type: "literal", resource_name: "allowed.except", operations: ["all"] },
        { name: "orders-literal", effect: "allow", principal: PRINCIPAL, resource_type: "topic", pattern_type: "literal", resource_name: "Orders", operations: ["all"] },
        { name: "orders-prefix", effect: "allow", principal: PRINCIPAL, resource_type: "topic", pattern_type: "prefixed", resource_name: "orders.", operations: ["all"] },
        { name: "describe-only", effect: "allow", principal: PRINCIPAL, resource_type: "topic", pattern_type: "literal", resource_name: "described-only", operations: ["describe"] },
        { name: "groups", effect: "allow", principal: PRINCIPAL, resource_type: "group", pattern_type: "literal", resource_name: "*", operations: ["read", "describe", "delete"] },
        { name: "cluster", effect: "allow", principal: PRINCIPAL, resource_type: "cluster", pattern_type: "literal", resource_name: "kafka-cluster", operations: ["describe", "idempotent_write"] },
      ],
    },
  };
}

/** What appPolicy lets User:app Describe (and do anything else with, except on "described-only"). */
export function appMayDescribe(topic) {
  if (topic === "allowed.except") return false;
  return topic.startsWith("allowed.") || topic === "Orders" || topic.startsWith("orders.") || topic === "described-only";
}

/** Topics every ACL test stack starts with, created directly on the broker. */
export const SEED_TOPICS = [
  "allowed.kcat", "denied.kcat", "allowed.kafkajs", "denied.kafkajs", "allowed.mixed", "denied.mixed",
  "allowed.fetch", "described-only", "allowed.except", "allowed.todelete", "denied.todelete", "allowed.split", "denied.split",
  "Orders", "orders", "orders.eu", "ordersx",
];

/**
 * Creates `topics` on the broker's DIRECT listener (bypassing Envoy), fails unless all
 * were created, and waits until the broker answers ListOffsets for each: Metadata names
 * a leader before the partition's log exists, and a Produce sent then gets
 * NOT_LEADER_OR_FOLLOWER.
 */
export async function createTopicsDirectly(stack, topics) {
  const created = await javaClient("create-topics", { bootstrap: stack.direct, topics });
  for (const topic of topics) {
    if (!created.results[topic]?.ok) throw new Error(`creating ${topic} on the broker failed: ${JSON.stringify(created.results[topic])}`);
  }
  let last = null;
  await waitFor(`the partitions of ${topics.join(", ")}`, async () => {
    last = await kcat(["-b", stack.direct, "-Q", ...topics.flatMap((t) => ["-t", `${t}:0:-1`])]);
    return last.code === 0 && topics.every((t) => last.stdout.includes(`${t} [0] offset `));
  }, { timeoutMs: 30000, hint: () => `\n${JSON.stringify(last)}` });
}

/** The broker's own topic list, read past Envoy. */
export async function brokerTopics(stack) {
  const listed = await javaClient("list-topics", { bootstrap: stack.direct });
  if (!listed.ok) throw new Error(`listing topics on the broker failed: ${JSON.stringify(listed)}`);
  return listed.topics;
}

/** The ACL decision counters, as { "topic.write.denied": n, ... }. */
export async function aclDecisions(stack) {
  const prefix = `${STATS}.acl.decisions.`;
  const decisions = {};
  for (const [name, value] of await stack.stats(prefix)) decisions[name.slice(prefix.length)] = value;
  return decisions;
}

/** The filter's ACL health counters: acl_requests_rewritten, acl_requests_denied, acl_responses_rewritten, acl_connections_closed. */
export async function aclFilterStats(stack) {
  const stats = await stack.stats(`${STATS}.filter.acl_`);
  const read = (name) => {
    const value = stats.get(`${STATS}.filter.${name}`);
    if (value === undefined) throw new Error(`stat ${STATS}.filter.${name} is not defined; defined: ${[...stats.keys()].join(", ")}`);
    return value;
  };
  return {
    rewritten: read("acl_requests_rewritten"),
    denied: read("acl_requests_denied"),
    responsesRewritten: read("acl_responses_rewritten"),
    connectionsClosed: read("acl_connections_closed"),
  };
}

/** Every audit line in Envoy's log so far, parsed. */
export function auditLines(stack) {
  const lines = [];
  for (const line of fs.readFileSync(stack.envoy.logFile, "utf8").split("\n")) {
    const start = line.indexOf("{\"principal\":");
    if (start < 0) continue;
    lines.push(JSON.parse(line.slice(start)));
  }
  return lines;
}

/** The last `n` lines of Envoy's log, for assertion messages. */
export function envoyLogTail(stack, n = 40) {
  return fs.readFileSync(stack.envoy.logFile, "utf8").split("\n").slice(-n).join("\n");
}

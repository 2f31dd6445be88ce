// acl.tls_principal_mapping_rules end to end: the real Envoy terminates mutual TLS
// (certificates made for this run with the openssl CLI), the filter names each
// connection by its certificate subject mapped with Kafka's ssl.principal.mapping.rules
// syntax, and a real broker with no ACLs of its own sits behind Envoy on plaintext.
// Clients are kcat (librdkafka) and Kafka's Java clients.
//
// The rules, pasted as a broker would take them: an "eng" subject becomes its CN in lower
// case (alice's "CN=Alice,OU=eng,O=Example" becomes "alice"), an "ops" subject "ops-<CN>";
// any other subject matches no rule, and Kafka would fail its authentication, so the
// filter closes the connection before its first request reaches the broker.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { newRunDir, startStack } from "./support/stack.mjs";
import { javaClient, kcat, requireJava, requireKcat } from "./support/clients.mjs";
import { STATS, STAT_PREFIX, aclFilterStats, auditLines, createTopicsDirectly, envoyLogTail } from "./support/acl.mjs";
import {
  certificateSubject, createCertificateAuthority, downstreamMutualTls, issueCertificate, pkcs12KeyStore, pkcs12TrustStore,
  requireCertificateTools,
} from "./support/certs.mjs";
import { waitFor } from "../../scripts/lib/processes.mjs";

const MAPPING_RULES = "RULE:^CN=([^,]+),OU=eng,O=Example$/$1/L, RULE:^CN=([^,]+),OU=ops,O=Example$/ops-$1/";
const ALICE = "User:alice";
const BOB = "User:ops-bob";
const MALLORY_SUBJECT = "CN=mallory,OU=sales,O=Example";

function mappingPolicy() {
  return {
    stat_prefix: STAT_PREFIX,
    acl: {
      default: "deny",
      principal_sources: ["tls_subject"],
      tls_principal_mapping_rules: MAPPING_RULES,
      rules: [
        { name: "alice-demo", effect: "allow", principal: ALICE, resource_type: "topic", pattern_type: "prefixed", resource_name: "demo.", operations: ["all"] },
        { name: "alice-groups", effect: "allow", principal: ALICE, resource_type: "group", pattern_type: "prefixed", resource_name: "demo.", operations: ["all"] },
        { name: "cluster", effect: "allow", principal: "User:*", resource_type: "cluster", resource_name: "kafka-cluster", operations: ["describe", "idempotent_write"] },
      ],
    },
  };
}

let stack;
let ca;
const certs = {};
let trustStore;
const keyStores = {};

before(async () => {
  requireKcat();
  requireJava();
  requireCertificateTools();
  const runDir = newRunDir("tls-principal-mapping");
  ca = createCertificateAuthority(path.join(runDir, "certs"));
  const server = issueCertificate(ca, "server", { subject: "CN=localhost,O=Example", sans: ["DNS:localhost", "IP:127.0.0.1"], usage: "server" });
  certs.alice = issueCertificate(ca, "alice", { subject: "CN=Alice,OU=eng,O=Example" });
  certs.bob = issueCertificate(ca, "bob", { subject: "CN=bob,OU=ops,O=Example" });
  certs.mallory = issueCertificate(ca, "mallory", { subject: MALLORY_SUBJECT });
  // The subjects the rules see are Kafka's (X500Principal.getName(), from the JDK).
  for (const who of ["alice", "bob", "mallory"]) {
    const name = (await javaClient("subject-name", { certificate: certs[who].cert })).name;
    assert.equal(name, certificateSubject(certs[who].cert));
  }
  trustStore = pkcs12TrustStore(ca);
  keyStores.alice = pkcs12KeyStore(ca, certs.alice);
  keyStores.bob = pkcs12KeyStore(ca, certs.bob);
  stack = await startStack({
    name: "tls-principal-mapping", runDir, pluginConfig: mappingPolicy(), transportSocket: downstreamMutualTls(ca, server),
    kafkaProperties: { "auto.create.topics.enable": "false" },
  });
  await createTopicsDirectly(stack, ["demo.kcat", "demo.java"]);
}, { timeout: 360000 });

after(async () => { await stack?.stop(); });

function tlsArgs(who) {
  return ["-X", "security.protocol=ssl", "-X", `ssl.ca.location=${ca.cert}`,
    "-X", `ssl.certificate.location=${certs[who].cert}`, "-X", `ssl.key.location=${certs[who].key}`];
}

function javaTls(who) {
  return { sslTruststore: trustStore.path, sslKeystore: keyStores[who].path, sslStorePassword: trustStore.password };
}

async function brokerRecords(topic) {
  const { code, stdout, stderr } = await kcat(["-b", stack.direct, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\n"]);
  assert.equal(code, 0, stderr);
  return stdout.split("\n").filter((line) => line.length > 0);
}

const auditsFor = (principal) => auditLines(stack).filter((line) => line.principal === principal);

test("kcat: alice's certificate maps to User:alice, who may produce and consume; bob's maps to User:ops-bob, denied with 'Topic authorization failed'", async () => {
  const produced = await kcat(["-b", stack.bootstrap, ...tlsArgs("alice"), "-t", "demo.kcat", "-P", "-X", "acks=all"], { input: "alice-1\nalice-2\n" });
  assert.equal(produced.code, 0, produced.stderr);
  assert.deepEqual(await brokerRecords("demo.kcat"), ["alice-1", "alice-2"]);
  const consumed = await kcat(["-b", stack.bootstrap, ...tlsArgs("alice"), "-C", "-t", "demo.kcat", "-o", "beginning", "-e", "-q", "-f", "%s\n"]);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.deepEqual(consumed.stdout.split("\n").filter(Boolean), ["alice-1", "alice-2"]);

  const denied = await kcat(["-b", stack.bootstrap, ...tlsArgs("bob"), "-t", "demo.kcat", "-P", "-X", "message.timeout.ms=5000"], { input: "bob\n" });
  assert.notEqual(denied.code, 0, "kcat must report the failed delivery");
  assert.match(denied.stderr, /Topic authorization failed/i, denied.stderr);
  assert.deepEqual(await brokerRecords("demo.kcat"), ["alice-1", "alice-2"], "nothing of bob's reached the broker");

  const bobLines = auditsFor(BOB).filter((line) => line.resource === "demo.kcat");
  assert.ok(bobLines.length >= 1, `an audit line names ${BOB}\n${envoyLogTail(stack)}`);
  for (const line of bobLines) assert.deepEqual([line.decision, line.rule], ["DENIED", "default"]);
  // No connection was named by its whole subject or went unnamed.
  for (const line of auditLines(stack)) assert.ok([ALICE, BOB].includes(line.principal), JSON.stringify(line));
});

test("Java clients: User:alice produces and consumes in a group; User:ops-bob gets TopicAuthorizationException", async () => {
  const produced = await javaClient("produce", { bootstrap: stack.bootstrap, ...javaTls("alice"), topic: "demo.java", count: 3, valuePrefix: "java" });
  assert.equal(produced.ok, 3, JSON.stringify(produced));
  const consumed = await javaClient("consume", { bootstrap: stack.bootstrap, ...javaTls("alice"), topic: "demo.java", count: 3, group: "demo.java-group" });
  assert.equal(consumed.ok, true, JSON.stringify(consumed));
  assert.deepEqual(consumed.records.map((r) => r.value), ["java-0", "java-1", "java-2"]);

  const denied = await javaClient("produce", { bootstrap: stack.bootstrap, ...javaTls("bob"), topic: "demo.java", count: 1, timeoutMs: 30000 });
  assert.equal(denied.ok, 0, JSON.stringify(denied));
  assert.equal(denied.results[0].error, "TopicAuthorizationException", JSON.stringify(denied));
  assert.deepEqual(await brokerRecords("demo.java"), ["java-0", "java-1", "java-2"]);
  assert.ok(auditsFor(BOB).some((line) => line.resource === "demo.java" && line.decision === "DENIED"),
    `an audit line names ${BOB} on demo.java\n${envoyLogTail(stack)}`);
});

test("a certificate no rule maps is closed before its first request, counted and logged with its subject", async () => {
  const before = await aclFilterStats(stack);
  const unmappedBefore = (await stack.stats(`${STATS}.filter.acl_tls_subjects_unmapped`)).get(`${STATS}.filter.acl_tls_subjects_unmapped`);
  assert.equal(typeof unmappedBefore, "number", "the acl_tls_subjects_unmapped stat is defined");

  const metadata = await kcat(["-b", stack.bootstrap, ...tlsArgs("mallory"), "-L", "-m", "5"]);
  assert.notEqual(metadata.code, 0, `kcat with mallory's certificate must fail: ${metadata.stdout}`);
  assert.doesNotMatch(metadata.stdout, /1 brokers/);

  await waitFor("the filter to count the unmapped subject", async () =>
    (await stack.stats(`${STATS}.filter.acl_tls_subjects_unmapped`)).get(`${STATS}.filter.acl_tls_subjects_unmapped`) > unmappedBefore,
  { timeoutMs: 10000 });
  const after = await aclFilterStats(stack);
  assert.ok(after.connectionsClosed > before.connectionsClosed, "the closes count as ACL closes too");
  assert.equal(after.denied, before.denied, "no request was decided");
  const log = fs.readFileSync(stack.envoy.logFile, "utf8");
  assert.ok(log.includes(`closing connection: the TLS subject "${MALLORY_SUBJECT}" matches no rule of acl.tls_principal_mapping_rules`),
    envoyLogTail(stack));
  assert.deepEqual(auditLines(stack).filter((line) => line.principal.includes("mallory")), [], "no decision was made for mallory");

  // The VM is alive and still maps: alice is served.
  const ok = await kcat(["-b", stack.bootstrap, ...tlsArgs("alice"), "-L", "-t", "demo.kcat"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /topic "demo.kcat"/);
  const wasm = await stack.stats("wasm");
  assert.deepEqual([...wasm].filter(([name, value]) => /fail|crash|abort/.test(name) && value > 0), []);
});

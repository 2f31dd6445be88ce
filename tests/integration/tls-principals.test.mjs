// Principals from the TLS peer certificate, end to end: the real Envoy terminates
// mutual TLS (certificates made for this run with the openssl CLI), the filter decides
// on the plaintext Kafka behind it, and a real broker with no ACLs of its own sits
// behind Envoy on plaintext. Clients are kcat (librdkafka) and Kafka's Java clients.
//
// The policy names principals by certificate: `principal_sources` is
// ["tls_san", "tls_subject"], so a certificate with a SAN is named by it (URI SAN
// before DNS SAN) and one without by its subject DN, in Kafka's RFC 2253 form.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { plaintextKafkaUntilClosed } from "./support/kafka-wire.mjs";
import { newRunDir, startStack } from "./support/stack.mjs";
import { javaClient, kcat, requireJava, requireKcat } from "./support/clients.mjs";
import { STATS, STAT_PREFIX, auditLines, createTopicsDirectly, envoyLogTail } from "./support/acl.mjs";
import {
  certificateSubject, createCertificateAuthority, downstreamMutualTls, issueCertificate, pkcs12KeyStore, pkcs12TrustStore,
  requireCertificateTools,
} from "./support/certs.mjs";
import { assertFilterAlive, kcatTlsArgs, listenerTlsCounters } from "./support/tls.mjs";
import { waitFor } from "../../scripts/lib/processes.mjs";

const ALICE = "User:CN=alice,OU=eng,O=Example";
const BOB = "User:CN=bob,OU=ops,O=Example";
const CAROL_URI = "spiffe://example.org/ns/eng/sa/carol";
const CAROL = `User:${CAROL_URI}`;
const DAVE = "User:dave.example.org";

/**
 * alice (subject), carol (URI SAN), dave (DNS SAN) and zoe (subject, named as Java names
 * it: `zoeName`) may use "demo." topics; nobody else anything.
 */
function tlsPolicy(zoeName) {
  const demo = (name, principal) => ({
    name, effect: "allow", principal, resource_type: "topic", pattern_type: "prefixed", resource_name: "demo.", operations: ["all"],
  });
  return {
    stat_prefix: STAT_PREFIX,
    acl: {
      default: "deny",
      principal_sources: ["tls_san", "tls_subject"],
      rules: [
        demo("alice-demo", ALICE),
        demo("carol-demo", CAROL),
        demo("dave-demo", DAVE),
        demo("zoe-demo", `User:${zoeName}`),
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
let zoeName;
const keyStores = {};

before(async () => {
  requireKcat();
  requireJava();
  requireCertificateTools();
  const runDir = newRunDir("tls-principals");
  ca = createCertificateAuthority(path.join(runDir, "certs"));
  const server = issueCertificate(ca, "server", { subject: "CN=localhost,O=Example", sans: ["DNS:localhost", "IP:127.0.0.1"], usage: "server" });
  certs.alice = issueCertificate(ca, "alice", { subject: "CN=alice,OU=eng,O=Example" });
  certs.bob = issueCertificate(ca, "bob", { subject: "CN=bob,OU=ops,O=Example" });
  // carol's certificate has both SAN kinds, the DNS one first: the URI SAN still names her.
  certs.carol = issueCertificate(ca, "carol", { subject: "CN=carol,OU=eng,O=Example", sans: ["DNS:carol.example.org", `URI:${CAROL_URI}`] });
  certs.dave = issueCertificate(ca, "dave", { subject: "CN=dave,O=Example", sans: ["DNS:dave.example.org", "DNS:other.example.org"] });
  // The subjects are the RFC 2253 strings the rules name (as Kafka's principal builder would give them).
  assert.equal(`User:${certificateSubject(certs.alice.cert)}`, ALICE);
  assert.equal(`User:${certificateSubject(certs.bob.cert)}`, BOB);
  // A subject where Envoy's RFC 2253 text and Java's differ (subject.ts); the rule names
  // zoe as Kafka's default principal builder would: X500Principal.getName(), from the JDK.
  certs.zoe = issueCertificate(ca, "zoe", {
    subj: "/DC=org/DC=example/O=Example, Inc./OU=eng=core+UID=42/CN=Zoë Smith/emailAddress=zoe@example.org",
  });
  zoeName = (await javaClient("subject-name", { certificate: certs.zoe.cert })).name;
  assert.equal(zoeName, "1.2.840.113549.1.9.1=#160f7a6f65406578616d706c652e6f7267,CN=Zoë Smith,OU=eng\\=core+UID=42,O=Example\\, Inc.,DC=example,DC=org");
  trustStore = pkcs12TrustStore(ca);
  keyStores.alice = pkcs12KeyStore(ca, certs.alice);
  keyStores.bob = pkcs12KeyStore(ca, certs.bob);
  stack = await startStack({
    name: "tls-principals", runDir, pluginConfig: tlsPolicy(zoeName), transportSocket: downstreamMutualTls(ca, server),
    kafkaProperties: { "auto.create.topics.enable": "false" },
  });
  await createTopicsDirectly(stack, ["demo.kcat", "demo.java", "demo.san", "other.alice"]);
}, { timeout: 360000 });

after(async () => { await stack?.stop(); });

/** kcat options for TLS to Envoy, with `who`'s certificate (none when `who` is null). */
const tlsArgs = (who) => kcatTlsArgs(ca, who ? certs[who] : null);

/** Java AclClient options for TLS to Envoy with `who`'s key store. */
function javaTls(who) {
  return { sslTruststore: trustStore.path, sslKeystore: keyStores[who].path, sslStorePassword: trustStore.password };
}

/** Records of partition 0 of `topic`, read from the broker directly. */
async function brokerRecords(topic) {
  const { code, stdout, stderr } = await kcat(["-b", stack.direct, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\n"]);
  assert.equal(code, 0, stderr);
  return stdout.split("\n").filter((line) => line.length > 0);
}

function auditsFor(principal) {
  return auditLines(stack).filter((line) => line.principal === principal);
}

test("kcat with alice's certificate produces to and consumes from demo.kcat; bob's gets 'Topic authorization failed'", async () => {
  const produced = await kcat(["-b", stack.bootstrap, ...tlsArgs("alice"), "-t", "demo.kcat", "-P", "-X", "acks=all"],
    { input: "alice-1\nalice-2\n" });
  assert.equal(produced.code, 0, produced.stderr);
  assert.deepEqual(await brokerRecords("demo.kcat"), ["alice-1", "alice-2"]);
  const consumed = await kcat(["-b", stack.bootstrap, ...tlsArgs("alice"), "-C", "-t", "demo.kcat", "-o", "beginning", "-e", "-q", "-f", "%s\n"]);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.deepEqual(consumed.stdout.split("\n").filter(Boolean), ["alice-1", "alice-2"]);

  const denied = await kcat(["-b", stack.bootstrap, ...tlsArgs("bob"), "-t", "demo.kcat", "-P", "-X", "message.timeout.ms=5000"],
    { input: "bob\n" });
  assert.notEqual(denied.code, 0, "kcat must report the failed delivery");
  assert.match(denied.stderr, /Topic authorization failed/i, denied.stderr);
  assert.deepEqual(await brokerRecords("demo.kcat"), ["alice-1", "alice-2"], "nothing of bob's reached the broker");

  // alice is named by her certificate too when she is denied (other.alice is no "demo." topic).
  const aliceDenied = await kcat(["-b", stack.bootstrap, ...tlsArgs("alice"), "-t", "other.alice", "-P", "-X", "message.timeout.ms=5000"],
    { input: "x\n" });
  assert.match(aliceDenied.stderr, /Topic authorization failed/i, aliceDenied.stderr);
  assert.deepEqual(await brokerRecords("other.alice"), []);

  const bobLines = auditsFor(BOB).filter((line) => line.resource === "demo.kcat");
  assert.ok(bobLines.length >= 1, `an audit line names ${BOB} on demo.kcat\n${envoyLogTail(stack)}`);
  for (const line of bobLines) assert.deepEqual([line.decision, line.rule], ["DENIED", "default"]);
  const aliceLines = auditsFor(ALICE);
  assert.ok(aliceLines.length >= 1 && aliceLines.every((line) => line.resource === "other.alice"),
    `alice's only audit lines are for other.alice: ${JSON.stringify(aliceLines)}`);
  assert.deepEqual(auditLines(stack).filter((line) => line.principal === "User:ANONYMOUS"), [], "no connection went unnamed");
});

test("Java clients with PKCS12 key stores: alice produces to and consumes from demo.java in a group; bob gets TopicAuthorizationException", async () => {
  const produced = await javaClient("produce", { bootstrap: stack.bootstrap, ...javaTls("alice"), topic: "demo.java", count: 3, valuePrefix: "java" });
  assert.equal(produced.ok, 3, JSON.stringify(produced));
  const consumed = await javaClient("consume", { bootstrap: stack.bootstrap, ...javaTls("alice"), topic: "demo.java", count: 3, group: "demo.java-group" });
  assert.equal(consumed.ok, true, JSON.stringify(consumed));
  assert.deepEqual(consumed.records.map((r) => r.value), ["java-0", "java-1", "java-2"]);

  const denied = await javaClient("produce", { bootstrap: stack.bootstrap, ...javaTls("bob"), topic: "demo.java", count: 1, timeoutMs: 30000 });
  assert.equal(denied.ok, 0, JSON.stringify(denied));
  assert.equal(denied.results[0].error, "TopicAuthorizationException", JSON.stringify(denied));
  const bobConsume = await javaClient("consume", { bootstrap: stack.bootstrap, ...javaTls("bob"), topic: "demo.java", count: 1, group: "demo.bob", timeoutMs: 8000 });
  assert.equal(bobConsume.ok, false, JSON.stringify(bobConsume));
  assert.deepEqual(bobConsume.records, []);
  assert.deepEqual(await brokerRecords("demo.java"), ["java-0", "java-1", "java-2"]);
  assert.ok(auditsFor(BOB).some((line) => line.resource === "demo.java" && line.decision === "DENIED"),
    `an audit line names ${BOB} on demo.java\n${envoyLogTail(stack)}`);
});

test("tls_san: a URI SAN names the connection (before a DNS SAN listed earlier); a DNS-only certificate is named by its first DNS SAN", async () => {
  for (const [who, value] of [["carol", "carol-uri"], ["dave", "dave-dns"]]) {
    const produced = await kcat(["-b", stack.bootstrap, ...tlsArgs(who), "-t", "demo.san", "-P", "-X", "acks=all"], { input: `${value}\n` });
    assert.equal(produced.code, 0, `${who}: ${produced.stderr}`);
    const denied = await kcat(["-b", stack.bootstrap, ...tlsArgs(who), "-t", "other.alice", "-P", "-X", "message.timeout.ms=5000"], { input: "x\n" });
    assert.match(denied.stderr, /Topic authorization failed/i, `${who}: ${denied.stderr}`);
  }
  assert.deepEqual(await brokerRecords("demo.san"), ["carol-uri", "dave-dns"]);
  assert.ok(auditsFor(CAROL).some((line) => line.resource === "other.alice"), `an audit line names ${CAROL}\n${envoyLogTail(stack)}`);
  assert.ok(auditsFor(DAVE).some((line) => line.resource === "other.alice"), `an audit line names ${DAVE}\n${envoyLogTail(stack)}`);
  for (const unused of ["User:carol.example.org", "User:CN=carol,OU=eng,O=Example", "User:other.example.org", "User:CN=dave,O=Example"]) {
    assert.deepEqual(auditsFor(unused), [], `${unused} never names a connection`);
  }
});

test("a subject Envoy writes differently from Java (email, UTF-8, multi-valued RDN) is named as Kafka names it", async () => {
  const produced = await kcat(["-b", stack.bootstrap, ...tlsArgs("zoe"), "-t", "demo.san", "-P", "-X", "acks=all"], { input: "zoe\n" });
  assert.equal(produced.code, 0, produced.stderr);
  assert.ok((await brokerRecords("demo.san")).includes("zoe"));
  const denied = await kcat(["-b", stack.bootstrap, ...tlsArgs("zoe"), "-t", "other.alice", "-P", "-X", "message.timeout.ms=5000"], { input: "x\n" });
  assert.match(denied.stderr, /Topic authorization failed/i, denied.stderr);
  assert.ok(auditsFor(`User:${zoeName}`).some((line) => line.resource === "other.alice"), `an audit line names User:${zoeName}\n${envoyLogTail(stack)}`);
});

test("a client without a certificate is refused by Envoy, a plaintext client on the TLS port is closed, and neither traps the filter", async () => {
  const listenerStats = async () => {
    const counters = await listenerTlsCounters(stack.admin);
    return { noCert: counters.noCertRefused, errors: counters.connectionError, handshakes: counters.handshake };
  };
  const before = await listenerStats();

  const noCert = await kcat(["-b", stack.bootstrap, ...tlsArgs(null), "-L", "-m", "5"]);
  assert.notEqual(noCert.code, 0, `kcat without a certificate must fail: ${noCert.stdout}`);
  assert.doesNotMatch(noCert.stdout, /1 brokers/);
  await waitFor("Envoy to count the refused handshake", async () => (await listenerStats()).noCert > before.noCert, { timeoutMs: 10000 });

  const plaintext = await kcat(["-b", stack.bootstrap, "-L", "-m", "5"]);
  assert.notEqual(plaintext.code, 0, `plaintext kcat on the TLS port must fail: ${plaintext.stdout}`);
  const answer = await plaintextKafkaUntilClosed(stack.bootstrap);
  // Whatever Envoy sent before closing (a TLS alert at most) is no Kafka response: a TLS
  // record starts with content type 21 (alert), never with a size field.
  assert.ok(answer.length === 0 || answer[0] === 0x15, `no Kafka bytes came back: ${answer.toString("hex")}`);
  await waitFor("Envoy to count the failed handshakes", async () => (await listenerStats()).errors >= before.errors + 2, { timeoutMs: 10000 });

  // The filter's VM is alive: alice still works, no Wasm VM failed, nothing trapped.
  const metadata = await kcat(["-b", stack.bootstrap, ...tlsArgs("alice"), "-L", "-t", "demo.kcat"]);
  assert.equal(metadata.code, 0, metadata.stderr);
  assert.match(metadata.stdout, /1 brokers/);
  assert.match(metadata.stdout, /topic "demo.kcat"/);
  await assertFilterAlive(stack.admin, stack.envoy.logFile);
  const filter = await stack.stats(`${STATS}.filter.`);
  assert.equal(filter.get(`${STATS}.filter.framing_errors`), 0, "the filter never saw TLS bytes as Kafka");
});

// SASL over TLS (SASL_SSL), end to end: clients speak SASL_SSL to the real Envoy, which
// terminates TLS (client certificates optional, verified against the run's CA when
// presented); the filter reads the plaintext Kafka behind it, and the broker's listener
// behind Envoy is SASL_PLAINTEXT with SCRAM-SHA-256, SCRAM-SHA-512 (credentials for alice
// and bob written at format time, kafka-storage --add-scram) and PLAIN. A frame tap
// between Envoy and the broker captures the SCRAM exchanges, to hold Envoy's log against
// the real proofs, nonces and signatures. A second Envoy in front of the same broker
// originates TLS to its second client listener, which is SASL_SSL: SASL end to end over
// TLS on both sides, the filter in between.
//
// Clients: Kafka's Java clients and kafkajs log in with SCRAM; kcat with PLAIN. kcat's
// librdkafka here (Debian 12: 2.0.2) cannot log in with SCRAM to any Kafka 4.x broker,
// with or without a proxy: before librdkafka 2.6.1 it repeats the client nonce in the
// client-final message, which brokers with the CVE-2024-56128 fix reject.
//
// principal_sources is ["sasl", "tls_subject"]: as on Kafka's SASL_SSL listeners, a
// client that presents a certificate AND authenticates with SASL is named by SASL.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import kafkajs from "kafkajs";
import { filterWasm, newRunDir, startStack } from "./support/stack.mjs";
import { javaClient, kcat, requireJava, requireKcat } from "./support/clients.mjs";
import { STATS, STAT_PREFIX, auditLines, createTopicsDirectly, envoyLogTail } from "./support/acl.mjs";
import {
  certificateSubject, createCertificateAuthority, issueCertificate, pkcs12KeyStore, pkcs12TrustStore, requireCertificateTools,
} from "./support/certs.mjs";
import { kcatTlsArgs, listenerTlsCounters } from "./support/tls.mjs";
import {
  downstreamTlsTransportSocket, readStats, renderEnvoyConfig, startEnvoy, upstreamTlsTransportSocket,
} from "../../scripts/lib/envoy.mjs";
import { freePort, sleep, waitFor } from "../../scripts/lib/processes.mjs";

const { Kafka, logLevel } = kafkajs;

const PASSWORDS = { alice: "alice-scram-s3cret", bob: "bob-scram-s3cret" };
const SCRAM = ["SCRAM-SHA-256", "SCRAM-SHA-512"];
const CAROL = "User:CN=carol,OU=eng,O=Example";
const UPSTREAM_TLS_PREFIX = "upstreamtls";
/**
 * connections.max.reauth.ms of the SASLSSL listener (KIP-368). Above kafkajs' default
 * reauthenticationThreshold (10 s): a client whose threshold exceeds the session lifetime
 * re-authenticates at once after each login, which brokers refuse (ILLEGAL_SASL_STATE,
 * without a proxy too). kcat (librdkafka 2.0.2) cannot re-authenticate: its runs here are
 * shorter than a session.
 */
const REAUTH_MS = 12000;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;

/**
 * alice may use "scram." topics and groups; carol's certificate subject may use the
 * "carol." topics (so a connection named by the certificate, not by SASL, would be let in
 * there and kept out of "scram."); bob nothing but the cluster's describe/idempotent_write.
 */
function policy() {
  return {
    stat_prefix: STAT_PREFIX,
    acl: {
      default: "deny",
      principal_sources: ["sasl", "tls_subject"],
      rules: [
        { name: "alice-topics", effect: "allow", principal: "User:alice", resource_type: "topic", pattern_type: "prefixed", resource_name: "scram.", operations: ["all"] },
        { name: "alice-groups", effect: "allow", principal: "User:alice", resource_type: "group", pattern_type: "prefixed", resource_name: "scram.", operations: ["all"] },
        { name: "carol-topics", effect: "allow", principal: CAROL, resource_type: "topic", pattern_type: "prefixed", resource_name: "carol.", operations: ["all"] },
        { name: "cluster", effect: "allow", principal: "User:*", resource_type: "cluster", resource_name: "kafka-cluster", operations: ["describe", "idempotent_write"] },
      ],
    },
  };
}

let stack;
/** The second Envoy: TLS from clients, TLS to the broker's SASL_SSL listener. */
let tlsEnvoy;
let ca;
let trustStore;
let carolKeyStore;
const certs = {};

before(async () => {
  requireKcat();
  requireJava();
  requireCertificateTools();
  const runDir = newRunDir("sasl-ssl");
  ca = createCertificateAuthority(path.join(runDir, "certs"));
  const server = issueCertificate(ca, "server", { subject: "CN=localhost,O=Example", sans: ["DNS:localhost", "IP:127.0.0.1"], usage: "server" });
  certs.carol = issueCertificate(ca, "carol", { subject: "CN=carol,OU=eng,O=Example" });
  assert.equal(`User:${certificateSubject(certs.carol.cert)}`, CAROL);
  // The broker's SASL_SSL listener: a certificate for the address Envoy dials.
  const brokerStore = pkcs12KeyStore(ca, issueCertificate(ca, "broker", { subject: "CN=broker,O=Example", sans: ["IP:127.0.0.1"], usage: "server" }));
  trustStore = pkcs12TrustStore(ca);
  carolKeyStore = pkcs12KeyStore(ca, certs.carol);
  const downstreamTls = downstreamTlsTransportSocket({ certFile: server.cert, keyFile: server.key, caFile: ca.cert, requireClientCert: false });
  const saslSslPort = await freePort();
  const tlsEnvoyPort = await freePort();
  const scramModule = "org.apache.kafka.common.security.scram.ScramLoginModule required;";
  const plainModule = "org.apache.kafka.common.security.plain.PlainLoginModule required " +
    Object.entries(PASSWORDS).map(([user, password]) => `user_${user}="${password}"`).join(" ") + ";";
  const saslListener = (name) => ({
    [`listener.name.${name}.sasl.enabled.mechanisms`]: [...SCRAM, "PLAIN"].join(","),
    [`listener.name.${name}.scram-sha-256.sasl.jaas.config`]: scramModule,
    [`listener.name.${name}.scram-sha-512.sasl.jaas.config`]: scramModule,
    [`listener.name.${name}.plain.sasl.jaas.config`]: plainModule,
  });
  stack = await startStack({
    name: "sasl-ssl",
    runDir,
    tap: "capture",
    // At debug, Envoy logs the most it ever will: the secrets must be absent even then.
    logLevel: "debug",
    pluginConfig: policy(),
    transportSocket: downstreamTls,
    scramCredentials: Object.entries(PASSWORDS).flatMap(([name, password]) => SCRAM.map((mechanism) => ({ mechanism, name, password }))),
    // SASLSSL advertises the second Envoy, so clients that follow Metadata stay on it.
    extraListeners: [{ name: "SASLSSL", port: saslSslPort, advertised: `127.0.0.1:${tlsEnvoyPort}` }],
    kafkaProperties: {
      "auto.create.topics.enable": "false",
      "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,SASLSSL:SASL_SSL,DIRECT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      "sasl.enabled.mechanisms": [...SCRAM, "PLAIN"].join(","),
      ...saslListener("client"),
      ...saslListener("saslssl"),
      "listener.name.saslssl.ssl.keystore.location": brokerStore.path,
      "listener.name.saslssl.ssl.keystore.type": brokerStore.type,
      "listener.name.saslssl.ssl.keystore.password": brokerStore.password,
      "listener.name.saslssl.ssl.key.password": brokerStore.password,
      "listener.name.saslssl.connections.max.reauth.ms": String(REAUTH_MS),
    },
  });
  const config = renderEnvoyConfig({
    listenerPort: tlsEnvoyPort, adminPort: await freePort(), brokerPort: saslSslPort, wasmFile: filterWasm(),
    pluginConfig: { ...policy(), stat_prefix: UPSTREAM_TLS_PREFIX },
  });
  config.static_resources.listeners.find((l) => l.name === "kafka").filter_chains[0].transport_socket = downstreamTls;
  config.static_resources.clusters.find((c) => c.name === "kafka_broker").transport_socket =
    upstreamTlsTransportSocket({ caFile: ca.cert }, [{ host: "127.0.0.1" }]);
  tlsEnvoy = await startEnvoy({ runDir, config, name: "envoy-upstream-tls", logLevel: "debug" });
  tlsEnvoy.bootstrap = `127.0.0.1:${tlsEnvoyPort}`;
  await createTopicsDirectly(stack, ["scram.kcat", "scram.java", "scram.kafkajs", "scram.upstream", "scram.reauth", "carol.only"]);
}, { timeout: 360000 });

after(async () => {
  await tlsEnvoy?.stop().catch(() => {});
  await stack?.stop();
});

/** kcat options for SASL_SSL (PLAIN) to Envoy as `user`, presenting `certificate` (an issued one) when given. */
function kcatSaslSsl(user, certificate = null) {
  return [...kcatTlsArgs(ca, certificate, { protocol: "sasl_ssl" }),
    "-X", "sasl.mechanisms=PLAIN", "-X", `sasl.username=${user}`, "-X", `sasl.password=${PASSWORDS[user]}`];
}

/** A kafkajs client for SASL_SSL as `user` with `mechanism` (lower case, kafkajs' spelling), presenting carol's certificate when `withCertificate`. */
function kafkajsClient(user, mechanism, { withCertificate = false, bootstrap = stack.bootstrap, reauthenticationThreshold } = {}) {
  const ssl = { ca: [fs.readFileSync(ca.cert, "utf8")] };
  if (withCertificate) Object.assign(ssl, { cert: fs.readFileSync(certs.carol.cert, "utf8"), key: fs.readFileSync(certs.carol.key, "utf8") });
  return new Kafka({
    clientId: `sasl-ssl-${user}`, brokers: [bootstrap], ssl, sasl: { mechanism, username: user, password: PASSWORDS[user] },
    logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 200 }, reauthenticationThreshold,
  });
}

/** Sends `values` to `topic` with kafkajs; resolves null, or the Kafka error type (e.g. TOPIC_AUTHORIZATION_FAILED) it failed with. */
async function kafkajsSend(kafka, topic, values) {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
    return null;
  } catch (error) {
    for (let e = error; e; e = e.cause ?? e.originalError) if (e.type) return e.type;
    return `${error.name}: ${error.message}`;
  } finally {
    await producer.disconnect();
  }
}

/** Java AclClient options for SASL_SSL as `user` (SCRAM-SHA-512), with carol's key store when `withCertificate`. */
function javaSaslSsl(user, { withCertificate = false } = {}) {
  return {
    user, password: PASSWORDS[user], saslMechanism: "SCRAM-SHA-512",
    sslTruststore: trustStore.path, sslStorePassword: trustStore.password, sslKeystore: withCertificate ? carolKeyStore.path : undefined,
  };
}

async function brokerRecords(topic) {
  const { code, stdout, stderr } = await kcat(["-b", stack.direct, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\n"]);
  assert.equal(code, 0, stderr);
  return stdout.split("\n").filter((line) => line.length > 0);
}

const auditsFor = (principal) => auditLines(stack).filter((line) => line.principal === principal);
const sum = (stats, pattern) => [...stats].filter(([name]) => pattern.test(name)).reduce((n, [, v]) => n + v, 0);
/** Frames of `apiKey` the tap saw cross between Envoy and the broker, in `direction` ("requests" | "responses"). */
const tapFrames = (direction, apiKey) => [...stack.tap[direction]].filter(([api]) => api.startsWith(`${apiKey}.`)).reduce((n, [, e]) => n + e.frames, 0);

test("kafkajs over SASL_SSL: alice (SCRAM-SHA-256 and -512) produces to and consumes from scram.kafkajs; bob gets TOPIC_AUTHORIZATION_FAILED", async () => {
  assert.equal(await kafkajsSend(kafkajsClient("alice", "scram-sha-256"), "scram.kafkajs", ["sha256-1", "sha256-2"]), null);
  assert.equal(await kafkajsSend(kafkajsClient("alice", "scram-sha-512"), "scram.kafkajs", ["sha512-1"]), null);
  assert.deepEqual(await brokerRecords("scram.kafkajs"), ["sha256-1", "sha256-2", "sha512-1"]);

  const consumer = kafkajsClient("alice", "scram-sha-256").consumer({ groupId: "scram.kafkajs-group", sessionTimeout: 10000, heartbeatInterval: 1000 });
  const received = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: "scram.kafkajs", fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { received.push(message.value.toString()); } });
    await waitFor("alice's kafkajs consumer to read 3 records", () => received.length >= 3, { timeoutMs: 30000 });
  } finally {
    await consumer.disconnect();
  }
  assert.deepEqual(received, ["sha256-1", "sha256-2", "sha512-1"]);

  for (const mechanism of ["scram-sha-256", "scram-sha-512"]) {
    assert.equal(await kafkajsSend(kafkajsClient("bob", mechanism), "scram.kafkajs", ["bob"]), "TOPIC_AUTHORIZATION_FAILED", mechanism);
  }
  assert.deepEqual(await brokerRecords("scram.kafkajs"), ["sha256-1", "sha256-2", "sha512-1"], "nothing of bob's reached the broker");

  // A wrong password is the broker's to refuse.
  const wrong = new Kafka({
    clientId: "sasl-ssl-wrong", brokers: [stack.bootstrap], ssl: { ca: [fs.readFileSync(ca.cert, "utf8")] },
    sasl: { mechanism: "scram-sha-256", username: "alice", password: "not-alices" }, logLevel: logLevel.NOTHING, retry: { retries: 0 },
  }).admin();
  await assert.rejects(wrong.connect(), (error) => /SASL SCRAM SHA256 authentication failed|invalid credentials/i.test(error.message));

  const bobLines = auditsFor("User:bob").filter((line) => line.resource === "scram.kafkajs");
  assert.ok(bobLines.length >= 2, `audit lines name User:bob on scram.kafkajs (both mechanisms)\n${envoyLogTail(stack)}`);
  for (const line of bobLines) assert.deepEqual([line.decision, line.rule], ["DENIED", "default"]);
  assert.deepEqual(auditsFor("User:ANONYMOUS"), [], "every connection that reached a decision was named by SASL");
});

test("kcat over SASL_SSL (PLAIN): alice produces to and consumes from scram.kcat; bob gets 'Topic authorization failed'", async () => {
  const produced = await kcat(["-b", stack.bootstrap, ...kcatSaslSsl("alice"), "-t", "scram.kcat", "-P", "-X", "acks=all"], { input: "kcat-1\nkcat-2\n" });
  assert.equal(produced.code, 0, produced.stderr);
  const consumed = await kcat(["-b", stack.bootstrap, ...kcatSaslSsl("alice"), "-C", "-t", "scram.kcat", "-o", "beginning", "-e", "-q", "-f", "%s\n"]);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.deepEqual(consumed.stdout.split("\n").filter(Boolean), ["kcat-1", "kcat-2"]);
  const denied = await kcat(["-b", stack.bootstrap, ...kcatSaslSsl("bob"), "-t", "scram.kcat", "-P", "-X", "message.timeout.ms=5000"], { input: "bob\n" });
  assert.notEqual(denied.code, 0, "kcat must report the failed delivery");
  assert.match(denied.stderr, /Topic authorization failed/i, denied.stderr);
  assert.deepEqual(await brokerRecords("scram.kcat"), ["kcat-1", "kcat-2"]);
  assert.ok(auditsFor("User:bob").some((line) => line.resource === "scram.kcat" && line.decision === "DENIED"), envoyLogTail(stack));
});

test("Java clients over SASL_SSL (SCRAM-SHA-512): alice produces and consumes in a group; bob gets TopicAuthorizationException", async () => {
  const produced = await javaClient("produce", { bootstrap: stack.bootstrap, ...javaSaslSsl("alice"), topic: "scram.java", count: 3, valuePrefix: "java" });
  assert.equal(produced.ok, 3, JSON.stringify(produced));
  const consumed = await javaClient("consume", { bootstrap: stack.bootstrap, ...javaSaslSsl("alice"), topic: "scram.java", count: 3, group: "scram.java-group" });
  assert.equal(consumed.ok, true, JSON.stringify(consumed));
  assert.deepEqual(consumed.records.map((r) => r.value), ["java-0", "java-1", "java-2"]);

  const denied = await javaClient("produce", { bootstrap: stack.bootstrap, ...javaSaslSsl("bob"), topic: "scram.java", count: 1, timeoutMs: 30000 });
  assert.equal(denied.ok, 0, JSON.stringify(denied));
  assert.equal(denied.results[0].error, "TopicAuthorizationException", JSON.stringify(denied));
  assert.deepEqual(await brokerRecords("scram.java"), ["java-0", "java-1", "java-2"]);
  assert.ok(auditsFor("User:bob").some((line) => line.resource === "scram.java" && line.decision === "DENIED"),
    `an audit line names User:bob on scram.java\n${envoyLogTail(stack)}`);
});

test("a client presenting a certificate (mTLS) AND authenticating with SASL is named by SASL, not by the certificate", async () => {
  const handshakesBefore = await listenerTlsCounters(stack.admin);
  // Each client shows carol's certificate and logs in as someone else. Named by SASL, alice
  // may write scram.* and nobody may write carol.only; named by the certificate, it would be
  // the other way round.
  assert.equal(await kafkajsSend(kafkajsClient("alice", "scram-sha-256", { withCertificate: true }), "scram.kafkajs", ["mtls-alice"]), null);
  assert.equal(await kafkajsSend(kafkajsClient("alice", "scram-sha-512", { withCertificate: true }), "carol.only", ["mtls-carol"]), "TOPIC_AUTHORIZATION_FAILED");
  const javaBob = await javaClient("produce", { bootstrap: stack.bootstrap, ...javaSaslSsl("bob", { withCertificate: true }), topic: "carol.only", count: 1, timeoutMs: 30000 });
  assert.equal(javaBob.ok, 0, JSON.stringify(javaBob));
  assert.equal(javaBob.results[0].error, "TopicAuthorizationException", JSON.stringify(javaBob));
  const kcatAlice = await kcat(["-b", stack.bootstrap, ...kcatSaslSsl("alice", certs.carol), "-t", "scram.kcat", "-P", "-X", "acks=all"], { input: "mtls-kcat\n" });
  assert.equal(kcatAlice.code, 0, kcatAlice.stderr);

  assert.ok((await brokerRecords("scram.kafkajs")).includes("mtls-alice"));
  assert.ok((await brokerRecords("scram.kcat")).includes("mtls-kcat"));
  assert.deepEqual(await brokerRecords("carol.only"), [], "the certificate let nobody into carol.only");
  const carolOnly = auditLines(stack).filter((line) => line.resource === "carol.only");
  assert.ok(carolOnly.some((line) => line.principal === "User:alice") && carolOnly.some((line) => line.principal === "User:bob"),
    `carol.only's denials name the SASL users: ${JSON.stringify(carolOnly)}`);
  assert.deepEqual(auditsFor(CAROL), [], "the certificate subject never named a connection that authenticated with SASL");
  // Envoy did verify client certificates on these connections.
  const handshakesAfter = await listenerTlsCounters(stack.admin);
  assert.ok(handshakesAfter.handshake - handshakesAfter.noCertificate >= handshakesBefore.handshake - handshakesBefore.noCertificate + 4,
    `Envoy saw client certificates: ${JSON.stringify({ handshakesBefore, handshakesAfter })}`);
});

test("the filter's per-API metrics count SaslHandshake, SaslAuthenticate and the traffic; its health counters stay at zero", async () => {
  const stats = await stack.stats(`${STATS}.`);
  // Every SASL frame passes to the broker: the filter's counts equal the tap's behind it.
  assert.equal(sum(stats, /\.api\.SaslHandshake\.v\d+\.requests$/), tapFrames("requests", SASL_HANDSHAKE));
  assert.equal(sum(stats, /\.api\.SaslAuthenticate\.v\d+\.requests$/), tapFrames("requests", SASL_AUTHENTICATE));
  assert.equal(sum(stats, /\.api\.SaslAuthenticate\.v\d+\.responses$/), tapFrames("responses", SASL_AUTHENTICATE));
  // Every client run above logged in at least once; a PLAIN login takes one SaslAuthenticate
  // round, a SCRAM login (more than ten of them above, kafkajs and Java) two.
  assert.ok(tapFrames("requests", SASL_HANDSHAKE) >= 10, `SaslHandshake frames: ${tapFrames("requests", SASL_HANDSHAKE)}`);
  assert.ok(tapFrames("requests", SASL_AUTHENTICATE) >= tapFrames("requests", SASL_HANDSHAKE) + 10,
    `SaslAuthenticate frames: ${tapFrames("requests", SASL_AUTHENTICATE)}`);
  for (const api of ["Metadata", "Produce", "Fetch", "FindCoordinator", "JoinGroup"]) {
    assert.ok(sum(stats, new RegExp(`\\.api\\.${api}\\.v\\d+\\.requests$`)) > 0, `the filter counted ${api}`);
  }
  for (const health of ["unknown_api_requests", "unmatched_responses", "request_header_errors", "unanswered_requests", "framing_errors", "sasl_tokens"]) {
    assert.equal(sum(stats, new RegExp(`\\.filter\\.${health}$`)), 0, health);
  }
});

test("no password, SCRAM proof, server signature or nonce reaches Envoy's log (at debug level)", () => {
  const secrets = new Set(Object.values(PASSWORDS));
  const frames = stack.tap.drain().filter((f) => f.apiKey === SASL_AUTHENTICATE);
  for (const { frame } of frames) {
    const text = frame.toString("latin1");
    // RFC 5802: client-final "c=…,r=<nonce>,p=<proof>", server-first "r=<nonce>,s=<salt>,i=<n>", server-final "v=<signature>".
    for (const match of text.matchAll(/([prsv])=([^,\x00-\x1f\x7f-\xff]{12,})/g)) secrets.add(match[2]);
  }
  const proofs = [...secrets].filter((s) => !Object.values(PASSWORDS).includes(s));
  assert.ok(proofs.length >= 10, `the tap captured SCRAM proofs, nonces and signatures to look for: ${proofs.length}`);
  const log = fs.readFileSync(stack.envoy.logFile, "utf8");
  assert.ok(log.length > 0);
  for (const secret of secrets) assert.ok(!log.includes(secret), `Envoy's log holds a SCRAM secret (${secret.length} chars)`);
});

test("TLS on both sides: Envoy originates TLS to the broker's SASL_SSL listener; SCRAM and PLAIN logins, alice allowed, bob denied, the filter counts the plaintext between", async () => {
  const bootstrap = tlsEnvoy.bootstrap;
  assert.equal(await kafkajsSend(kafkajsClient("alice", "scram-sha-256", { bootstrap }), "scram.upstream", ["kafkajs-256"]), null);
  assert.equal(await kafkajsSend(kafkajsClient("bob", "scram-sha-512", { bootstrap }), "scram.upstream", ["bob"]), "TOPIC_AUTHORIZATION_FAILED");
  const java = await javaClient("produce", { bootstrap, ...javaSaslSsl("alice"), topic: "scram.upstream", count: 2, valuePrefix: "java" });
  assert.equal(java.ok, 2, JSON.stringify(java));
  const kcatProduced = await kcat(["-b", bootstrap, ...kcatSaslSsl("alice"), "-t", "scram.upstream", "-P", "-X", "acks=all"], { input: "kcat-plain\n" });
  assert.equal(kcatProduced.code, 0, kcatProduced.stderr);
  // kcat follows Metadata: the broker's SASLSSL listener advertises this Envoy, so it stays here.
  const metadata = await kcat(["-b", bootstrap, ...kcatSaslSsl("alice"), "-L", "-t", "scram.upstream"]);
  assert.match(metadata.stdout, new RegExp(`broker 1 at ${bootstrap.replaceAll(".", "\\.")}`), metadata.stdout);
  const consumed = await kcat(["-b", bootstrap, ...kcatSaslSsl("alice"), "-C", "-t", "scram.upstream", "-o", "beginning", "-e", "-q", "-f", "%s\n"]);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.deepEqual(consumed.stdout.split("\n").filter(Boolean), ["kafkajs-256", "java-0", "java-1", "kcat-plain"]);
  assert.deepEqual(await brokerRecords("scram.upstream"), ["kafkajs-256", "java-0", "java-1", "kcat-plain"]);

  const upstream = await readStats(tlsEnvoy.admin, "cluster.kafka_broker.ssl.");
  assert.ok(upstream.get("cluster.kafka_broker.ssl.handshake") >= 4, `Envoy's upstream TLS handshakes: ${JSON.stringify([...upstream])}`);
  const stats = await readStats(tlsEnvoy.admin, `wasmcustom.kafka.${UPSTREAM_TLS_PREFIX}.`);
  for (const api of ["SaslHandshake", "SaslAuthenticate", "Metadata", "Produce", "Fetch"]) {
    assert.ok(sum(stats, new RegExp(`\\.api\\.${api}\\.v\\d+\\.requests$`)) > 0, `the filter counted ${api}`);
  }
  for (const health of ["unknown_api_requests", "unmatched_responses", "request_header_errors", "framing_errors", "sasl_tokens"]) {
    assert.equal(sum(stats, new RegExp(`\\.filter\\.${health}$`)), 0, health);
  }
  const audits = auditLines({ envoy: tlsEnvoy }).filter((line) => line.resource === "scram.upstream");
  assert.ok(audits.length >= 1 && audits.every((line) => line.principal === "User:bob" && line.decision === "DENIED"), JSON.stringify(audits));
  const log = fs.readFileSync(tlsEnvoy.logFile, "utf8");
  for (const password of Object.values(PASSWORDS)) assert.ok(!log.includes(password), "no password in the second Envoy's log");
});

test("KIP-368 re-authentication over TLS on both sides: kafkajs logs in again on open connections; alice stays allowed, bob denied, the filter in step", async () => {
  const bootstrap = tlsEnvoy.bootstrap;
  const connections = async () => sum(await readStats(tlsEnvoy.admin, "listener.127.0.0.1_"), /^listener\.127\.0\.0\.1_\d+\.downstream_cx_total$/);
  const filterStats = () => readStats(tlsEnvoy.admin, `wasmcustom.kafka.${UPSTREAM_TLS_PREFIX}.`);
  // The SASLSSL listener gives sessions REAUTH_MS; kafkajs logs in again once less than
  // the threshold is left, so here a second after each login.
  const reauthenticationThreshold = REAUTH_MS - 1000;
  const alice = kafkajsClient("alice", "scram-sha-256", { bootstrap, reauthenticationThreshold }).producer({ allowAutoTopicCreation: false });
  const bob = kafkajsClient("bob", "scram-sha-512", { bootstrap, reauthenticationThreshold }).producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await alice.connect();
  await bob.connect();
  const connectionsBefore = await connections();
  const handshakesBefore = sum(await filterStats(), /\.api\.SaslHandshake\.v\d+\.requests$/);
  const bobErrors = [];
  try {
    for (let i = 0; i < 5; i++) {
      await alice.send({ topic: "scram.reauth", acks: -1, messages: [{ value: `reauth-${i}` }] });
      await bob.send({ topic: "scram.reauth", acks: -1, messages: [{ value: `bob-${i}` }] }).then(
        () => bobErrors.push("delivered"),
        (error) => { let e = error; while (e && !e.type) e = e.cause ?? e.originalError; bobErrors.push(e?.type ?? error.message); });
      await sleep(1200);
    }
  } finally {
    await alice.disconnect();
    await bob.disconnect();
  }
  assert.deepEqual(await brokerRecords("scram.reauth"), ["reauth-0", "reauth-1", "reauth-2", "reauth-3", "reauth-4"]);
  assert.deepEqual(bobErrors, Array(5).fill("TOPIC_AUTHORIZATION_FAILED"));
  const stats = await filterStats();
  const newConnections = (await connections()) - connectionsBefore;
  const handshakes = sum(stats, /\.api\.SaslHandshake\.v\d+\.requests$/) - handshakesBefore;
  assert.ok(handshakes >= newConnections + 4, `logins on open connections: ${handshakes} SaslHandshake requests, ${newConnections} new connections`);
  for (const health of ["unknown_api_requests", "unmatched_responses", "request_header_errors", "framing_errors", "sasl_tokens"]) {
    assert.equal(sum(stats, new RegExp(`\\.filter\\.${health}$`)), 0, health);
  }
  const audits = auditLines({ envoy: tlsEnvoy }).filter((line) => line.resource === "scram.reauth");
  assert.ok(audits.length >= 5, JSON.stringify(audits));
  assert.ok(audits.every((line) => line.principal === "User:bob" && line.decision === "DENIED"), JSON.stringify(audits));
});

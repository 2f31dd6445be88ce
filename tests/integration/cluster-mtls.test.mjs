// Port-per-broker cluster mode behind mutual TLS, end to end: the 3-node KRaft cluster
// (cluster mode's test topology, brokers on 127.0.0.2-4 advertising their own addresses)
// fronted by the configuration scripts/cluster-config.mjs generates with --tls-cert,
// --tls-key, --tls-ca and --require-client-cert: one TLS listener per broker, each
// terminating TLS, then the Kafka filter, then tcp_proxy to that broker (certificates
// made for this run with the openssl CLI). kcat and Kafka's Java clients produce and
// consume through every broker's listener over mTLS; the leak scan reads everything the
// filters answer over TLS (Metadata, FindCoordinator, node_endpoints, the clients' own
// broker lists) for the brokers' real addresses.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import kafkajs from "kafkajs";
import { javaClient, javaClientClasspath, kcat, requireKcat } from "./support/clients.mjs";
import {
  LeakScanner, findCoordinatorRequest, flexibleBody, frontCluster, leadersOf, nodeEndpointsOf, parseFindCoordinatorResponse,
  produceRequestV12, requestsPerNode, startTestCluster,
} from "./support/cluster.mjs";
import { metadataRequest, parseMetadataResponse, parseProduceResponse, plaintextKafkaUntilClosed, recordBatch } from "./support/kafka-wire.mjs";
import {
  createCertificateAuthority, issueCertificate, pkcs12KeyStore, pkcs12TrustStore, requireCertificateTools,
} from "./support/certs.mjs";
import { assertFilterAlive, kcatTlsArgs, listenerTlsCounters, openTlsConnection } from "./support/tls.mjs";
import { filterWasm, newRunDir } from "./support/stack.mjs";
import { root } from "../../scripts/lib/envoy.mjs";
import { waitFor } from "../../scripts/lib/processes.mjs";

const { Kafka, logLevel } = kafkajs;

const KCAT_TOPIC = "mtls.kcat";
const JAVA_TOPIC = "mtls.java";
const NOT_LEADER_OR_FOLLOWER = 6;

let runDir;
let cluster;
let front;
let ca;
let tlsFiles;
const certs = {};
const stores = {};

before(async () => {
  requireKcat();
  requireCertificateTools();
  javaClientClasspath();
  runDir = newRunDir("cluster-mtls");
  filterWasm();
  ca = createCertificateAuthority(path.join(runDir, "certs"));
  // Clients dial the listeners at 127.0.0.1 (the address the filters advertise).
  const server = issueCertificate(ca, "server", { subject: "CN=localhost,O=Example", sans: ["DNS:localhost", "IP:127.0.0.1"], usage: "server" });
  certs.alice = issueCertificate(ca, "alice", { subject: "CN=alice,OU=eng,O=Example" });
  stores.trust = pkcs12TrustStore(ca);
  stores.alice = pkcs12KeyStore(ca, certs.alice);
  tlsFiles = { certFile: server.cert, keyFile: server.key, caFile: ca.cert, requireClientCert: true };

  cluster = await startTestCluster({ runDir });
  // Each broker leads one partition of each topic: traffic must use every listener.
  const spread = [[1, 2, 3], [2, 3, 1], [3, 1, 2]].map((replicas, partition) => ({ partition, replicas }));
  const admin = new Kafka({ clientId: "mtls-setup", brokers: cluster.bootstrap.split(","), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [KCAT_TOPIC, JAVA_TOPIC].map((topic) => ({ topic, replicaAssignment: spread })),
    });
  } finally {
    await admin.disconnect();
  }
  front = await frontCluster({ runDir, cluster, name: "envoy-mtls", downstreamTls: tlsFiles });
}, { timeout: 420000 });

after(async () => {
  await front?.stop();
  await cluster?.stop();
});

const nodeIds = () => front.listeners.map((l) => l.nodeId);
const requests = (api) => requestsPerNode(front.admin, api, nodeIds());
const delta = (before, after) => Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]));
const javaTls = () => ({ sslTruststore: stores.trust.path, sslKeystore: stores.alice.path, sslStorePassword: stores.trust.password });
const listenerPrefix = (listener) => `listener.127.0.0.1_${listener.port}.`;

test("the generated configuration: one mutual-TLS listener per broker in node-id order; the command writes the same", () => {
  assert.deepEqual(nodeIds(), [1, 2, 3]);
  front.listeners.forEach((l, i) => {
    assert.equal(l.port, front.firstPort + i);
    assert.ok(l.tls, `node ${l.nodeId}'s listener terminates TLS`);
    assert.equal(l.advertised, `127.0.0.1:${l.port}`, "clients are sent to the TLS listener itself");
    assert.equal(l.upstream, cluster.node(l.nodeId).address);
  });
  for (const listener of front.config.static_resources.listeners) {
    const tls = listener.filter_chains[0].transport_socket.typed_config;
    assert.equal(tls.require_client_certificate, true);
    assert.equal(tls.common_tls_context.validation_context.trusted_ca.filename, ca.cert);
    assert.deepEqual(listener.filter_chains[0].filters.map((f) => f.name), ["envoy.filters.network.wasm", "envoy.filters.network.tcp_proxy"]);
  }
  const cli = spawnSync(process.execPath, ["scripts/cluster-config.mjs",
    "--nodes", front.brokers.map((b) => `${b.nodeId}=${b.host}:${b.port}`).join(","),
    "--port", String(front.firstPort), "--admin-port", String(front.config.admin.address.socket_address.port_value),
    "--listen-address", "127.0.0.1", "--wasm", filterWasm(), "--skip-validate",
    "--tls-cert", tlsFiles.certFile, "--tls-key", tlsFiles.keyFile, "--tls-ca", tlsFiles.caFile, "--require-client-cert"],
  { cwd: root, encoding: "utf8", timeout: 60000 });
  assert.equal(cli.status, 0, cli.stderr);
  assert.deepEqual(YAML.parse(cli.stdout).static_resources, front.config.static_resources);
  assert.match(cli.stdout, /^# Client TLS: terminated by Envoy on every filter chain \(mutual TLS: clients without a certificate are refused\)/m,
    "the file's header says what TLS it does");
});

test("kcat (mTLS) produces to and consumes from partitions led by all three brokers; each broker's filter counts its Produce and Fetch", async () => {
  const metadata = await kcat(["-b", front.bootstrap, ...kcatTlsArgs(ca, certs.alice), "-L", "-t", KCAT_TOPIC]);
  assert.equal(metadata.code, 0, metadata.stderr);
  for (const l of front.listeners) assert.match(metadata.stdout, new RegExp(`broker ${l.nodeId} at ${l.advertised.replaceAll(".", "\\.")}`));
  assert.deepEqual(leadersOf(metadata.stdout, KCAT_TOPIC), [1, 2, 3]);
  const scanner = new LeakScanner(front.brokers);
  scanner.stream("kcat -L")(Buffer.from(metadata.stdout));
  assert.deepEqual(scanner.hits, []);

  const beforeProduce = await requests("Produce");
  const beforeFetch = await requests("Fetch");
  // One run per partition: each goes to that partition's leader, through its listener.
  for (const partition of [0, 1, 2]) {
    const produced = await kcat(["-b", front.bootstrap, ...kcatTlsArgs(ca, certs.alice), "-t", KCAT_TOPIC, "-p", String(partition), "-P", "-X", "acks=all"],
      { input: `p${partition}-a\np${partition}-b\n` });
    assert.equal(produced.code, 0, produced.stderr);
  }
  const consumed = await kcat(["-b", front.bootstrap, ...kcatTlsArgs(ca, certs.alice), "-C", "-t", KCAT_TOPIC, "-o", "beginning", "-e", "-q", "-f", "%p:%s\n"]);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.deepEqual(consumed.stdout.split("\n").filter(Boolean).sort(), ["0:p0-a", "0:p0-b", "1:p1-a", "1:p1-b", "2:p2-a", "2:p2-b"]);
  const produce = delta(beforeProduce, await requests("Produce"));
  const fetch = delta(beforeFetch, await requests("Fetch"));
  for (const nodeId of nodeIds()) {
    assert.ok(produce[nodeId] >= 1, `node ${nodeId}'s filter counted Produce: ${JSON.stringify(produce)}`);
    assert.ok(fetch[nodeId] >= 1, `node ${nodeId}'s filter counted Fetch: ${JSON.stringify(fetch)}`);
  }
  const tcp = await front.stats("tcp.kafka_broker_");
  for (const nodeId of nodeIds()) assert.ok(tcp.get(`tcp.kafka_broker_${nodeId}.downstream_cx_total`) > 0, `node ${nodeId}'s tcp_proxy was used`);
});

test("Java clients (mTLS, PKCS12 stores): describeCluster names only the listeners; produce, and consume in a group from every leader", async () => {
  const described = await javaClient("describe-cluster", { bootstrap: front.bootstrap, ...javaTls() });
  assert.equal(described.ok, true, JSON.stringify(described));
  assert.deepEqual(described.nodes, front.listeners.map((l) => `${l.nodeId}=${l.advertised}`).sort());

  const beforeFetch = await requests("Fetch");
  const beforeFind = await requests("FindCoordinator");
  const produced = await javaClient("produce", { bootstrap: front.bootstrap, ...javaTls(), topic: JAVA_TOPIC, count: 12, valuePrefix: "java" });
  assert.equal(produced.ok, 12, JSON.stringify(produced));
  const consumed = await javaClient("consume", { bootstrap: front.bootstrap, ...javaTls(), topic: JAVA_TOPIC, count: 12, group: "mtls.java-group" });
  assert.equal(consumed.ok, true, JSON.stringify(consumed));
  assert.deepEqual(consumed.records.map((r) => r.value).sort(), Array.from({ length: 12 }, (_, i) => `java-${i}`).sort());
  // The consumer fetches every assigned partition from its leader: all three listeners.
  const fetch = delta(beforeFetch, await requests("Fetch"));
  for (const nodeId of nodeIds()) assert.ok(fetch[nodeId] >= 1, `node ${nodeId}'s filter counted the Java consumer's Fetch: ${JSON.stringify(fetch)}`);
  const find = delta(beforeFind, await requests("FindCoordinator"));
  assert.ok(Object.values(find).reduce((a, b) => a + b, 0) >= 1, `FindCoordinator was counted: ${JSON.stringify(find)}`);
  const scanner = new LeakScanner(front.brokers);
  scanner.stream("java describe-cluster")(Buffer.from(JSON.stringify(described)));
  assert.deepEqual(scanner.hits, []);
});

test("leak scan: Metadata, FindCoordinator and node_endpoints read over mTLS from every listener carry no real broker address", async () => {
  const scanner = new LeakScanner(front.brokers);
  const expected = front.listeners.map((l) => `${l.nodeId}=${l.advertised}`).sort();
  const advertisedOf = (nodeId) => front.listeners.find((l) => l.nodeId === nodeId).advertised;
  let leaders = null;
  for (const listener of front.listeners) {
    const scan = scanner.stream(`node ${listener.nodeId}`);
    const connection = await openTlsConnection(listener.advertised, { ca, issued: certs.alice });
    try {
      await connection.write(metadataRequest({ correlationId: 1, version: 12, topics: [KCAT_TOPIC, JAVA_TOPIC] }));
      const metadataFrame = await connection.response({ flexibleHeader: true });
      scan(metadataFrame.frame);
      const metadata = parseMetadataResponse(metadataFrame.body, 12);
      assert.deepEqual(metadata.brokers.map((b) => `${b.nodeId}=${b.host}:${b.port}`).sort(), expected, `Metadata through node ${listener.nodeId}'s listener`);
      leaders ??= Object.fromEntries(metadata.topics.find((t) => t.name === KCAT_TOPIC).partitions.map((p) => [p.partitionIndex, p.leaderId]));

      await connection.write(findCoordinatorRequest({ correlationId: 2, keys: ["mtls.java-group", "mtls.a", "mtls.b", "mtls.c"] }));
      const coordinatorFrame = await connection.response({ flexibleHeader: true });
      scan(coordinatorFrame.frame);
      for (const coordinator of parseFindCoordinatorResponse(coordinatorFrame.body)) {
        assert.equal(coordinator.errorCode, 0, JSON.stringify(coordinator));
        assert.equal(`${coordinator.host}:${coordinator.port}`, advertisedOf(coordinator.nodeId), `FindCoordinator for ${coordinator.key}`);
      }

      // A Produce to a partition this broker does not lead: NOT_LEADER_OR_FOLLOWER, with
      // node_endpoints (KIP-951) naming the leader, which must be its listener.
      const partition = Number(Object.entries(leaders).find(([, leader]) => leader !== listener.nodeId)[0]);
      await connection.write(produceRequestV12({ correlationId: 3, topic: KCAT_TOPIC, partition, batch: recordBatch(["to-a-follower"]) }));
      const produceFrame = await connection.response({ flexibleHeader: true });
      scan(produceFrame.frame);
      const body = flexibleBody(produceFrame.frame);
      assert.equal(parseProduceResponse(body)[0].partitions[0].errorCode, NOT_LEADER_OR_FOLLOWER);
      const leader = leaders[partition];
      assert.deepEqual(nodeEndpointsOf(0, 12, body)?.map((e) => `${e.nodeId}=${e.host}:${e.port}`), [`${leader}=${advertisedOf(leader)}`]);
    } finally {
      connection.close();
    }
  }
  const summary = scanner.summary();
  assert.equal(summary.streams, 3);
  assert.ok(summary.bytesScanned > 0);
  assert.deepEqual(scanner.hits, [], `real broker addresses reached a client: ${JSON.stringify(scanner.hits.slice(0, 5))}`);
  assert.ok((await requests("Metadata"))[1] > 0);
});

test("every listener refuses a client without a certificate and a plaintext client; the filters stay alive", async () => {
  for (const listener of front.listeners) {
    const before = await listenerTlsCounters(front.admin, listenerPrefix(listener));
    const noCert = await kcat(["-b", listener.advertised, ...kcatTlsArgs(ca, null), "-L", "-m", "5"]);
    assert.notEqual(noCert.code, 0, `kcat without a certificate must fail on node ${listener.nodeId}'s listener: ${noCert.stdout}`);
    assert.doesNotMatch(noCert.stdout, /3 brokers/);
    await waitFor(`node ${listener.nodeId}'s listener to count the refused handshake`,
      async () => (await listenerTlsCounters(front.admin, listenerPrefix(listener))).noCertRefused > before.noCertRefused, { timeoutMs: 10000 });

    const answer = await plaintextKafkaUntilClosed(listener.advertised);
    assert.ok(answer.length === 0 || answer[0] === 0x15, `no Kafka bytes came back to a plaintext client: ${answer.toString("hex")}`);
    await waitFor(`node ${listener.nodeId}'s listener to count the failed plaintext handshake`,
      async () => (await listenerTlsCounters(front.admin, listenerPrefix(listener))).connectionError > before.connectionError, { timeoutMs: 10000 });
  }
  const metadata = await kcat(["-b", front.bootstrap, ...kcatTlsArgs(ca, certs.alice), "-L"]);
  assert.equal(metadata.code, 0, metadata.stderr);
  assert.match(metadata.stdout, /3 brokers/);
  await assertFilterAlive(front.admin, front.envoy.logFile);
});

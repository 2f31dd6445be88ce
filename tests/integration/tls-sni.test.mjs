// SNI mode end to end: the 3-node KRaft cluster (cluster mode's test topology, brokers
// on 127.0.0.2-4 advertising their own addresses) behind ONE Envoy TLS port, with the
// configuration scripts/cluster-config.mjs generates with --sni-host-template,
// --sni-port, --bootstrap-host and mutual TLS (certificates made for this run with the
// openssl CLI: a wildcard server certificate, client certificates for alice and bob).
// Envoy's tls_inspector routes each connection by its server name to that broker's
// filter chain; the filter advertises every broker as its SNI name on the one port.
//
// The SNI names resolve to 127.0.0.1: for kcat (librdkafka uses the system resolver)
// through /etc/hosts entries this file adds and removes, for the Java clients through
// -Djdk.net.hosts.file. The leak scan reads what the filter sends clients after TLS is
// removed: raw Kafka requests over Node's TLS client (SNI + client certificate), every
// decrypted response byte scanned for the brokers' real addresses; and the broker
// lists kcat and the Java Admin client report.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import kafkajs from "kafkajs";
import { javaClient, javaClientClasspath, kcat, requireKcat } from "./support/clients.mjs";
import {
  LeakScanner, findCoordinatorRequest, leadersOf, parseFindCoordinatorResponse, requestsPerNode, startTestCluster,
} from "./support/cluster.mjs";
import { metadataRequest, parseMetadataResponse, plaintextKafkaUntilClosed } from "./support/kafka-wire.mjs";
import {
  createCertificateAuthority, issueCertificate, pkcs12KeyStore, pkcs12TrustStore, requireCertificateTools,
} from "./support/certs.mjs";
import { assertFilterAlive, kcatTlsArgs, listenerTlsCounters, openTlsConnection } from "./support/tls.mjs";
import { spawnSync } from "node:child_process";
import YAML from "yaml";
import { filterWasm, newRunDir } from "./support/stack.mjs";
import { readStats, root, startEnvoy } from "../../scripts/lib/envoy.mjs";
import { discoverBrokers, generateClusterConfig } from "../../scripts/lib/cluster-config.mjs";
import { freePort, waitFor } from "../../scripts/lib/processes.mjs";

const { Kafka, logLevel } = kafkajs;

// A domain of its own per run, so the /etc/hosts lines this file adds are unmistakably its own.
const DOMAIN = `kafka-sni-${process.pid}.test`;
const HOST_TEMPLATE = `broker-{node_id}.${DOMAIN}`;
const BOOTSTRAP_HOST = `bootstrap.${DOMAIN}`;
const HOSTS_FILE = "/etc/hosts";
const HOSTS_MARK = `# kafka-filter tls-sni.test ${process.pid}`;
const ALICE = "User:CN=alice,OU=eng,O=Example";
const TOPIC = "sni.orders";
const JAVA_TOPIC = "sni.java";

let runDir;
let cluster;
let envoy;
let ca;
let sniPort;
let brokers;
let generated;
let tlsFiles;
let hostsAdded = false;
let javaHostsFile;
const certs = {};
const stores = {};

const sniHost = (nodeId) => HOST_TEMPLATE.replace("{node_id}", String(nodeId));
const bootstrap = () => `${BOOTSTRAP_HOST}:${sniPort}`;
const stats = (filter) => readStats(envoy.admin, filter);

/** alice may use "sni." topics and groups; bob nothing but cluster describe. Principals: the certificate subject. */
function policy() {
  return {
    stat_prefix: "broker",
    acl: {
      default: "deny",
      principal_sources: ["tls_subject"],
      rules: [
        { name: "alice-topics", effect: "allow", principal: ALICE, resource_type: "topic", pattern_type: "prefixed", resource_name: "sni.", operations: ["all"] },
        { name: "alice-groups", effect: "allow", principal: ALICE, resource_type: "group", pattern_type: "prefixed", resource_name: "sni.", operations: ["all"] },
        { name: "cluster", effect: "allow", principal: "User:*", resource_type: "cluster", resource_name: "kafka-cluster", operations: ["describe", "idempotent_write"] },
      ],
    },
  };
}

/** Adds "127.0.0.1 <name>" lines for every SNI name, marked so `removeHosts` takes out exactly these. */
function addHosts(names) {
  const lines = names.map((name) => `127.0.0.1 ${name} ${HOSTS_MARK}`).join("\n");
  const current = fs.readFileSync(HOSTS_FILE, "utf8");
  fs.writeFileSync(HOSTS_FILE, `${current}${current.endsWith("\n") || current === "" ? "" : "\n"}${lines}\n`);
  hostsAdded = true;
}

function removeHosts() {
  if (!hostsAdded) return;
  const current = fs.readFileSync(HOSTS_FILE, "utf8");
  fs.writeFileSync(HOSTS_FILE, current.split("\n").filter((line) => !line.endsWith(HOSTS_MARK)).join("\n"));
  hostsAdded = false;
}

before(async () => {
  requireKcat();
  requireCertificateTools();
  javaClientClasspath();
  try { fs.accessSync(HOSTS_FILE, fs.constants.W_OK); } catch {
    throw new Error(`${HOSTS_FILE} is not writable: this suite resolves SNI names for kcat through it (run as root)`);
  }
  runDir = newRunDir("tls-sni");
  filterWasm();
  ca = createCertificateAuthority(path.join(runDir, "certs"));
  // One wildcard certificate for every broker name and the bootstrap name.
  const server = issueCertificate(ca, "server", { subject: `CN=*.${DOMAIN},O=Example`, sans: [`DNS:*.${DOMAIN}`], usage: "server" });
  certs.alice = issueCertificate(ca, "alice", { subject: "CN=alice,OU=eng,O=Example" });
  certs.bob = issueCertificate(ca, "bob", { subject: "CN=bob,OU=ops,O=Example" });
  stores.trust = pkcs12TrustStore(ca);
  stores.alice = pkcs12KeyStore(ca, certs.alice);

  cluster = await startTestCluster({ runDir });
  const admin = new Kafka({ clientId: "sni-setup", brokers: cluster.bootstrap.split(","), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: TOPIC, numPartitions: 3, replicationFactor: 3 },
        { topic: JAVA_TOPIC, numPartitions: 3, replicationFactor: 3 },
      ],
    });
  } finally {
    await admin.disconnect();
  }

  ({ brokers } = await discoverBrokers(cluster.bootstrap));
  tlsFiles = { server, ca: ca.cert };
  sniPort = await freePort();
  generated = generateClusterConfig({
    brokers, adminPort: await freePort(), listenAddress: "127.0.0.1", wasmFile: filterWasm(), pluginConfig: policy(),
    downstreamTls: { certFile: server.cert, keyFile: server.key, caFile: ca.cert, requireClientCert: true },
    sni: { hostTemplate: HOST_TEMPLATE, port: sniPort, bootstrapHost: BOOTSTRAP_HOST },
    validateFile: path.join(runDir, "envoy-sni.yaml"),
  });
  envoy = await startEnvoy({ runDir, config: generated.config, name: "envoy-sni" });

  const names = [...brokers.map((b) => sniHost(b.nodeId)), BOOTSTRAP_HOST];
  addHosts(names);
  javaHostsFile = path.join(runDir, "hosts");
  fs.writeFileSync(javaHostsFile, names.map((name) => `127.0.0.1 ${name}\n`).join(""));
}, { timeout: 420000 });

after(async () => {
  removeHosts();
  await envoy?.stop().catch(() => {});
  await cluster?.stop();
});

/** kcat options: TLS to Envoy with `who`'s certificate (none when null). */
const tlsArgs = (who) => kcatTlsArgs(ca, who ? certs[who] : null);

const javaTls = () => ({ sslTruststore: stores.trust.path, sslKeystore: stores.alice.path, sslStorePassword: stores.trust.password });
const javaOptions = () => ({ jvmArgs: [`-Djdk.net.hosts.file=${javaHostsFile}`] });

/** Sum of the filter's `requests` counters per filter chain (stat prefix broker<N> / brokerbootstrap) for `api`. */
const requestsPerChain = (api) => requestsPerNode(envoy.admin, api, ["bootstrap", ...brokers.map((b) => b.nodeId)]);

test("the generated configuration: one TLS listener, tls_inspector, a filter chain per broker by server name and a bootstrap chain over all brokers", () => {
  const listeners = generated.config.static_resources.listeners;
  assert.equal(listeners.length, 1);
  assert.equal(listeners[0].address.socket_address.port_value, sniPort);
  assert.deepEqual(listeners[0].listener_filters.map((f) => f.name), ["envoy.filters.listener.tls_inspector"]);
  const chains = generated.listeners;
  assert.deepEqual(chains.map((c) => c.serverNames), [...brokers.map((b) => [sniHost(b.nodeId)]), [BOOTSTRAP_HOST]]);
  assert.ok(chains.every((c) => c.tls), "every filter chain terminates TLS");
  for (const chain of listeners[0].filter_chains) {
    assert.equal(chain.transport_socket.typed_config.require_client_certificate, true);
    const plugin = JSON.parse(chain.filters[0].typed_config.config.configuration.value);
    assert.deepEqual(plugin.broker_addresses, { host_template: HOST_TEMPLATE, port: sniPort });
  }
  for (const broker of brokers) {
    const chain = chains.find((c) => c.nodeId === broker.nodeId);
    assert.equal(chain.upstream, `${broker.host}:${broker.port}`);
    assert.equal(chain.advertised, `${sniHost(broker.nodeId)}:${sniPort}`);
  }
  assert.equal(chains.at(-1).upstream, brokers.map((b) => `${b.host}:${b.port}`).join(","));

  // The command users run writes the same listener and clusters as the library the suite started Envoy with.
  const cli = spawnSync(process.execPath, ["scripts/cluster-config.mjs", "--nodes", brokers.map((b) => `${b.nodeId}=${b.host}:${b.port}`).join(","),
    "--listen-address", "127.0.0.1", "--admin-port", String(generated.config.admin.address.socket_address.port_value), "--wasm", filterWasm(),
    "--config", writePolicyFile(), "--sni-host-template", HOST_TEMPLATE, "--sni-port", String(sniPort), "--bootstrap-host", BOOTSTRAP_HOST,
    "--tls-cert", tlsFiles.server.cert, "--tls-key", tlsFiles.server.key, "--tls-ca", tlsFiles.ca, "--require-client-cert", "--skip-validate"],
  { cwd: root, encoding: "utf8", timeout: 60000 });
  assert.equal(cli.status, 0, cli.stderr);
  const fromCli = YAML.parse(cli.stdout);
  assert.deepEqual(fromCli.static_resources, generated.config.static_resources);
});

function writePolicyFile() {
  const file = path.join(runDir, "policy.json");
  fs.writeFileSync(file, JSON.stringify(policy()));
  return file;
}

test("kcat (mTLS, SNI) produces to and consumes from every partition leader through the one port; per-chain metrics count it; the broker list names only SNI names", async () => {
  const metadata = await kcat(["-b", bootstrap(), ...tlsArgs("alice"), "-L", "-t", TOPIC]);
  assert.equal(metadata.code, 0, metadata.stderr);
  for (const broker of brokers) {
    assert.match(metadata.stdout, new RegExp(`broker ${broker.nodeId} at ${sniHost(broker.nodeId).replaceAll(".", "\\.")}:${sniPort}`));
    assert.ok(!metadata.stdout.includes(broker.host), `kcat -L shows no real broker address:\n${metadata.stdout}`);
  }
  const leaders = leadersOf(metadata.stdout, TOPIC);
  assert.equal(leaders.length, 3);

  const beforeProduce = await requestsPerChain("Produce");
  const beforeFetch = await requestsPerChain("Fetch");
  const values = Array.from({ length: 30 }, (_, i) => `kcat-${i}`);
  // The partitioner spreads keyless records over the partitions: every leader gets some.
  const produced = await kcat(["-b", bootstrap(), ...tlsArgs("alice"), "-t", TOPIC, "-P", "-K", ":", "-X", "acks=all"],
    { input: values.map((v, i) => `k${i}:${v}`).join("\n") + "\n" });
  assert.equal(produced.code, 0, produced.stderr);
  const consumed = await kcat(["-b", bootstrap(), ...tlsArgs("alice"), "-C", "-t", TOPIC, "-o", "beginning", "-e", "-q", "-f", "%s\n"]);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.deepEqual(consumed.stdout.split("\n").filter(Boolean).sort(), [...values].sort());

  const produce = await requestsPerChain("Produce");
  const fetch = await requestsPerChain("Fetch");
  for (const nodeId of new Set(leaders)) {
    assert.ok(produce[nodeId] > beforeProduce[nodeId], `node ${nodeId}'s filter chain counted Produce: ${JSON.stringify(produce)}`);
    assert.ok(fetch[nodeId] > beforeFetch[nodeId], `node ${nodeId}'s filter chain counted Fetch: ${JSON.stringify(fetch)}`);
  }
  assert.equal(produce.bootstrap, 0, "no Produce went through the bootstrap chain");
  assert.ok((await requestsPerChain("Metadata")).bootstrap > 0, "the bootstrap chain answered Metadata");
  // tcp_proxy of each leader's chain opened connections to that broker.
  const tcp = await stats("tcp.kafka_broker_");
  for (const nodeId of new Set(leaders)) assert.ok(tcp.get(`tcp.kafka_broker_${nodeId}.downstream_cx_total`) > 0);

  // Principals still come from the certificate on every chain: bob is denied.
  const denied = await kcat(["-b", bootstrap(), ...tlsArgs("bob"), "-t", TOPIC, "-P", "-X", "message.timeout.ms=5000"], { input: "bob\n" });
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /Topic authorization failed/i, denied.stderr);
});

test("Java clients (mTLS, SNI names from jdk.net.hosts.file): describeCluster names only SNI names; produce and consume in a group", async () => {
  const described = await javaClient("describe-cluster", { bootstrap: bootstrap(), ...javaTls() }, javaOptions());
  assert.equal(described.ok, true, JSON.stringify(described));
  assert.deepEqual(described.nodes, brokers.map((b) => `${b.nodeId}=${sniHost(b.nodeId)}:${sniPort}`).sort());

  const beforeFind = await requestsPerChain("FindCoordinator");
  const produced = await javaClient("produce", { bootstrap: bootstrap(), ...javaTls(), topic: JAVA_TOPIC, count: 12, valuePrefix: "java" }, javaOptions());
  assert.equal(produced.ok, 12, JSON.stringify(produced));
  const consumed = await javaClient("consume", { bootstrap: bootstrap(), ...javaTls(), topic: JAVA_TOPIC, count: 12, group: "sni.java-group" }, javaOptions());
  assert.equal(consumed.ok, true, JSON.stringify(consumed));
  assert.deepEqual(consumed.records.map((r) => r.value).sort(), Array.from({ length: 12 }, (_, i) => `java-${i}`).sort());
  const find = await requestsPerChain("FindCoordinator");
  const total = (counts) => Object.values(counts).reduce((a, b) => a + b, 0);
  assert.ok(total(find) > total(beforeFind), `FindCoordinator was counted: ${JSON.stringify(find)}`);
  const heartbeat = await requestsPerChain("ConsumerGroupHeartbeat");
  const joined = await requestsPerChain("JoinGroup");
  assert.ok(total(heartbeat) + total(joined) > 0, "the group coordinator's chain counted the group's requests");
});

/** A TLS connection to the SNI port naming `servername`, with alice's certificate, as a RawConnection. */
const tlsConnection = (servername) => openTlsConnection(`127.0.0.1:${sniPort}`, { ca, issued: certs.alice, servername });

test("leak scan: Metadata and FindCoordinator answers decrypted on every server name carry no real broker address", async () => {
  const scanner = new LeakScanner(brokers);
  const answers = [];
  for (const name of [BOOTSTRAP_HOST, ...brokers.map((b) => sniHost(b.nodeId))]) {
    const connection = await tlsConnection(name);
    const scan = scanner.stream(name);
    try {
      await connection.write(metadataRequest({ correlationId: 1, version: 12, topics: [TOPIC, JAVA_TOPIC] }));
      const metadataFrame = await connection.response({ flexibleHeader: true });
      scan(metadataFrame.frame);
      const metadata = parseMetadataResponse(metadataFrame.body, 12);
      answers.push(metadata.brokers);
      await connection.write(findCoordinatorRequest({ correlationId: 2, keys: ["sni.java-group", "sni.other"] }));
      const coordinatorFrame = await connection.response({ flexibleHeader: true });
      scan(coordinatorFrame.frame);
      for (const coordinator of parseFindCoordinatorResponse(coordinatorFrame.body)) {
        if (coordinator.errorCode === 0) assert.equal(`${coordinator.host}:${coordinator.port}`, `${sniHost(coordinator.nodeId)}:${sniPort}`);
      }
    } finally {
      connection.close();
    }
  }
  const expected = brokers.map((b) => ({ nodeId: b.nodeId, host: sniHost(b.nodeId), port: sniPort }));
  for (const listed of answers) assert.deepEqual(listed.sort((a, b) => a.nodeId - b.nodeId), expected);
  const summary = scanner.summary();
  assert.equal(summary.streams, brokers.length + 1);
  assert.ok(summary.bytesScanned > 0);
  assert.deepEqual(scanner.hits, [], `real broker addresses reached a client: ${JSON.stringify(scanner.hits.slice(0, 5))}`);
});

test("refused: a client without a certificate, a plaintext client, and an unknown server name; none traps the filter", async () => {
  const listenerStats = async () => {
    const counters = await listenerTlsCounters(envoy.admin, "listener.127.0.0.1_");
    return { noCert: counters.noCertRefused, noChain: counters.noFilterChain };
  };
  const before = await listenerStats();
  const noCert = await kcat(["-b", bootstrap(), ...tlsArgs(null), "-L", "-m", "5"]);
  assert.notEqual(noCert.code, 0, `kcat without a certificate must fail: ${noCert.stdout}`);
  assert.doesNotMatch(noCert.stdout, /3 brokers/);
  await waitFor("Envoy to count the refused handshake", async () => (await listenerStats()).noCert > before.noCert, { timeoutMs: 10000 });

  const answer = await plaintextKafkaUntilClosed(`127.0.0.1:${sniPort}`);
  assert.equal(answer.length, 0, `no bytes came back to a plaintext client: ${answer.toString("hex")}`);
  // Plaintext has no server name: no filter chain matches, so the filter never sees the bytes.
  await waitFor("Envoy to count the unmatched plaintext connection", async () => (await listenerStats()).noChain > before.noChain, { timeoutMs: 10000 });

  const unknownName = await tlsConnection(`broker-99.${DOMAIN}`).then((c) => { c.close(); return "connected"; }, (error) => error.code ?? error.message);
  assert.notEqual(unknownName, "connected", "a server name no broker has matches no filter chain");
  await waitFor("Envoy to count the unknown server name", async () => (await listenerStats()).noChain >= before.noChain + 2, { timeoutMs: 10000 });

  // The filter is alive on every chain and nothing trapped.
  const metadata = await kcat(["-b", bootstrap(), ...tlsArgs("alice"), "-L", "-t", TOPIC]);
  assert.equal(metadata.code, 0, metadata.stderr);
  assert.match(metadata.stdout, /3 brokers/);
  await assertFilterAlive(envoy.admin, envoy.logFile);
});

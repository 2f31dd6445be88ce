// TLS on both sides of Envoy, port-per-broker topology: a KRaft broker whose client
// listener is SSL (certificate with an IP SAN for its advertised address, made for this
// run with the openssl CLI), fronted by the configuration scripts/cluster-config.mjs
// generates with --tls-cert/--tls-key (Envoy terminates client TLS, without client
// certificates) and --upstream-tls --upstream-ca (Envoy originates TLS to the broker,
// discovering it over TLS too). The filter in between sees plaintext Kafka: its per-API
// counters count the clients' requests. Clients are kcat and Kafka's Java clients.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import path from "node:path";
import { javaClient, javaClientClasspath, kcat, requireKcat } from "./support/clients.mjs";
import { LeakScanner } from "./support/cluster.mjs";
import {
  createCertificateAuthority, issueCertificate, pkcs12KeyStore, pkcs12TrustStore, requireCertificateTools,
} from "./support/certs.mjs";
import { filterWasm, newRunDir } from "./support/stack.mjs";
import { readStats, startEnvoy } from "../../scripts/lib/envoy.mjs";
import { discoverBrokers, generateClusterConfig } from "../../scripts/lib/cluster-config.mjs";
import { startKafkaCluster } from "../../scripts/lib/kafka.mjs";
import { freePort } from "../../scripts/lib/processes.mjs";
import fs from "node:fs";

const BROKER_HOST = "127.0.0.2";
const TOPIC = "tls.upstream";

let runDir;
let cluster;
let envoy;
let ca;
let brokers;
let generated;
let trustStore;

before(async () => {
  requireKcat();
  requireCertificateTools();
  javaClientClasspath();
  runDir = newRunDir("tls-upstream");
  filterWasm();
  ca = createCertificateAuthority(path.join(runDir, "certs"));
  const brokerCert = issueCertificate(ca, "broker", { subject: "CN=broker-1,O=Example", sans: [`IP:${BROKER_HOST}`], usage: "server" });
  const brokerStore = pkcs12KeyStore(ca, brokerCert);
  const envoyCert = issueCertificate(ca, "envoy", { subject: "CN=localhost,O=Example", sans: ["DNS:localhost", "IP:127.0.0.1"], usage: "server" });
  trustStore = pkcs12TrustStore(ca);

  cluster = await startKafkaCluster({
    runDir, nodes: 1, hosts: [BROKER_HOST],
    extraProperties: {
      "listener.security.protocol.map": "CLIENT:SSL,REPLICATION:PLAINTEXT,CONTROLLER:PLAINTEXT",
      "listener.name.client.ssl.keystore.location": brokerStore.path,
      "listener.name.client.ssl.keystore.type": "PKCS12",
      "listener.name.client.ssl.keystore.password": brokerStore.password,
      "listener.name.client.ssl.key.password": brokerStore.password,
    },
  });
  ({ brokers } = await discoverBrokers(cluster.bootstrap, { ssl: { ca: [fs.readFileSync(ca.cert, "utf8")] } }));
  generated = generateClusterConfig({
    brokers, firstPort: await freePort(), adminPort: await freePort(), listenAddress: "127.0.0.1", wasmFile: filterWasm(),
    pluginConfig: { stat_prefix: "broker" },
    downstreamTls: { certFile: envoyCert.cert, keyFile: envoyCert.key },
    upstreamTls: { caFile: ca.cert },
    validateFile: path.join(runDir, "envoy-tls-upstream.yaml"),
  });
  envoy = await startEnvoy({ runDir, config: generated.config, name: "envoy-tls-upstream" });
}, { timeout: 420000 });

after(async () => {
  await envoy?.stop().catch(() => {});
  await cluster?.stop();
});

const tlsArgs = () => ["-X", "security.protocol=ssl", "-X", `ssl.ca.location=${ca.cert}`];
const bootstrap = () => generated.listeners[0].advertised;

async function requests(api) {
  let total = 0;
  for (const [name, value] of await readStats(envoy.admin, "wasmcustom.kafka.broker1.api.")) {
    if (new RegExp(`\\.api\\.${api}\\.v\\d+\\.requests$`).test(name)) total += value;
  }
  return total;
}

test("the broker's client listener speaks only TLS (a plaintext Kafka request is not answered)", async () => {
  const answer = await new Promise((resolve) => {
    const socket = net.connect(cluster.nodes[0].clientPort, BROKER_HOST);
    const received = [];
    const timer = setTimeout(() => { socket.destroy(); resolve(Buffer.concat(received)); }, 3000);
    socket.on("data", (d) => received.push(d));
    socket.on("error", () => {});
    socket.on("close", () => { clearTimeout(timer); resolve(Buffer.concat(received)); });
    socket.on("connect", () => socket.write(Buffer.from("0000000a0012000000000007ffff", "hex")));
  });
  // A Kafka answer would start with a size field and correlation id 7; TLS answers a stray record with an alert or nothing.
  assert.ok(answer.length < 8 || answer.readInt32BE(4) !== 7, `the broker answered plaintext Kafka: ${answer.toString("hex")}`);
  const cluster0 = generated.config.static_resources.clusters[0];
  assert.equal(cluster0.transport_socket.typed_config["@type"], "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext");
  assert.deepEqual(cluster0.transport_socket.typed_config.common_tls_context.validation_context.match_typed_subject_alt_names,
    [{ san_type: "IP_ADDRESS", matcher: { exact: BROKER_HOST } }]);
});

test("kcat and Java clients: TLS to Envoy, TLS to the broker; the filter counts the plaintext in between; no real address reaches the client", async () => {
  const metadata = await kcat(["-b", bootstrap(), ...tlsArgs(), "-L"]);
  assert.equal(metadata.code, 0, metadata.stderr);
  assert.match(metadata.stdout, new RegExp(`broker 1 at ${bootstrap().replaceAll(".", "\\.")}`));
  const scanner = new LeakScanner(brokers);
  scanner.stream("kcat -L")(Buffer.from(metadata.stdout));
  assert.deepEqual(scanner.hits, []);

  const produceBefore = await requests("Produce");
  const produced = await kcat(["-b", bootstrap(), ...tlsArgs(), "-t", TOPIC, "-P", "-X", "acks=all"], { input: "a\nb\nc\n" });
  assert.equal(produced.code, 0, produced.stderr);
  const consumed = await kcat(["-b", bootstrap(), ...tlsArgs(), "-C", "-t", TOPIC, "-o", "beginning", "-e", "-q", "-f", "%s\n"]);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.deepEqual(consumed.stdout.split("\n").filter(Boolean), ["a", "b", "c"]);

  const java = { bootstrap: bootstrap(), sslTruststore: trustStore.path, sslStorePassword: trustStore.password };
  const javaProduced = await javaClient("produce", { ...java, topic: TOPIC, count: 4, valuePrefix: "java" });
  assert.equal(javaProduced.ok, 4, JSON.stringify(javaProduced));
  const javaConsumed = await javaClient("consume", { ...java, topic: TOPIC, count: 7, group: "tls.group" });
  assert.equal(javaConsumed.ok, true, JSON.stringify(javaConsumed));
  assert.deepEqual(javaConsumed.records.map((r) => r.value), ["a", "b", "c", "java-0", "java-1", "java-2", "java-3"]);

  assert.ok(await requests("Produce") > produceBefore, "the filter counted Produce");
  assert.ok(await requests("Fetch") > 0, "the filter counted Fetch");
  const upstream = await readStats(envoy.admin, "cluster.kafka_broker_1.ssl.");
  assert.ok(upstream.get("cluster.kafka_broker_1.ssl.handshake") > 0, `Envoy's upstream TLS handshakes: ${JSON.stringify([...upstream])}`);
  const framing = [...await readStats(envoy.admin, "wasmcustom.kafka.")].filter(([name, value]) => name.endsWith(".filter.framing_errors") && value > 0);
  assert.deepEqual(framing, [], "the filter never saw TLS bytes");
});

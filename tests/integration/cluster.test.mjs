// Cluster mode end to end: a 3-node KRaft cluster (replication factor 3,
// min.insync.replicas 2) whose brokers advertise their own addresses, fronted by the
// real Envoy with the configuration scripts/cluster-config.mjs generates (one filter
// listener per broker), and real clients: Kafka's VerifiableProducer/VerifiableConsumer
// (KIP-848 group protocol) through a broker killed mid-run, kcat, kafkajs and the Java
// clients reaching group and transaction coordinators on other brokers. A frame tap in
// front of every listener sees every byte Envoy sends to clients (the leak scan and an
// independent request count), and `ss` watches every socket to the brokers' client
// ports (no client may reach a broker except through Envoy).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import YAML from "yaml";
import kafkajs from "kafkajs";
import { javaClient, javaClientClasspath, kcat, requireJava, requireKcat } from "./support/clients.mjs";
import {
  LeakScanner, SocketWatch, findCoordinatorRequest, findCoordinatorRequestV3, flexibleBody, frontCluster, nodeEndpointsOf,
  parseFindCoordinatorResponse, parseFindCoordinatorResponseV3, produceRequestV12, requestsPerNode, startTestCluster,
} from "./support/cluster.mjs";
import {
  RawConnection, fetchRequestByTopicId, metadataRequest, parseFetchResponse, parseMetadataResponse, parseProduceResponse,
  recordBatch, uuidBytes,
} from "./support/kafka-wire.mjs";
import { filterWasm, newRunDir } from "./support/stack.mjs";
import { root } from "../../scripts/lib/envoy.mjs";
import { waitFor } from "../../scripts/lib/processes.mjs";

const { Kafka, logLevel } = kafkajs;

const FAILOVER_TOPIC = "cluster.failover";
const COORD_TOPIC = "cluster.coordinators";
const TXN_TOPIC = "cluster.transactions";
const WIRE_TOPIC = "cluster.wire";
const ACL_TOPIC = "cluster.acl";
const FAILOVER_RECORDS = 30000;
const COORD_RECORDS = 300;
const KILLED_NODE = 2;
const NOT_LEADER_OR_FOLLOWER = 6;
const UNKNOWN_TOPIC_ID = 100;

let runDir;
let cluster;
let front;
let aclFront;
let scanner;
let watch;
let aclTopic;
const endpointResponses = { produce: 0, fetch: 0, addresses: new Set(), unreadable: [] };
const coordinators = {};
const figures = {};

/** The tap address clients must be sent to for `nodeId`. */
const listenerOf = (nodeId) => front.listeners.find((l) => l.nodeId === nodeId);

function kafkaToolsClasspath() {
  const lib = requireJava();
  if (!fs.readdirSync(lib).some((f) => /^kafka-tools-.*\.jar$/.test(f))) {
    throw new Error(`Kafka's tools jar (VerifiableProducer, VerifiableConsumer) is missing from ${lib} (scripts/install-kafka.sh installs it)`);
  }
  return `${lib}/*`;
}

/** One request on a fresh raw connection; the response body after a v1 (flexible) header. */
async function roundTrip(address, frame, { onFrame } = {}) {
  const connection = await RawConnection.open(address);
  try {
    await connection.write(frame);
    const response = await connection.response({ flexibleHeader: true });
    onFrame?.(response.frame);
    return response.body;
  } finally {
    connection.close();
  }
}

/** The coordinator node of each key, asked of a broker directly (ground truth, before the runs). */
async function coordinatorsFromBroker(address, keys, keyType) {
  return waitFor(`coordinators of ${keys.join(",")}`, async () => {
    const answers = parseFindCoordinatorResponse(await roundTrip(address, findCoordinatorRequest({ correlationId: 1, keys, keyType })));
    return answers.every((a) => a.errorCode === 0) ? Object.fromEntries(answers.map((a) => [a.key, a.nodeId])) : null;
  }, { timeoutMs: 60000, intervalMs: 500 });
}

/** The first of `candidates` whose coordinator is none of `avoid`. */
function pick(candidates, truth, avoid) {
  const key = candidates.find((c) => !avoid.includes(truth[c]));
  assert.ok(key, `every candidate id is coordinated by node ${avoid.join("/")}: ${JSON.stringify(truth)}`);
  return key;
}

/** Sum of the filter's `requests` counters per listener for `api` (all versions): { nodeId: n }. */
const requestsPerListener = (api) => requestsPerNode(front.admin, api, front.listeners.map((l) => l.nodeId));

const delta = (before, after) => Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]));

/** Asserts that `api` requests (counted by each listener's filter) went to `nodeId`'s listener and no other. */
function assertOnlyOn(counts, nodeId, what) {
  assert.ok(counts[nodeId] > 0, `${what}: the coordinator's listener (node ${nodeId}) counted none: ${JSON.stringify(counts)}`);
  for (const [id, n] of Object.entries(counts)) {
    if (Number(id) !== nodeId) assert.equal(n, 0, `${what}: node ${id}'s listener counted ${n}, the coordinator is node ${nodeId}`);
  }
}

function kafkajsClient(clientId) {
  return new Kafka({ clientId, brokers: [front.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200 } });
}

before(async () => {
  requireKcat();
  javaClientClasspath();
  kafkaToolsClasspath();
  runDir = newRunDir("cluster");
  filterWasm();
  // After the killed broker returns, the controller moves leadership back to it within
  // seconds (preferred replica election): clients then meet node_endpoints.
  cluster = await startTestCluster({ runDir, extraProperties: { "leader.imbalance.check.interval.seconds": "5" } });

  // Set-up straight on the brokers, before any socket is watched.
  const admin = new Kafka({ clientId: "cluster-setup", brokers: cluster.bootstrap.split(","), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: false,
      topics: [
        { topic: FAILOVER_TOPIC, numPartitions: 3, replicationFactor: 3 },
        { topic: COORD_TOPIC, numPartitions: 3, replicationFactor: 3 },
        { topic: TXN_TOPIC, numPartitions: 1, replicationFactor: 3 },
        { topic: WIRE_TOPIC, numPartitions: 1, replicationFactor: 3 },
        { topic: ACL_TOPIC, numPartitions: 1, replicationFactor: 3 },
      ],
    });
  } finally {
    await admin.disconnect();
  }
  // Every broker's metadata must know every topic and its leader: clients ask them all.
  const topics = [FAILOVER_TOPIC, COORD_TOPIC, TXN_TOPIC, WIRE_TOPIC, ACL_TOPIC];
  for (const node of cluster.nodes) {
    await waitFor(`node ${node.nodeId} naming the leaders of ${topics.join(", ")}`, async () => {
      const { topics: known } = parseMetadataResponse(await roundTrip(node.address, metadataRequest({ correlationId: 1, version: 12, topics })), 12);
      return known.length === topics.length && known.every((t) => t.errorCode === 0 && t.partitions.every((p) => p.leaderId >= 0));
    }, { timeoutMs: 60000, intervalMs: 300 });
  }
  const node1 = cluster.node(1).address;
  const aclMetadata = parseMetadataResponse(await roundTrip(node1, metadataRequest({ correlationId: 1, version: 12, topics: [ACL_TOPIC] })), 12);
  aclTopic = { topicId: aclMetadata.topics[0].topicId, leader: aclMetadata.topics[0].partitions[0].leaderId };
  const groups = Array.from({ length: 12 }, (_, i) => `cluster.group-${i}`);
  const transactions = Array.from({ length: 12 }, (_, i) => `cluster.txn-${i}`);
  coordinators.groups = await coordinatorsFromBroker(node1, groups, 0);
  coordinators.transactions = await coordinatorsFromBroker(node1, transactions, 1);
  // Clients bootstrap through node 1's listener: their coordinators are elsewhere.
  const used = [];
  const choose = (label, truth, candidates, avoid) => {
    const key = pick(candidates.filter((c) => !used.includes(c)), truth, avoid);
    used.push(key);
    coordinators[label] = { id: key, nodeId: truth[key] };
  };
  choose("kcat", coordinators.groups, groups, [1]);
  choose("kafkajs", coordinators.groups, groups, [1]);
  choose("java", coordinators.groups, groups, [1]);
  choose("verifiable", coordinators.groups, groups, [1, KILLED_NODE]);
  choose("txn", coordinators.transactions, transactions, [1]);

  scanner = new LeakScanner(cluster.nodes.map((n) => ({ nodeId: n.nodeId, host: n.host, port: n.clientPort })));
  let connectionCount = 0;
  let tapBytesScanned = 0;
  figures.tapBytesScanned = () => tapBytesScanned;
  front = await frontCluster({
    runDir, cluster, taps: true,
    observe: () => ({
      responseBytes: ((scan) => (chunk) => { tapBytesScanned += chunk.length; scan(chunk); })(scanner.stream(`tap connection ${++connectionCount}`)),
      responseFrame: ({ apiKey, apiVersion, frame }) => {
        if (apiKey !== 0 && apiKey !== 1) return;
        let endpoints;
        try {
          endpoints = nodeEndpointsOf(apiKey, apiVersion, flexibleBody(frame));
        } catch (error) {
          endpointResponses.unreadable.push(`api ${apiKey} v${apiVersion} (${frame.length} bytes): ${error.message}`);
          return;
        }
        if (!endpoints || endpoints.length === 0) return;
        endpointResponses[apiKey === 0 ? "produce" : "fetch"] += 1;
        for (const e of endpoints) endpointResponses.addresses.add(`${e.nodeId}=${e.host}:${e.port}`);
      },
    }),
  });
  aclFront = await frontCluster({ runDir, cluster, name: "envoy-acl", pluginConfig: aclPolicy() });

  // The command-line generator, on the same cluster (it too connects to the brokers directly).
  const cliOut = path.join(runDir, "cli-envoy-cluster.yaml");
  const cli = spawnSync("node", [path.join(root, "scripts/cluster-config.mjs"), "--bootstrap", cluster.bootstrap,
    "--port", "19092", "--admin-port", "9901", "--listen-address", "127.0.0.1", "--out", cliOut], { encoding: "utf8", cwd: root, timeout: 120000 });
  figures.cli = { status: cli.status, stderr: cli.stderr, yaml: cli.status === 0 ? fs.readFileSync(cliOut, "utf8") : null };

  watch = new SocketWatch({
    brokerAddresses: cluster.nodes.map((n) => n.address),
    envoyAddresses: front.listeners.map((l) => `127.0.0.1:${l.port}`),
    allowedBrokerClients: () => [front.envoy.child.pid, aclFront.envoy.child.pid],
    allowedEnvoyClientPorts: () => new Set(front.listeners.flatMap((l) => [...l.tap.upstreamLocalPorts])),
  });
  await watch.start();
  figures.startedAt = Date.now();
}, { timeout: 600000 });

after(async () => {
  await watch?.stop().catch(() => {});
  await aclFront?.stop();
  await front?.stop();
  await cluster?.stop();
  if (Object.keys(figures).length) console.log(`cluster suite figures: ${JSON.stringify({ ...figures, cli: undefined, tapBytesScanned: undefined })}`);
});

/** ACLs in cluster mode: loopback clients are User:app, who may use topics prefixed "cluster.". */
function aclPolicy() {
  return {
    stat_prefix: "acl",
    acl: {
      mode: "enforce",
      default: "deny",
      principal_sources: ["source_address"],
      source_address_principals: [{ cidr: "127.0.0.0/8", principal: "User:app" }],
      rules: [
        { name: "cluster-topics", effect: "allow", principal: "User:app", resource_type: "topic", pattern_type: "prefixed", resource_name: "cluster.", operations: ["all"] },
        { name: "cluster", effect: "allow", principal: "User:app", resource_type: "cluster", pattern_type: "literal", resource_name: "kafka-cluster", operations: ["describe"] },
      ],
    },
  };
}

test("the generated configuration: one filter listener per broker in node-id order, every node mapped, validated by Envoy", () => {
  const nodeIds = cluster.nodes.map((n) => n.nodeId);
  assert.deepEqual(front.listeners.map((l) => l.nodeId), nodeIds);
  const first = front.listeners[0].port;
  front.listeners.forEach((l, i) => {
    assert.equal(l.port, first + i, "listener ports run upward from --port in node-id order");
    assert.equal(l.statPrefix, `broker${l.nodeId}`);
    assert.equal(l.upstream, cluster.node(l.nodeId).address, `node ${l.nodeId}'s listener forwards to that broker`);
    assert.equal(l.advertised, `127.0.0.1:${l.tap.port}`);
  });
  for (const listener of front.config.static_resources.listeners) {
    const names = listener.filter_chains[0].filters.map((f) => f.name);
    assert.deepEqual(names, ["envoy.filters.network.wasm", "envoy.filters.network.tcp_proxy"]);
    const plugin = JSON.parse(listener.filter_chains[0].filters[0].typed_config.config.configuration.value);
    assert.deepEqual(Object.keys(plugin.broker_addresses?.nodes ?? {}).map(Number).sort(), nodeIds,
      `${listener.name}: broker_addresses.nodes must map every node id`);
  }
  // The command (what users run) agrees with the library the tests and `npm start` use.
  assert.equal(figures.cli.status, 0, `scripts/cluster-config.mjs failed:\n${figures.cli.stderr}`);
  const cli = YAML.parse(figures.cli.yaml);
  const cliListeners = cli.static_resources.listeners;
  assert.deepEqual(cliListeners.map((l) => l.address.socket_address.port_value), [19092, 19093, 19094]);
  assert.deepEqual(cli.static_resources.clusters.map((c) => {
    const a = c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
    return `${a.address}:${a.port_value}`;
  }), cluster.nodes.map((n) => n.address));
  const cliNodes = JSON.parse(cliListeners[0].filter_chains[0].filters[0].typed_config.config.configuration.value).broker_addresses?.nodes;
  assert.deepEqual(cliNodes, { 1: "127.0.0.1:19092", 2: "127.0.0.1:19093", 3: "127.0.0.1:19094" });
});

test("Metadata through every listener and FindCoordinator (v3 and v4) through Envoy name only Envoy listeners, each for the right broker", async () => {
  watch.phase = "wire: Metadata, FindCoordinator";
  const record = scanner.stream("wire checks");
  // Through every listener: each filter must rewrite what its own broker answers.
  for (const listener of front.listeners) {
    const metadata = parseMetadataResponse(await roundTrip(listener.advertised, metadataRequest({ correlationId: 7, version: 12, topics: [WIRE_TOPIC] }), { onFrame: record }), 12);
    assert.deepEqual(
      metadata.brokers.map((b) => `${b.nodeId}=${b.host}:${b.port}`).sort(),
      front.listeners.map((l) => `${l.nodeId}=${l.advertised}`).sort(),
      `Metadata through node ${listener.nodeId}'s listener: its brokers must be the Envoy listeners (taps) fronting them, by node id`,
    );
  }
  for (const [keyType, truth] of [[0, coordinators.groups], [1, coordinators.transactions]]) {
    const keys = Object.keys(truth);
    const answers = parseFindCoordinatorResponse(await roundTrip(front.bootstrap, findCoordinatorRequest({ correlationId: 8, keys, keyType, version: 6 }), { onFrame: record }));
    for (const answer of answers) {
      assert.equal(answer.errorCode, 0, JSON.stringify(answer));
      assert.equal(answer.nodeId, truth[answer.key]);
      assert.equal(`${answer.host}:${answer.port}`, listenerOf(answer.nodeId).advertised, `FindCoordinator v6 for ${answer.key}`);
    }
  }
  const v3 = parseFindCoordinatorResponseV3(await roundTrip(front.bootstrap, findCoordinatorRequestV3({ correlationId: 9, key: coordinators.kcat.id }), { onFrame: record }));
  assert.equal(v3.errorCode, 0);
  assert.equal(v3.nodeId, coordinators.kcat.nodeId);
  assert.equal(`${v3.host}:${v3.port}`, listenerOf(v3.nodeId).advertised, "FindCoordinator v3's top-level host and port");
});

test("a Produce v12 sent to a follower's listener comes back NOT_LEADER_OR_FOLLOWER with node_endpoints naming the leader's listener", async () => {
  watch.phase = "wire: Produce to a follower";
  const record = scanner.stream("produce to follower");
  const metadata = parseMetadataResponse(await roundTrip(front.bootstrap, metadataRequest({ correlationId: 1, version: 12, topics: [WIRE_TOPIC] }), { onFrame: record }), 12);
  const leader = metadata.topics[0].partitions[0].leaderId;
  const follower = front.listeners.find((l) => l.nodeId !== leader);
  const before = endpointResponses.produce;
  const frame = await new Promise((resolve, reject) => {
    RawConnection.open(follower.advertised).then(async (connection) => {
      try {
        await connection.write(produceRequestV12({ correlationId: 2, topic: WIRE_TOPIC, partition: 0, batch: recordBatch(["to-a-follower"]) }));
        resolve((await connection.response({ flexibleHeader: true })).frame);
      } catch (error) { reject(error); } finally { connection.close(); }
    }, reject);
  });
  const body = flexibleBody(frame);
  assert.equal(parseProduceResponse(body)[0].partitions[0].errorCode, NOT_LEADER_OR_FOLLOWER);
  const endpoints = nodeEndpointsOf(0, 12, body);
  assert.deepEqual(endpoints?.map((e) => `${e.nodeId}=${e.host}:${e.port}`), [`${leader}=${listenerOf(leader).advertised}`],
    "node_endpoints must name the leader's Envoy listener");
  assert.equal(endpointResponses.produce, before + 1, "the tap saw the same node_endpoints");
});

test("kcat, kafkajs and the Java clients reach group and transaction coordinators on other brokers, through Envoy", async () => {
  figures.coordinators = Object.fromEntries(["kcat", "kafkajs", "java", "verifiable", "txn"].map((k) => [k, coordinators[k]]));
  const values = Array.from({ length: COORD_RECORDS }, (_, i) => `coordinated-${i}`);
  watch.phase = "kcat";
  const produced = await kcat(["-b", front.bootstrap, "-P", "-t", COORD_TOPIC, "-X", "acks=all"], { input: values.join("\n") + "\n" });
  assert.equal(produced.code, 0, produced.stderr);

  // kcat: a classic consumer group (JoinGroup, SyncGroup, OffsetCommit go to the coordinator).
  let before = await requestsPerListener("JoinGroup");
  const consumed = await kcat(["-b", front.bootstrap, "-G", coordinators.kcat.id, "-X", "auto.offset.reset=earliest", "-e", "-q", "-f", "%s\n", COORD_TOPIC], { timeoutMs: 120000 });
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.deepEqual(consumed.stdout.split("\n").filter(Boolean).sort(), [...values].sort(), "kcat -G read every record");
  assertOnlyOn(delta(before, await requestsPerListener("JoinGroup")), coordinators.kcat.nodeId, "kcat JoinGroup");

  // kafkajs: its consumer group.
  watch.phase = "kafkajs consumer";
  before = await requestsPerListener("JoinGroup");
  const consumer = kafkajsClient("cluster-kafkajs").consumer({ groupId: coordinators.kafkajs.id });
  const seen = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: COORD_TOPIC, fromBeginning: true });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs read ${seen.length} of ${COORD_RECORDS}`)), 90000);
      consumer.run({ eachMessage: async ({ message }) => {
        seen.push(message.value.toString());
        if (seen.length >= COORD_RECORDS) { clearTimeout(timer); resolve(); }
      } }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  assert.deepEqual([...seen].sort(), [...values].sort(), "kafkajs read every record");
  assertOnlyOn(delta(before, await requestsPerListener("JoinGroup")), coordinators.kafkajs.nodeId, "kafkajs JoinGroup");

  // Java: a KIP-848 consumer group (ConsumerGroupHeartbeat goes to the coordinator).
  watch.phase = "java";
  before = await requestsPerListener("ConsumerGroupHeartbeat");
  const java = await javaClient("consume", { bootstrap: front.bootstrap, topic: COORD_TOPIC, count: COORD_RECORDS, group: coordinators.java.id, groupProtocol: "consumer", timeoutMs: 60000 }, { timeoutMs: 120000 });
  assert.equal(java.ok, true, JSON.stringify({ ...java, records: java.records?.length }));
  assert.deepEqual(java.records.map((r) => r.value).sort(), [...values].sort(), "the Java consumer read every record");
  assertOnlyOn(delta(before, await requestsPerListener("ConsumerGroupHeartbeat")), coordinators.java.nodeId, "Java ConsumerGroupHeartbeat");

  // Java: a transactional producer (InitProducerId and EndTxn go to the transaction coordinator).
  before = await requestsPerListener("EndTxn");
  const txn = await javaClient("transactional-produce", { bootstrap: front.bootstrap, topic: TXN_TOPIC, count: 20, transactionalId: coordinators.txn.id, timeoutMs: 60000 }, { timeoutMs: 120000 });
  assert.equal(txn.ok, true, JSON.stringify(txn));
  assertOnlyOn(delta(before, await requestsPerListener("EndTxn")), coordinators.txn.nodeId, "Java EndTxn");
});

test("ACLs in cluster mode: a topic id learned through one broker's listener resolves on the others", async () => {
  const record = scanner.stream("acl envoy");
  watch.phase = "acl";
  const listeners = aclFront.listeners;
  // Who leads the topic's only partition, and its id: asked through node 1's listener.
  const learnedOn = listeners[0];
  const fetchError = async (listener) => {
    const body = await roundTrip(listener.advertised, fetchRequestByTopicId({ correlationId: 3, topicIds: [uuidBytes(topicId)] }), { onFrame: record });
    return parseFetchResponse(body).topics[0].partitions[0].errorCode;
  };
  // Before any Metadata response through this Envoy named it, the id is unknown everywhere.
  const { topicId, leader } = aclTopic;
  const leaderListener = listeners.find((l) => l.nodeId === leader);
  assert.equal(await fetchError(leaderListener), UNKNOWN_TOPIC_ID, "an id no response through this Envoy has shown yet");

  const metadata = parseMetadataResponse(await roundTrip(learnedOn.advertised, metadataRequest({ correlationId: 2, version: 12, topics: [ACL_TOPIC] }), { onFrame: record }), 12);
  assert.equal(metadata.topics[0].errorCode, 0);
  assert.equal(metadata.topics[0].topicId, topicId);
  assert.deepEqual(metadata.brokers.map((b) => `${b.nodeId}=${b.host}:${b.port}`).sort(), listeners.map((l) => `${l.nodeId}=${l.advertised}`).sort(),
    "with ACLs, Metadata's brokers are rewritten to this Envoy's listeners too");
  for (const listener of listeners) {
    const error = await fetchError(listener);
    assert.notEqual(error, UNKNOWN_TOPIC_ID, `node ${listener.nodeId}'s listener must resolve the id learned through node ${learnedOn.nodeId}'s`);
    if (listener.nodeId === leader) assert.equal(error, 0, "the leader serves the Fetch by topic id");
  }
});

test(`failover: VerifiableProducer (acks=all, idempotent) sends ${FAILOVER_RECORDS} records while broker ${KILLED_NODE} is killed; VerifiableConsumer (KIP-848) reads back every acknowledged one through Envoy`, { timeout: 300000 }, async () => {
  const classpath = kafkaToolsClasspath();
  watch.phase = "failover";
  const configFile = path.join(runDir, "verifiable-producer.properties");
  fs.writeFileSync(configFile, "enable.idempotence=true\nacks=all\nretries=2147483647\nmax.in.flight.requests.per.connection=5\nreconnect.backoff.ms=100\nretry.backoff.ms=100\nretry.backoff.max.ms=500\nlinger.ms=5\n");
  const consumerConfig = path.join(runDir, "verifiable-consumer.properties");
  fs.writeFileSync(consumerConfig, "reconnect.backoff.ms=100\nretry.backoff.ms=100\nretry.backoff.max.ms=500\n");
  const jvm = ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classpath];
  const logs = { producer: fs.createWriteStream(path.join(runDir, "verifiable-producer.log")), consumer: fs.createWriteStream(path.join(runDir, "verifiable-consumer.log")) };

  const acked = new Set();
  const read = new Set();
  let sendErrors = 0;
  let toolData = null;
  const consumer = spawn("java", [...jvm, "org.apache.kafka.tools.VerifiableConsumer", "--bootstrap-server", front.bootstrap,
    "--topic", FAILOVER_TOPIC, "--group-id", coordinators.verifiable.id, "--group-protocol", "consumer", "--verbose",
    "--reset-policy", "earliest", "--command-config", consumerConfig], { stdio: ["ignore", "pipe", "pipe"] });
  consumer.stderr.pipe(logs.consumer);
  readline.createInterface({ input: consumer.stdout }).on("line", (line) => {
    if (line.includes('"record_data"')) read.add(JSON.parse(line).value);
  });
  const consumerExit = new Promise((resolve) => consumer.once("close", resolve));

  let killedAtAck = null;
  let restartAtAck = null;
  let restarted = null;
  const producer = spawn("java", [...jvm, "org.apache.kafka.tools.VerifiableProducer", "--bootstrap-server", front.bootstrap,
    "--topic", FAILOVER_TOPIC, "--max-messages", String(FAILOVER_RECORDS), "--throughput", "1000", "--acks", "-1",
    "--command-config", configFile], { stdio: ["ignore", "pipe", "pipe"] });
  producer.stderr.pipe(logs.producer);
  readline.createInterface({ input: producer.stdout }).on("line", (line) => {
    let event;
    try { event = JSON.parse(line); } catch { return; }
    if (event.name === "producer_send_success") acked.add(event.value);
    else if (event.name === "producer_send_error") sendErrors += 1;
    else if (event.name === "tool_data") toolData = event;
    if (killedAtAck === null && acked.size >= FAILOVER_RECORDS / 4) {
      killedAtAck = acked.size;
      cluster.node(KILLED_NODE).kill();
    } else if (killedAtAck !== null && restartAtAck === null && acked.size >= FAILOVER_RECORDS / 2) {
      restartAtAck = acked.size;
      restarted = cluster.node(KILLED_NODE).start();
      restarted.catch(() => {}); // awaited (and reported) once the producer is done
    }
  });
  const producerExit = await new Promise((resolve) => producer.once("close", resolve));
  try {
    assert.equal(producerExit, 0, `VerifiableProducer exited ${producerExit}; see ${runDir}/verifiable-producer.log`);
    assert.ok(killedAtAck !== null, "the broker was killed mid-run");
    if (restarted === null) restarted = cluster.node(KILLED_NODE).start();
    await restarted;

    // Move leadership back to the restarted broker while the consumer still fetches:
    // Fetch (and Produce) responses then carry node_endpoints for the new leaders.
    watch.phase = "failover: ISR wait (kafkajs admin)";
    const admin = kafkajsClient("cluster-failover-admin").admin();
    await admin.connect();
    try {
      await waitFor(`node ${KILLED_NODE} back in every ISR of ${FAILOVER_TOPIC}`, async () => {
        const { topics } = await admin.fetchTopicMetadata({ topics: [FAILOVER_TOPIC] });
        return topics[0].partitions.every((p) => p.isr.includes(KILLED_NODE));
      }, { timeoutMs: 90000, intervalMs: 1000 });
    } finally {
      await admin.disconnect();
    }
    await waitFor(`VerifiableConsumer reading all ${acked.size} acknowledged records`, () => [...acked].every((v) => read.has(v)),
      { timeoutMs: 120000, intervalMs: 500, hint: () => ` (read ${read.size})` });
    // Keep fetching until the controller has moved leadership back (auto preferred-leader
    // election every 5 s) and the consumer was told so with node_endpoints, or 30 s passed.
    watch.phase = "failover: leadership moves back";
    const fetchEndpointsBefore = endpointResponses.fetch;
    await waitFor("a Fetch response with node_endpoints", () => endpointResponses.fetch > fetchEndpointsBefore, { timeoutMs: 30000, intervalMs: 500 }).catch(() => {});
    figures.failoverFetchNodeEndpoints = endpointResponses.fetch - fetchEndpointsBefore;
  } finally {
    consumer.kill("SIGTERM");
    const timer = setTimeout(() => consumer.kill("SIGKILL"), 15000);
    await consumerExit;
    clearTimeout(timer);
  }
  const missing = [...acked].filter((v) => !read.has(v));
  figures.failover = {
    sent: toolData?.sent ?? null, acked: acked.size, toolAcked: toolData?.acked ?? null, sendErrors, read: read.size,
    ackedNotRead: missing.length, killedNode: KILLED_NODE, killedAtAck, restartAtAck,
  };
  assert.ok(acked.size >= FAILOVER_RECORDS * 0.99, `only ${acked.size} of ${FAILOVER_RECORDS} records were acknowledged (${sendErrors} send errors)`);
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} acknowledged records were not read back`);
});

test("no client reached a broker except through Envoy, and no client reached Envoy except through the taps", async () => {
  await watch.stop();
  const report = watch.report();
  figures.sockets = {
    polls: report.polls, brokerSockets: report.brokerSockets, envoyUpstreamSockets: report.envoyUpstreamSockets,
    envoySockets: report.envoySockets, bypass: report.bypass.length, unscanned: report.unscanned.length, unattributed: report.unattributed.length,
  };
  assert.ok(report.polls > 20, "the socket watch ran throughout");
  assert.ok(report.envoyUpstreamSockets >= cluster.nodes.length, "the watch saw Envoy's own connections to the brokers");
  assert.deepEqual(report.bypass.map((s) => `${s.owner.command}[${s.owner.pid}] ${s.local} -> ${s.peer} (${s.state}, during "${s.phase}")`), [], "client sockets straight to a broker");
  assert.deepEqual(report.unscanned.map((s) => `${s.owner.command}[${s.owner.pid}] ${s.local} -> ${s.peer}`), [], "client sockets to Envoy that skipped the taps");
});

test("leak scan: no real broker address in any byte Envoy sent to clients, including node_endpoints responses", async () => {
  const stats = await front.stats("wasmcustom.kafka.broker");
  const health = (name) => Object.fromEntries(front.listeners.map((l) => [l.nodeId, stats.get(`wasmcustom.kafka.${l.statPrefix}.filter.${name}`) ?? 0]));
  figures.rewriting = { address_rewrites: health("address_rewrites"), address_rewrite_unknown_node: health("address_rewrite_unknown_node"), address_rewrite_endpoints_dropped: health("address_rewrite_endpoints_dropped") };
  for (const l of front.listeners) {
    assert.ok(figures.rewriting.address_rewrites[l.nodeId] > 0, `node ${l.nodeId}'s listener rewrote no response`);
    assert.equal(figures.rewriting.address_rewrite_unknown_node[l.nodeId], 0, "every node id is mapped: no connection closed for an unknown node");
  }
  const summary = scanner.summary();
  const tapResponseBytes = front.listeners.reduce((n, l) => n + [...l.tap.responses.values()].reduce((m, e) => m + e.bytes, 0), 0);
  figures.leakScan = { ...summary, tapBytesScanned: figures.tapBytesScanned(), tapResponseBytes, nodeEndpoints: { produce: endpointResponses.produce, fetch: endpointResponses.fetch, addresses: [...endpointResponses.addresses] } };
  assert.ok(tapResponseBytes > 100_000, `only ${tapResponseBytes} response bytes crossed the taps`);
  assert.ok(figures.tapBytesScanned() >= tapResponseBytes, `the scan saw ${figures.tapBytesScanned()} of the ${tapResponseBytes} response bytes the taps forwarded`);
  assert.deepEqual(endpointResponses.unreadable.slice(0, 5), [], "Produce and Fetch responses the tap could not read");
  assert.ok(endpointResponses.produce + endpointResponses.fetch > 0, "no Produce or Fetch response with node_endpoints crossed the taps");
  const tapAddresses = new Set(front.listeners.map((l) => `${l.nodeId}=${l.advertised}`));
  for (const address of endpointResponses.addresses) assert.ok(tapAddresses.has(address), `node_endpoints named ${address}`);
  assert.deepEqual(scanner.hits.slice(0, 10), [], `${summary.hits} hits of real broker addresses`);
});

test("counting: every listener's filter counted Produce and Fetch, equal per listener to what crossed its tap", async () => {
  const tapCount = (listener, apiKey) => [...listener.tap.requests].filter(([api]) => api.startsWith(`${apiKey}.`)).reduce((n, [, e]) => n + e.frames, 0);
  const expected = () => Object.fromEntries(front.listeners.map((l) => [l.nodeId, { Produce: tapCount(l, 0), Fetch: tapCount(l, 1) }]));
  const counted = async () => {
    const produce = await requestsPerListener("Produce");
    const fetch = await requestsPerListener("Fetch");
    return Object.fromEntries(front.listeners.map((l) => [l.nodeId, { Produce: produce[l.nodeId], Fetch: fetch[l.nodeId] }]));
  };
  // Envoy may still be working through the last reads (a loaded machine can take seconds):
  // wait for the counts to meet, and let the assertion below show how they differ if they never do.
  let filter = await counted();
  await waitFor("the filters' counts to reach the taps'", async () => JSON.stringify(filter = await counted()) === JSON.stringify(expected()),
    { timeoutMs: 30000, intervalMs: 250 }).catch(() => {});
  figures.counting = { filter, taps: expected() };
  for (const l of front.listeners) {
    assert.ok(filter[l.nodeId].Produce > 0, `node ${l.nodeId}'s listener counted no Produce`);
    assert.ok(filter[l.nodeId].Fetch > 0, `node ${l.nodeId}'s listener counted no Fetch`);
  }
  assert.deepEqual(filter, expected(), "per-listener Produce and Fetch requests: filter vs taps");
  figures.runtimeSeconds = Math.round((Date.now() - figures.startedAt) / 1000);
});

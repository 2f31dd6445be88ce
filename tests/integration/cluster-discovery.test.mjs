// Discovery (`npm start -- --bootstrap`, scripts/cluster-config.mjs --bootstrap) on a real
// 3-node KRaft cluster with one broker down: Metadata then names only the brokers that are
// up, so a configuration generated from it would have no listener for the missing one, and
// every client would be disconnected (unknown node id) once it came back. Discovery must
// refuse, naming the node id, instead of writing that configuration.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { spawnSync } from "node:child_process";
import kafkajs from "kafkajs";
import { startKafkaCluster } from "../../scripts/lib/kafka.mjs";
import { root } from "../../scripts/lib/envoy.mjs";
import { discoverBrokers } from "../../scripts/lib/cluster-config.mjs";
import { waitFor } from "../../scripts/lib/processes.mjs";
import { newRunDir } from "./support/stack.mjs";

const { Kafka, logLevel } = kafkajs;
let cluster;

before(async () => {
  cluster = await startKafkaCluster({ runDir: newRunDir("cluster-discovery"), nodes: 3, heap: "384m" });
  const admin = new Kafka({ clientId: "discovery-setup", brokers: cluster.bootstrap.split(","), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: "spread", numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}, { timeout: 240000 });

after(async () => { await cluster?.stop(); });

test("with every broker up, discovery names all three, in node-id order", async () => {
  const { brokers } = await discoverBrokers(cluster.bootstrap);
  assert.deepEqual(brokers.map((b) => b.nodeId), [1, 2, 3]);
  assert.deepEqual(brokers.map((b) => `${b.host}:${b.port}`), [1, 2, 3].map((id) => cluster.node(id).address));
});

test("with broker 3 down, discovery refuses, naming node id 3 (library and cluster-config.mjs)", { timeout: 120000 }, async () => {
  await cluster.node(3).kill();
  const live = [1, 2].map((id) => cluster.node(id).address);
  const admin = new Kafka({ clientId: "discovery-check", brokers: live, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    // The controller fences the killed broker after broker.session.timeout.ms.
    await waitFor("broker 3 to leave Metadata", async () => (await admin.describeCluster()).brokers.length === 2,
      { timeoutMs: 60000, intervalMs: 1000 });
  } finally {
    await admin.disconnect();
  }
  await assert.rejects(discoverBrokers(live.join(",")),
    /node id\(s\) 3 hold partition replicas but are not among the brokers Metadata names \(1, 2\)/);

  const cli = spawnSync("node", [path.join(root, "scripts/cluster-config.mjs"), "--bootstrap", live.join(","), "--skip-validate"],
    { cwd: root, encoding: "utf8", timeout: 60000 });
  assert.equal(cli.status, 1, cli.stderr);
  assert.equal(cli.stdout, "", "no configuration written");
  assert.match(cli.stderr, /^cluster-config: could not discover the brokers through .*: node id\(s\) 3 hold partition replicas/);
  assert.match(cli.stderr, /--nodes ID=HOST:PORT/);
});

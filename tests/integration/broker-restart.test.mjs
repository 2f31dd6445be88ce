// A graceful broker restart under load, through the real Envoy with ACLs enforced:
// Kafka's own VerifiableProducer (acks=all, idempotent) produces through Envoy while
// the broker is stopped with SIGTERM (controlled shutdown), and started again on the
// same data and ports. The client must reconnect through Envoy and finish, every
// acknowledged record must be on the broker exactly once, and afterwards the filter
// must hold nothing: no request in flight for any API, no connection still counted.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { spawn } from "node:child_process";
import { waitFor } from "../../scripts/lib/processes.mjs";
import { startStack } from "./support/stack.mjs";
import { kcat, requireJava, requireKcat } from "./support/clients.mjs";
import { STATS, aclFilterStats, appPolicy, createTopicsDirectly } from "./support/acl.mjs";

const RECORDS = 6000;
const TOPIC = "allowed.restart";

let stack;

before(async () => {
  requireKcat();
  stack = await startStack({ name: "broker-restart", pluginConfig: appPolicy(), kafkaProperties: { "auto.create.topics.enable": "false" } });
  await createTopicsDirectly(stack, [TOPIC, "denied.restart"]);
}, { timeout: 240000 });

after(async () => { await stack?.stop(); });

function kafkaToolsClasspath() {
  const lib = requireJava();
  if (!fs.readdirSync(lib).some((f) => /^kafka-tools-.*\.jar$/.test(f))) {
    throw new Error(`Kafka's tools jar (VerifiableProducer) is missing from ${lib} (scripts/install-kafka.sh installs it)`);
  }
  return `${lib}/*`;
}

/** Every record value of partition 0 of `topic`, read from the broker directly (past Envoy). */
async function brokerValues(topic) {
  const { code, stdout, stderr } = await kcat(["-b", stack.direct, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\n"]);
  assert.equal(code, 0, stderr);
  return stdout.split("\n").filter((line) => line.length > 0);
}

test(`VerifiableProducer (acks=all, idempotent) sends ${RECORDS} records through Envoy while the broker restarts gracefully; every acknowledged record lands once, and the filter's in-flight and connection gauges return to 0`, { timeout: 300000 }, async () => {
  const jvm = ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", kafkaToolsClasspath()];
  const configFile = path.join(stack.runDir, "verifiable-producer.properties");
  fs.writeFileSync(configFile, "enable.idempotence=true\nacks=all\nretries=2147483647\nmax.in.flight.requests.per.connection=5\nreconnect.backoff.ms=100\nreconnect.backoff.max.ms=1000\nretry.backoff.ms=100\nretry.backoff.max.ms=500\nlinger.ms=5\ndelivery.timeout.ms=180000\n");
  const log = fs.createWriteStream(path.join(stack.runDir, "verifiable-producer.log"));
  const acked = [];
  let sendErrors = 0;
  let restart = null;
  let stoppedAtAck = null;
  let ackedWhileDown = null;
  let ackedAtRestart = null;
  const kafkaLogBefore = fs.statSync(stack.kafka.logFile).size;

  const producer = spawn("java", [...jvm, "org.apache.kafka.tools.VerifiableProducer", "--bootstrap-server", stack.bootstrap,
    "--topic", TOPIC, "--max-messages", String(RECORDS), "--throughput", "1000", "--acks", "-1",
    "--command-config", configFile], { stdio: ["ignore", "pipe", "pipe"] });
  producer.stderr.pipe(log);
  readline.createInterface({ input: producer.stdout }).on("line", (line) => {
    let event;
    try { event = JSON.parse(line); } catch { return; }
    if (event.name === "producer_send_success") acked.push(event.value);
    else if (event.name === "producer_send_error") sendErrors += 1;
    if (restart === null && acked.length >= RECORDS / 4) {
      stoppedAtAck = acked.length;
      // Graceful: SIGTERM, and the broker's controlled shutdown runs to the end before
      // it starts again on the same data directory and ports.
      restart = stack.kafka.stop().then(() => { ackedWhileDown = acked.length; return stack.kafka.start(); })
        .then(() => { ackedAtRestart = acked.length; });
      restart.catch(() => {}); // awaited (and reported) once the producer is done
    }
  });
  const producerExit = await new Promise((resolve) => producer.once("close", resolve));
  assert.ok(restart !== null, "the broker was restarted mid-run");
  await restart;
  assert.equal(producerExit, 0, `VerifiableProducer exited ${producerExit}; see ${stack.runDir}/verifiable-producer.log`);

  // The restart really was graceful and happened while records were being acknowledged.
  const kafkaLog = fs.readFileSync(stack.kafka.logFile, "utf8").slice(kafkaLogBefore);
  assert.match(kafkaLog, /Terminating process due to signal SIGTERM/);
  assert.match(kafkaLog, /\[BrokerServer id=1\] shut down completed/, "the broker's controlled shutdown completed");
  assert.match(kafkaLog, /\[KafkaRaftServer nodeId=1\] Kafka Server started/, "the broker started again");
  assert.ok(ackedAtRestart < RECORDS, `the producer still had records to send once the broker was back (acked at stop ${stoppedAtAck}, when down ${ackedWhileDown}, at restart ${ackedAtRestart})`);

  // Every acknowledged record is on the broker exactly once, and nothing else is.
  assert.equal(sendErrors, 0, `${sendErrors} send errors; see ${stack.runDir}/verifiable-producer.log`);
  assert.equal(acked.length, RECORDS);
  const landed = await brokerValues(TOPIC);
  assert.equal(landed.length, acked.length, "records on the broker == records acknowledged");
  assert.deepEqual([...landed].sort(), [...acked].sort());

  // Envoy's upstream connections were reset by the restart, and the client kept
  // reconnecting through Envoy (whose connects to the broker failed while it was down).
  const cluster = await stack.stats("cluster.kafka_broker.");
  console.log(JSON.stringify({ stoppedAtAck, ackedWhileDown, ackedAtRestart, cluster: Object.fromEntries([...cluster].filter(([n, v]) => /upstream_cx_(total|destroy|connect_fail|active)/.test(n) && v > 0)) }));
  assert.ok(cluster.get("cluster.kafka_broker.upstream_cx_total") > 1, JSON.stringify(Object.fromEntries(cluster)));
  assert.ok(cluster.get("cluster.kafka_broker.upstream_cx_destroy_remote") >= 1, "the broker closed Envoy's upstream connections");
  assert.ok(cluster.get("cluster.kafka_broker.upstream_cx_connect_fail") >= 1, "the client reconnected through Envoy while the broker was down");

  // With the clients gone, the filter holds nothing: every API's in-flight gauge and the
  // connection gauge are back at 0, and nothing was closed for an ACL or framing reason.
  let gauges = null;
  await waitFor("the filter's gauges to return to 0", async () => {
    gauges = [...(await stack.stats(`${STATS}.`))].filter(([name]) => name.endsWith(".in_flight") || name.endsWith(".connections_active"));
    return gauges.length > 0 && gauges.every(([, value]) => value === 0);
  }, { timeoutMs: 15000, hint: () => JSON.stringify(gauges) });
  assert.ok(gauges.some(([name]) => name.includes(".api.Produce.")), `a Produce in-flight gauge exists: ${JSON.stringify(gauges)}`);
  const health = await aclFilterStats(stack);
  assert.equal(health.connectionsClosed, 0, JSON.stringify(health));
  const filter = await stack.stats(`${STATS}.filter.`);
  assert.equal(filter.get(`${STATS}.filter.framing_errors`), 0);

  // ACLs are still enforced on the reconnected path.
  const denied = await kcat(["-b", stack.bootstrap, "-t", "denied.restart", "-P", "-X", "message.timeout.ms=5000"], { input: "never\n" });
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /Topic authorization failed/i, denied.stderr);
  assert.deepEqual(await brokerValues("denied.restart"), []);
});

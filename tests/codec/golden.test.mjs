// Golden traffic: every frame that real clients (kcat/librdkafka, kafkajs, and Apache
// Kafka's own Java tools) exchange with a real broker must decode, header and body,
// and re-encode byte-identically through our codec. The frames are captured live by
// a relay between the clients and a fresh broker, so they follow whatever versions
// the clients and broker negotiate today.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startKafka } from '../../scripts/lib/kafka.mjs';
import { freePort } from '../../scripts/lib/processes.mjs';
import { startFrameTap } from '../integration/support/frame-tap.mjs';
import { newRunDir } from '../integration/support/stack.mjs';
import { kcat, requireKcat } from '../integration/support/clients.mjs';
import { apiNamesByKey } from '../integration/support/spec.mjs';
import { loadCodecHarness } from './support/harness.mjs';

let kafka;
let tap;
let harness;
let bootstrap;
const framesByClient = new Map();

function java(mainClass, args, input = '') {
  return new Promise((resolve, reject) => {
    const child = spawn('java', ['-cp', `${kafka.lib}/*`, '-Dlog4j2.level=warn', mainClass, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

function collect(client) {
  framesByClient.set(client, [...(framesByClient.get(client) ?? []), ...tap.drain()]);
}

before(async () => {
  requireKcat();
  harness = await loadCodecHarness();
  const runDir = newRunDir('golden');
  const relayPort = await freePort();
  const ports = { client: await freePort(), direct: await freePort(), controller: await freePort() };
  kafka = await startKafka({ runDir, ports, advertisedPort: relayPort });
  tap = await startFrameTap({ port: relayPort, upstreamPort: ports.client, capture: true });
  bootstrap = `127.0.0.1:${relayPort}`;

  // kcat / librdkafka: metadata, produce with keys and headers, consume.
  assert.equal((await kcat(['-b', bootstrap, '-L'])).code, 0);
  const produced = await kcat(['-b', bootstrap, '-t', 'golden-kcat', '-P', '-K', ':', '-H', 'trace=abc', '-z', 'lz4'],
    { input: Array.from({ length: 50 }, (_, i) => `k${i}:value ${i}\n`).join('') });
  assert.equal(produced.code, 0, produced.stderr);
  assert.equal((await kcat(['-b', bootstrap, '-t', 'golden-kcat', '-C', '-o', 'beginning', '-c', '50', '-q'])).code, 0);
  const grouped = await kcat(['-b', bootstrap, '-G', 'golden-kcat-group', 'golden-kcat', '-c', '50', '-q', '-X', 'auto.offset.reset=earliest']);
  assert.equal(grouped.code, 0, grouped.stderr);
  collect('kcat');

  // kafkajs: admin, idempotent producer, consumer group with commits, topic deletion.
  const client = new Kafka({ clientId: 'golden-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = client.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'golden-kafkajs', numPartitions: 2 }], waitForLeaders: true });
  const producer = client.producer({ idempotent: true });
  await producer.connect();
  await producer.send({ topic: 'golden-kafkajs', messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, headers: { h: `${i}` } })) });
  await producer.disconnect();
  const consumer = client.consumer({ groupId: 'golden-kafkajs-group' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'golden-kafkajs', fromBeginning: true });
  let received = 0;
  await consumer.run({ eachMessage: async () => { received += 1; } });
  for (let i = 0; i < 300 && received < 20; i++) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  await admin.fetchTopicMetadata({ topics: ['golden-kafkajs'] });
  await admin.describeGroups(['golden-kafkajs-group']);
  await admin.deleteTopics({ topics: ['golden-kafkajs'] });
  await admin.disconnect();
  assert.equal(received, 20);
  collect('kafkajs');

  // Apache Kafka's Java clients, through its own command-line tools.
  const topics = (...args) => java('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', bootstrap, ...args]);
  const created = await topics('--create', '--topic', 'golden-java', '--partitions', '3');
  assert.equal(created.code, 0, created.stderr);
  const produce = await java('org.apache.kafka.tools.ConsoleProducer', ['--bootstrap-server', bootstrap, '--topic', 'golden-java',
    '--command-property', 'compression.type=gzip'], 'one\ntwo\nthree\n');
  assert.equal(produce.code, 0, produce.stderr);
  const consume = await java('org.apache.kafka.tools.consumer.ConsoleConsumer', ['--bootstrap-server', bootstrap, '--topic', 'golden-java',
    '--from-beginning', '--max-messages', '3', '--group', 'golden-java-group']);
  assert.equal(consume.code, 0, consume.stderr);
  assert.equal((await topics('--describe', '--topic', 'golden-java')).code, 0);
  const groups = await java('org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', ['--bootstrap-server', bootstrap, '--describe', '--all-groups']);
  assert.equal(groups.code, 0, groups.stderr);
  assert.equal((await topics('--delete', '--topic', 'golden-java')).code, 0);
  collect('java');
}, { timeout: 300000 });

after(async () => {
  await tap?.stop();
  await kafka?.stop();
});

for (const client of ['kcat', 'kafkajs', 'java']) {
  test(`every frame ${client} and the broker exchanged decodes and re-encodes byte-identically`, (t) => {
    const frames = framesByClient.get(client) ?? [];
    assert.ok(frames.length > 20, `${client} traffic was captured (${frames.length} frames)`);
    const names = apiNamesByKey();
    const failures = [];
    const seen = new Map();
    for (const { direction, apiKey, apiVersion, frame } of frames) {
      const label = `${names.get(apiKey) ?? apiKey} v${apiVersion} ${direction}`;
      seen.set(label, (seen.get(label) ?? 0) + 1);
      const input = frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength);
      const out = Buffer.from(harness.inst.exports.roundTripFrame(direction === 'response', apiKey, apiVersion, input));
      if (!out.equals(frame)) {
        const error = harness.inst.exports.lastError();
        failures.push(`${label}: ${error || `re-encoded ${out.length} bytes differ from ${frame.length}`}`);
      }
    }
    t.diagnostic(`${frames.length} frames: ${[...seen].map(([k, n]) => `${k} ×${n}`).sort().join(', ')}`);
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${frames.length} frames failed`);
  });
}

// Broker address rewriting in-process, under the proxy-wasm host that mimics Envoy's
// buffer semantics (StopIteration keeps bytes, Continue forwards them, edits replace a
// prefix): what the client receives, byte for byte, whatever the TCP cuts. Responses
// are built by hand from spec/kafka-4.3.1/*.json layouts (kafka-wire.mjs), never by the
// code under test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyWasmHost } from "./host.mjs";
import { Decoder, Encoder, fetchRequestByTopicId, metadataRequest, produceRequest, parseMetadataResponse, recordBatch, requestFrame } from "../integration/support/kafka-wire.mjs";
import { compiledFilter } from "../../scripts/lib/build.mjs";

const ADDRESSES = { nodes: { 1: "127.0.0.1:19093", 2: "envoy-2.proxy.example:19094" }, host_template: "b{node_id}.proxy.example", port_base: 20000 };
const ACL = {
  default: "deny", principal_sources: ["client_id"],
  rules: [
    { name: "ok-topics", effect: "allow", principal: "User:*", resource_type: "topic", pattern_type: "prefixed", resource_name: "ok", operations: ["all"] },
    { name: "cluster", effect: "allow", principal: "User:*", resource_type: "cluster", pattern_type: "literal", resource_name: "kafka-cluster", operations: ["all"] },
  ],
};
const TOPIC_ID = Buffer.from("00112233445566778899aabbccddeeff", "hex");

function newConnection(config, options = {}) {
  const host = new ProxyWasmHost(compiledFilter(), { config, ...options }).start();
  host.openConnection(2);
  return { host, connection: host.connections.get(2) };
}

const framed = (body) => Buffer.concat([new Encoder().int32(body.length).build(), body]);

/** With ACLs, a Fetch by topic id needs the id learned first: a Metadata exchange names ok-fetch. */
function learnTopic(host, connection, withAcl) {
  if (!withAcl) return;
  host.downstreamData(2, metadataRequest({ correlationId: 1, version: 12, topics: ["ok-fetch"] }));
  deliver(host, connection, [metadataResponse(1, [[1, "kafka-1.internal", 9092]], [["ok-fetch", TOPIC_ID]])]);
}

/** Feeds `reads` from the broker and returns every byte the client received (chunks drained as they come). */
function deliver(host, connection, reads) {
  const out = [];
  for (const read of reads) {
    host.upstreamData(2, read);
    out.push(...connection.sentDownstream.splice(0));
  }
  return Buffer.concat(out.map((c) => Buffer.from(c)));
}

/** Metadata v12 answer (header v1) naming `brokers` [[id, host, port]] and topics [name] (or [name, id]). */
function metadataResponse(correlationId, brokers, topics) {
  const e = new Encoder().int32(correlationId).noTags().int32(0);
  e.compactArray(brokers, (x, [id, h, p]) => x.int32(id).compactString(h).int32(p).compactString(null).noTags());
  e.compactString("cluster-a").int32(1);
  e.compactArray(topics, (x, topic) => {
    const [name, id] = Array.isArray(topic) ? topic : [topic, Buffer.alloc(16, topic.length)];
    x.int16(0).compactString(name).uuid(id).bool(false);
    x.compactArray([0], (y) => y.int16(0).int32(0).int32(1).int32(0).compactArray([1], (z, n) => z.int32(n))
      .compactArray([1], (z, n) => z.int32(n)).compactArray([], () => {}).noTags());
    x.int32(-2147483648).noTags();
  });
  e.noTags();
  return framed(e.build());
}

/** A node-endpoints tagged field (tag 0) holding [[id, host, port]]. */
function nodeEndpointsTag(endpoints) {
  const value = new Encoder().compactArray(endpoints, (x, [id, h, p]) => x.int32(id).compactString(h).int32(p).compactString("rack-a").noTags()).build();
  return new Encoder().uvarint(0).uvarint(value.length).bytes(value).build();
}

/** Fetch v16 answer (header v1): one partition of `records` bytes, then node endpoints. */
function fetchResponse(correlationId, records, endpoints) {
  const e = new Encoder().int32(correlationId).noTags().int32(0).int16(0).int32(0);
  e.compactArray([TOPIC_ID], (x, id) => {
    x.uuid(id).compactArray([0], (y) => y.int32(0).int16(6).int64(10).int64(10).int64(0).compactArray(null, () => {})
      .int32(-1).compactBytes(records).noTags());
    x.noTags();
  });
  e.uvarint(1).bytes(nodeEndpointsTag(endpoints));
  return framed(e.build());
}

/** The node endpoints at the end of a Fetch v16 response frame (size field included), and the tags after them. */
function fetchEndpoints(frame) {
  const d = new Decoder(frame.subarray(4));
  d.int32(); d.skipTags(); d.int32(); d.int16(); d.int32();
  d.compactArray(() => { d.uuid(); d.compactArray(() => { d.int32(); d.int16(); d.int64(); d.int64(); d.int64(); d.compactArray(() => {}); d.int32(); d.skipCompactBytes(); d.skipTags(); }); d.skipTags(); });
  let endpoints = [];
  const others = [];
  const count = d.uvarint();
  for (let i = 0; i < count; i++) {
    const tag = d.uvarint();
    const size = d.uvarint();
    const end = d.pos + size;
    if (tag === 0) endpoints = d.compactArray(() => { const ep = [d.int32(), d.compactString(), d.int32()]; d.compactString(); d.skipTags(); return ep; });
    else others.push(tag);
    d.pos = end;
  }
  assert.equal(d.pos, frame.length - 4, "the tagged fields end the frame");
  return { endpoints, others };
}

function twoCuts(bytes, step = 1) {
  const cuts = [];
  for (let k = 1; k < bytes.length; k += step) cuts.push([bytes.subarray(0, k), bytes.subarray(k)]);
  cuts.push([bytes]);
  cuts.push(Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7)));
  return cuts;
}

for (const withAcl of [false, true]) {
  const config = withAcl ? { stat_prefix: "rw", acl: ACL, broker_addresses: ADDRESSES } : { stat_prefix: "rw", broker_addresses: ADDRESSES };
  const mode = withAcl ? "with ACLs" : "without ACLs";

  test(`Metadata brokers reach the client rewritten, whatever the cut (${mode})`, () => {
    const response = metadataResponse(7, [[1, "kafka-1.internal", 9092], [2, "kafka-2.internal", 9092], [3, "kafka-3.internal", 9092]],
      ["ok-orders", "secret-pay"]);
    let expected = null;
    for (const reads of twoCuts(response)) {
      const { host, connection } = newConnection(config);
      host.downstreamData(2, metadataRequest({ correlationId: 7, version: 12, topics: null }));
      const received = deliver(host, connection, reads);
      expected ??= received;
      assert.deepEqual(received, expected, `the same bytes reach the client for reads of ${reads.map((r) => r.length)}`);
      assert.equal(connection.closed, false);
    }
    assert.ok(!expected.includes(Buffer.from("internal")), "no real broker host reaches the client");
    const meta = parseMetadataResponse(expected.subarray(4 + 5), 12);
    assert.deepEqual(meta.brokers, [
      { nodeId: 1, host: "127.0.0.1", port: 19093 },
      { nodeId: 2, host: "envoy-2.proxy.example", port: 19094 },
      { nodeId: 3, host: "b3.proxy.example", port: 20003 },
    ]);
    // With ACLs the same answer is also filtered: one decode, both edits.
    assert.deepEqual(meta.topics.map((t) => t.name), withAcl ? ["ok-orders"] : ["ok-orders", "secret-pay"]);
  });

  test(`a node id with no mapping closes the connection and no byte of its response reaches the client (${mode})`, () => {
    const addresses = { stat_prefix: "rw", broker_addresses: { nodes: { 1: "127.0.0.1:19093" } }, ...(withAcl ? { acl: ACL } : {}) };
    const { host, connection } = newConnection(addresses, { keepLogs: 3 });
    host.downstreamData(2, metadataRequest({ correlationId: 7, version: 12, topics: null }));
    const received = deliver(host, connection, [metadataResponse(7, [[1, "kafka-1.internal", 9092], [4, "kafka-4.internal", 9092]], [])]);
    assert.equal(received.length, 0);
    assert.equal(connection.closed, true);
    assert.equal(host.metric("kafka.rw.filter.address_rewrite_unknown_node"), 1);
    assert.equal(host.metric("kafka.rw.filter.acl_connections_closed") ?? 0, 0);
    assert.ok(host.logs.some((l) => l.message.includes("node id 4")), host.describeLogs());
  });

  test(`Fetch v16 node_endpoints are edited at the end of the stream: every cut forwards identical bytes (${mode})`, () => {
    const records = recordBatch(Array.from({ length: 60 }, (_, i) => `value-${i}-`.padEnd(40, "x")));
    for (const [label, endpoints, expectEndpoints, counter] of [
      ["shorter, padded", [[2, "kafka-2.internal.example.com", 9092]], [[2, "envoy-2.proxy.example", 19094]], "address_rewrites"],
      ["same length", [[1, "kafka-1.internal", 9092]], [[1, "127.0.0.1", 19093]], "address_rewrites"],
      ["longer: dropped", [[7, "k7", 9092]], [], "address_rewrite_endpoints_dropped"],
    ]) {
      const response = fetchResponse(9, records, endpoints);
      let expected = null;
      for (const reads of twoCuts(response, 23)) {
        const { host, connection } = newConnection(config);
        learnTopic(host, connection, withAcl);
        const before = host.metric(`kafka.rw.filter.${counter}`);
        host.downstreamData(2, fetchRequestByTopicId({ correlationId: 9, topicIds: [TOPIC_ID], version: 16 }));
        const received = deliver(host, connection, reads);
        expected ??= received;
        assert.deepEqual(received, expected, `${label}: same bytes for reads of ${reads.map((r) => r.length)}`);
        assert.equal(connection.closed, false);
        assert.equal(host.metric(`kafka.rw.filter.${counter}`) - before, 1, `${label}: ${counter}`);
      }
      assert.equal(expected.length, response.length, `${label}: the frame keeps its length`);
      assert.deepEqual(expected.subarray(0, response.length - 80), response.subarray(0, response.length - 80), "records pass untouched");
      const { endpoints: seen } = fetchEndpoints(expected);
      assert.deepEqual(seen, expectEndpoints, label);
      assert.ok(!expected.includes(Buffer.from("kafka-")), `${label}: no real broker host reaches the client`);
    }
  });

  test(`a Fetch v16 node endpoint with no mapping closes the connection before the tail passes (${mode})`, () => {
    const response = fetchResponse(9, recordBatch(["a", "b", "c"]), [[9, "kafka-9.internal", 9092]]);
    for (const reads of twoCuts(response, 97)) {
      const { host, connection } = newConnection({ stat_prefix: "rw", broker_addresses: { nodes: { 1: "127.0.0.1:19093" } }, ...(withAcl ? { acl: ACL } : {}) });
      learnTopic(host, connection, withAcl);
      host.downstreamData(2, fetchRequestByTopicId({ correlationId: 9, topicIds: [TOPIC_ID], version: 16 }));
      const received = deliver(host, connection, reads);
      assert.equal(connection.closed, true);
      assert.ok(!received.includes(Buffer.from("kafka-9")), "the real address never reaches the client");
      assert.equal(host.metric("kafka.rw.filter.address_rewrite_unknown_node"), 1);
    }
  });
}

test("Produce v10 node_endpoints are rewritten; responses without addresses pass untouched and unheld", () => {
  const { host, connection } = newConnection({ stat_prefix: "rw", broker_addresses: ADDRESSES });
  // A Produce v10 request is a v9 one with another version number (same body).
  const request = produceRequest({ correlationId: 3, recordsByTopic: { t: ["x"] } });
  request.writeInt16BE(10, 6);
  host.downstreamData(2, request);
  const e = new Encoder().int32(3).noTags();
  e.compactArray(["t"], (x, name) => {
    x.compactString(name);
    x.compactArray([0], (y) => y.int32(0).int16(6).int64(-1).int64(-1).int64(-1).compactArray([], () => {}).compactString(null).noTags());
    x.noTags();
  });
  e.int32(0).uvarint(1).bytes(nodeEndpointsTag([[2, "kafka-2.internal", 9092]]));
  const received = deliver(host, connection, [framed(e.build())]);
  assert.ok(!received.includes(Buffer.from("kafka-2.internal")));
  assert.ok(received.includes(Buffer.from("envoy-2.proxy.example")));
  assert.equal(host.metric("kafka.rw.filter.address_rewrites"), 1);

  // A Heartbeat answer the filter has no reason to hold: once its head is in, a partial frame passes at once.
  const { host: h2, connection: c2 } = newConnection({ stat_prefix: "rw", broker_addresses: ADDRESSES });
  h2.downstreamData(2, requestFrame({ apiKey: 12, apiVersion: 4, correlationId: 5, flexible: true, body: new Encoder().compactString("g").int32(1).compactString("m").compactString(null).noTags().build() }));
  const heartbeat = framed(new Encoder().int32(5).noTags().int32(0).int16(0).noTags().build());
  const first = deliver(h2, c2, [heartbeat.subarray(0, 13)]);
  assert.equal(first.length, 13, "once its head is known, a response without addresses is not held");
});

test("with rewriting, a request the filter cannot read closes the connection before it reaches the broker (ApiVersions excepted)", () => {
  for (const [apiKey, apiVersion, closes] of [[3, 99, true], [9999, 0, true], [18, 99, false]]) {
    const { host, connection } = newConnection({ stat_prefix: "rw", broker_addresses: ADDRESSES });
    host.downstreamData(2, requestFrame({ apiKey, apiVersion, correlationId: 5, flexible: false, body: Buffer.alloc(0) }));
    assert.equal(connection.closed, closes, `api key ${apiKey} v${apiVersion}`);
    assert.equal(connection.sentUpstreamBytes === 0, closes, "nothing reaches the broker when it closes");
    assert.equal(host.metric("kafka.rw.filter.address_rewrite_connections_closed"), closes ? 1 : 0);
  }
});

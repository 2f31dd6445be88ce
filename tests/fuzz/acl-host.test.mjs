// ACL enforcement in-process, under the proxy-wasm host that mimics Envoy's buffer
// semantics (StopIteration keeps bytes, Continue forwards them, edits replace a
// prefix): what the broker would receive and what the client would get back, byte
// for byte, whatever the TCP cuts. The real-Envoy suites (tests/integration/acl*.mjs)
// check the same behaviour with real clients; this file checks every cut point.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyWasmHost, FilterStatus } from "./host.mjs";
import { Decoder, Encoder, fetchRequestByTopicId, parseFetchResponse, produceRequest, requestFrame } from "../integration/support/kafka-wire.mjs";
import { compiledFilter } from "../../scripts/lib/build.mjs";

const CONFIG = {
  stat_prefix: "acl",
  acl: {
    default: "deny", principal_sources: ["client_id"],
    rules: [
      { name: "ok-topics", effect: "allow", principal: "User:*", resource_type: "topic", pattern_type: "prefixed", resource_name: "ok", operations: ["all"] },
      { name: "cluster", effect: "allow", principal: "User:*", resource_type: "cluster", pattern_type: "literal", resource_name: "kafka-cluster", operations: ["all"] },
    ],
  },
};
const TOPIC_AUTHORIZATION_FAILED = 29;

function newConnection() {
  const host = new ProxyWasmHost(compiledFilter(), { config: CONFIG }).start();
  host.openConnection(2);
  return { host, connection: host.connections.get(2) };
}

const sent = (chunks) => Buffer.concat(chunks.map((c) => Buffer.from(c)));

/** Splits a stream of frames (size field included) into frame bodies. */
function frames(bytes) {
  const out = [];
  for (let at = 0; at < bytes.length;) {
    const size = bytes.readInt32BE(at);
    out.push(bytes.subarray(at + 4, at + 4 + size));
    at += 4 + size;
  }
  return out;
}

/** Produce v9 request body after its header v2 (client id "acl-wire-test"): topic names in order. */
function produceTopics(frame) {
  const d = new Decoder(frame);
  assert.equal(d.int16(), 0, "api key");
  assert.equal(d.int16(), 9, "api version");
  const correlationId = d.int32();
  d.string();
  d.skipTags();
  d.compactString();
  d.int16();
  d.int32();
  const topics = d.compactArray(() => {
    const name = d.compactString();
    d.compactArray(() => { d.int32(); d.skipCompactBytes(); d.skipTags(); });
    d.skipTags();
    return name;
  });
  return { correlationId, topics };
}

/** A broker's Produce v9 answer: every named topic's partition 0 stored at offset 0. */
function produceResponse(correlationId, topics) {
  const e = new Encoder().int32(correlationId).noTags();
  e.compactArray(topics, (x, name) => {
    x.compactString(name);
    x.compactArray([0], (y) => y.int32(0).int16(0).int64(0).int64(-1).int64(0).compactArray([], () => {}).compactString(null).noTags());
    x.noTags();
  });
  e.int32(0).noTags();
  const body = e.build();
  const frame = Buffer.alloc(4 + body.length);
  frame.writeInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/** Produce v9 response frame body (header v1) as [[topic, errorCode]]. */
function produceAnswer(frame) {
  const d = new Decoder(frame);
  const correlationId = d.int32();
  d.skipTags();
  const topics = d.compactArray(() => {
    const name = d.compactString();
    const codes = d.compactArray(() => {
      d.int32();
      const code = d.int16();
      d.int64(); d.int64(); d.int64();
      d.compactArray(() => { d.int32(); d.compactString(); d.skipTags(); });
      d.compactString();
      d.skipTags();
      return code;
    });
    d.skipTags();
    return [name, codes[0]];
  });
  return { correlationId, topics };
}

test("a mixed Produce reaches the broker without the denied topic, whatever the cut, and the answer is merged", () => {
  const request = produceRequest({ correlationId: 41, recordsByTopic: { "ok-orders": ["a", "b"], "secret-pay": ["c"] } });
  let expectedUpstream = null;
  // Every cut into two reads, and one read per byte.
  const cuts = [...Array.from({ length: request.length - 1 }, (_, k) => [request.subarray(0, k + 1), request.subarray(k + 1)]),
    Array.from(request, (_, i) => request.subarray(i, i + 1))];
  for (const reads of cuts) {
    const { host, connection } = newConnection();
    for (const [i, read] of reads.entries()) {
      const status = host.downstreamData(2, read);
      assert.equal(status, i === reads.length - 1 ? FilterStatus.Continue : FilterStatus.StopIteration,
        "the request is held until its last byte");
    }
    const upstream = sent(connection.sentUpstream);
    expectedUpstream ??= upstream;
    assert.deepEqual(upstream, expectedUpstream, `the same bytes reach the broker for reads of ${reads.map((r) => r.length)}`);
    assert.equal(connection.closed, false);
  }
  const forwarded = frames(expectedUpstream);
  assert.equal(forwarded.length, 1);
  assert.deepEqual(produceTopics(forwarded[0]), { correlationId: 41, topics: ["ok-orders"] });

  const { host, connection } = newConnection();
  host.downstreamData(2, request);
  assert.equal(host.upstreamData(2, produceResponse(41, ["ok-orders"])), FilterStatus.Continue);
  const answers = frames(sent(connection.sentDownstream));
  assert.equal(answers.length, 1);
  const answer = produceAnswer(answers[0]);
  assert.equal(answer.correlationId, 41);
  assert.deepEqual(new Map(answer.topics), new Map([["ok-orders", 0], ["secret-pay", TOPIC_AUTHORIZATION_FAILED]]));
  assert.equal(host.metric("kafka.acl.filter.acl_requests_rewritten"), 1);
  assert.equal(host.metric("kafka.acl.filter.acl_responses_rewritten"), 1);
});

test("pipelined allowed and denied requests keep their order; the denied one never reaches the broker", () => {
  const { host, connection } = newConnection();
  const allowed = produceRequest({ correlationId: 1, recordsByTopic: { "ok-a": ["x"] } });
  const denied = produceRequest({ correlationId: 2, recordsByTopic: { "secret-b": ["y"] } });
  const allowedAgain = produceRequest({ correlationId: 3, recordsByTopic: { "ok-c": ["z"] } });
  assert.equal(host.downstreamData(2, Buffer.concat([allowed, denied, allowedAgain])), FilterStatus.Continue);
  const upstream = frames(sent(connection.sentUpstream));
  assert.equal(upstream.length, 3);
  assert.deepEqual(produceTopics(upstream[0]).topics, ["ok-a"]);
  // The denied request became an ApiVersions v0 probe with its correlation id.
  const probe = new Decoder(upstream[1]);
  assert.deepEqual([probe.int16(), probe.int16(), probe.int32(), probe.int16()], [18, 0, 2, -1]);
  assert.equal(upstream[1].length, 10);
  assert.ok(!sent(connection.sentUpstream).includes(Buffer.from("secret-b")), "no byte of the denied request reaches the broker");
  assert.deepEqual(produceTopics(upstream[2]).topics, ["ok-c"]);

  // The broker answers the three in order; the probe's answer becomes the denial.
  const probeAnswer = new Encoder().int32(2).int16(0).int32(0).build();
  const probeFrame = Buffer.concat([new Encoder().int32(probeAnswer.length).build(), probeAnswer]);
  host.upstreamData(2, Buffer.concat([produceResponse(1, ["ok-a"]), probeFrame, produceResponse(3, ["ok-c"])]));
  const answers = frames(sent(connection.sentDownstream)).map(produceAnswer);
  assert.deepEqual(answers.map((a) => a.correlationId), [1, 2, 3]);
  assert.deepEqual(answers[1].topics, [["secret-b", TOPIC_AUTHORIZATION_FAILED]]);
  assert.deepEqual(answers[0].topics, [["ok-a", 0]]);
  assert.deepEqual(answers[2].topics, [["ok-c", 0]]);
  assert.equal(host.metric("kafka.acl.filter.acl_requests_denied"), 1);
  assert.equal(host.metric("kafka.acl.filter.unmatched_responses"), 0);
});

// The request header (v2, client id "acl-wire-test") and the Produce body up to the first
// topic name fit in the filter's 512-byte head; what follows is records.
const REQUEST_HEAD_BYTES = 512;

test("an allowed single-topic Produce is decided on its head and streams through, whatever the cuts; counted once", () => {
  const request = produceRequest({ correlationId: 7, recordsByTopic: { "ok-big": Array(10).fill("r".repeat(1024)) }, acks: 1 });
  assert.ok(request.length > 4 * (4 + REQUEST_HEAD_BYTES), "the request is much longer than the head");
  const cutSets = [[request]];
  for (let k = 1; k < request.length; k += 97) cutSets.push([request.subarray(0, k), request.subarray(k)]);
  cutSets.push(Array.from({ length: Math.ceil(request.length / 300) }, (_, i) => request.subarray(i * 300, i * 300 + 300)));
  for (const reads of cutSets) {
    const { host, connection } = newConnection();
    let seen = 0;
    for (const read of reads) {
      seen += read.length;
      const status = host.downstreamData(2, read);
      // Held only until the head is in; from then on every byte passes as it arrives.
      assert.equal(status, seen < 4 + REQUEST_HEAD_BYTES ? FilterStatus.StopIteration : FilterStatus.Continue,
        `status after ${seen} of ${request.length} bytes (reads of ${reads.map((r) => r.length)})`);
    }
    assert.deepEqual(sent(connection.sentUpstream), request, "the request reaches the broker unchanged");
    assert.equal(connection.closed, false);
    assert.equal(host.metric("kafka.acl.acl.decisions.topic.write.allowed"), 1, "one Write check, as the gate makes");
    assert.equal(host.metric("kafka.acl.topic.ok-big.produced_records"), 10);
  }
});

test("a connection whose TLS subject no mapping rule names is refused even when it opens with a streamable Produce", () => {
  const config = {
    stat_prefix: "acl",
    acl: {
      ...CONFIG.acl,
      principal_sources: ["tls_subject"],
      tls_principal_mapping_rules: "RULE:^CN=(alice),.*$/$1/",
    },
  };
  const host = new ProxyWasmHost(compiledFilter(), { config }).start();
  host.openConnection(2, { properties: { "connection.subject_peer_certificate": "CN=mallory,O=Example" } });
  const connection = host.connections.get(2);
  const request = produceRequest({ correlationId: 1, recordsByTopic: { "ok-big": Array(4).fill("m".repeat(1024)) } });
  host.downstreamData(2, request);
  assert.equal(connection.closed, true, "the connection was not refused");
  assert.equal(sent(connection.sentUpstream).length, 0, "bytes of the unmapped connection reached the broker");
  assert.equal(host.metric("kafka.acl.acl.decisions.topic.write.allowed"), 0);
});

// SASL/PLAIN through the filter: SaslHandshake v1 and SaslAuthenticate v2, and the broker's answers.
const saslHandshake = (correlationId) =>
  requestFrame({ apiKey: 17, apiVersion: 1, correlationId, flexible: false, body: new Encoder().string("PLAIN").build() });
const saslAuthenticate = (correlationId, user) => requestFrame({
  apiKey: 36, apiVersion: 2, correlationId, flexible: true,
  body: new Encoder().compactBytes(Buffer.from(`\0${user}\0secret`)).noTags().build(),
});
const framedBody = (body) => Buffer.concat([new Encoder().int32(body.length).build(), body]);
const saslHandshakeAnswer = (correlationId) =>
  framedBody(new Encoder().int32(correlationId).int16(0).array(["PLAIN"], (x, m) => x.string(m)).build());
const saslAuthenticateAnswer = (correlationId) =>
  framedBody(new Encoder().int32(correlationId).noTags().int16(0).compactString(null).compactBytes(Buffer.alloc(0)).int64(0n).noTags().build());

test("a request pipelined behind an unanswered SASL exchange closes the connection before it reaches the broker", () => {
  // mallory is denied what anyone else may do: decided before her authentication is
  // answered, her Produce would pass as User:ANONYMOUS, and the broker would run it as her.
  const config = {
    stat_prefix: "acl",
    acl: {
      ...CONFIG.acl,
      principal_sources: ["sasl"],
      rules: [...CONFIG.acl.rules, { name: "no-mallory", effect: "deny", principal: "User:mallory", resource_type: "topic", pattern_type: "prefixed", resource_name: "ok", operations: ["all"] }],
    },
  };
  for (const records of [["small"], Array(4).fill("m".repeat(1024))]) {
    const host = new ProxyWasmHost(compiledFilter(), { config }).start();
    host.openConnection(2);
    const connection = host.connections.get(2);
    const produce = produceRequest({ correlationId: 3, recordsByTopic: { "ok-orders": records }, acks: 1 });
    host.downstreamData(2, Buffer.concat([saslHandshake(1), saslAuthenticate(2, "mallory"), produce]));
    assert.equal(connection.closed, true, `a ${produce.length}-byte Produce pipelined behind the authentication was not refused`);
    assert.ok(!sent(connection.sentUpstream).includes(Buffer.from("ok-orders")), "the pipelined Produce reached the broker");
    assert.equal(host.metric("kafka.acl.filter.acl_connections_closed"), 1);
  }
  // Waiting for each answer, as clients do: the Produce is decided for mallory and denied.
  const host = new ProxyWasmHost(compiledFilter(), { config }).start();
  host.openConnection(2);
  const connection = host.connections.get(2);
  host.downstreamData(2, saslHandshake(1));
  host.upstreamData(2, saslHandshakeAnswer(1));
  host.downstreamData(2, saslAuthenticate(2, "mallory"));
  host.upstreamData(2, saslAuthenticateAnswer(2));
  host.downstreamData(2, produceRequest({ correlationId: 3, recordsByTopic: { "ok-orders": ["x"] }, acks: 1 }));
  assert.equal(connection.closed, false);
  assert.ok(!sent(connection.sentUpstream).includes(Buffer.from("ok-orders")), "mallory's Produce reached the broker");
  assert.equal(host.metric("kafka.acl.acl_requests_denied") + host.metric("kafka.acl.filter.acl_requests_denied"), 1);
});

test("a Produce its head cannot clear is held whole and decided by the gate, each check counted once", () => {
  // Denied topic; a second topic after the first one's records; a topic id the filter has not learned (v13).
  const denied = produceRequest({ correlationId: 8, recordsByTopic: { "secret-big": Array(4).fill("s".repeat(1024)) } });
  const mixed = produceRequest({ correlationId: 9, recordsByTopic: { "ok-first": Array(4).fill("o".repeat(1024)), "secret-second": ["s"] } });
  for (const [request, expectUpstream] of [[denied, "an ApiVersions probe"], [mixed, "ok-first only"]]) {
    const { host, connection } = newConnection();
    const head = request.subarray(0, 4 + REQUEST_HEAD_BYTES + 10);
    assert.equal(host.downstreamData(2, head), FilterStatus.StopIteration, "held past its head");
    assert.equal(host.downstreamData(2, request.subarray(head.length)), FilterStatus.Continue);
    const upstream = frames(sent(connection.sentUpstream));
    assert.equal(upstream.length, 1, expectUpstream);
    if (request === denied) {
      assert.equal(new Decoder(upstream[0]).int16(), 18, "the denied request became the ApiVersions probe");
      assert.equal(host.metric("kafka.acl.acl.decisions.topic.write.denied"), 1);
      assert.equal(host.metric("kafka.acl.acl.decisions.topic.write.allowed"), 0);
    } else {
      assert.deepEqual(produceTopics(upstream[0]).topics, ["ok-first"]);
      assert.equal(host.metric("kafka.acl.acl.decisions.topic.write.allowed"), 1);
      assert.equal(host.metric("kafka.acl.acl.decisions.topic.write.denied"), 1);
    }
  }
});

test("a request the codec cannot read fails closed: unknown API key, version above the codec's", () => {
  for (const [apiKey, apiVersion] of [[9999, 0], [3, 99]]) {
    const { host, connection } = newConnection();
    const body = new Encoder().int16(apiKey).int16(apiVersion).int32(5).string("c").build();
    const frame = Buffer.concat([new Encoder().int32(body.length).build(), body]);
    host.downstreamData(2, frame);
    assert.equal(connection.closed, true, `api key ${apiKey} v${apiVersion} closes the connection`);
    assert.equal(connection.sentUpstreamBytes, 0, "nothing reaches the broker");
    assert.equal(host.metric("kafka.acl.filter.acl_connections_closed"), 1);
  }
});

test("a Fetch the filter answers itself (an id it has not learned) is not walked as a Fetch response: walk_errors stays 0", () => {
  const { host, connection } = newConnection();
  const request = fetchRequestByTopicId({ correlationId: 5, topicIds: [Buffer.alloc(16, 7)] });
  assert.equal(host.downstreamData(2, request), FilterStatus.Continue);
  const upstream = frames(sent(connection.sentUpstream));
  const probe = new Decoder(upstream[0]);
  assert.deepEqual([probe.int16(), probe.int16(), probe.int32()], [18, 0, 5], "the Fetch became an ApiVersions v0 probe");
  // The broker answers the probe (ApiVersions v0: error code, empty api_keys).
  const probeAnswer = new Encoder().int32(5).int16(0).int32(0).build();
  host.upstreamData(2, Buffer.concat([new Encoder().int32(probeAnswer.length).build(), probeAnswer]));
  const [answer] = frames(sent(connection.sentDownstream));
  const d = new Decoder(answer);
  assert.equal(d.int32(), 5);
  d.skipTags();
  const fetched = parseFetchResponse(answer.subarray(d.pos));
  assert.equal(fetched.topics[0].partitions[0].errorCode, 100, "UNKNOWN_TOPIC_ID");
  assert.equal(host.metric("kafka.acl.filter.walk_errors"), 0);
  assert.equal(host.metric("kafka.acl.errors.Fetch.UNKNOWN_TOPIC_ID"), 1, "counted as the error the client received");
});

// Topic ids across Envoy's workers, in-process: two VMs of the filter (one per worker)
// sharing one proxy-wasm shared-data store. A client's Metadata response (which teaches a
// topic's id) and its Fetch by id (v13+) may pass different workers; the per-topic stats
// and the consumer lag series must still be labelled by the topic's name, not
// unknown_topic_id (topics.ts SharedTopicNames, acl/topic-ids.ts HostTopicIdStore).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyWasmHost } from "./host.mjs";
import { fetchRequestByTopicId, fetchResponseByTopicId, metadataRequest, metadataResponse, uuidBytes } from "../integration/support/kafka-wire.mjs";
import { compiledFilter } from "../../scripts/lib/build.mjs";

const CLIENT = "ids-consumer";
const lagSeries = (topic) => `kafka.kafka.consumer_lag.client_id.${CLIENT}.${topic}.sum_records`;

/** One worker's VM with consumer lag on, sharing `shared`'s store (none: its own). */
function worker(shared) {
  const host = new ProxyWasmHost(compiledFilter(), { config: { consumer_lag: {} } }).start();
  if (shared) host.sharedData = shared.sharedData;
  return host;
}

let correlationId = 0;
let connectionId = 1;
/** A Metadata exchange naming `topics` ({ name, id }) on a new connection of `host`. */
function metadata(host, topics) {
  const id = ++connectionId;
  host.openConnection(id);
  correlationId += 1;
  host.downstreamData(id, metadataRequest({ correlationId, version: 12, topics: topics.map((t) => t.name) }));
  host.upstreamData(id, metadataResponse({ correlationId, topics: topics.map((t) => ({ name: t.name, id: uuidBytes(t.id) })) }));
  host.closeConnection(id);
}

/** A Fetch by id at `position`, answered with high watermark `end`, on connection `id` of `host`. */
function fetch(host, id, topicId, position, end) {
  if (!host.connections.has(id)) host.openConnection(id);
  correlationId += 1;
  host.downstreamData(id, fetchRequestByTopicId({ correlationId, topicIds: [topicId], fetchOffset: position, clientId: CLIENT }));
  host.upstreamData(id, fetchResponseByTopicId({ correlationId, topicIds: [topicId], highWatermark: end }));
}

test("a topic id one worker learned from a Metadata response labels Fetch-by-id traffic on the other worker by name", () => {
  const a = worker();
  const b = worker(a);
  const topic = { name: "orders.eu", id: "AAAAAAAAAAAAAAAAAAAAEQ" };
  metadata(a, [topic]);
  fetch(b, 100, topic.id, 300, 1000);
  assert.equal(b.metric(lagSeries(topic.name)), 700, JSON.stringify(b.gauges().filter(([name]) => name.includes("consumer_lag"))));
  assert.equal(b.metric(lagSeries("unknown_topic_id")), 0);
  assert.deepEqual([...a.violations, ...b.violations], []);
});

test("without a shared store (another Envoy, say) the id stays unknown_topic_id: the label comes from the store, not from the Fetch", () => {
  const a = worker();
  const b = worker();
  const topic = { name: "orders.us", id: "AAAAAAAAAAAAAAAAAAAAIg" };
  metadata(a, [topic]);
  fetch(b, 100, topic.id, 0, 50);
  assert.equal(b.metric(lagSeries("unknown_topic_id")), 50);
  assert.equal(b.metric(lagSeries(topic.name)), 0);
});

test("an id no worker has learned is asked of the store again only after 255 more lookups of it, then found", () => {
  const a = worker();
  const b = worker(a);
  const topic = { name: "late.topic", id: "AAAAAAAAAAAAAAAAAAAAMw" };
  fetch(b, 100, topic.id, 0, 10);
  assert.equal(b.metric(lagSeries("unknown_topic_id")), 10);
  metadata(a, [topic]);
  // A Fetch looks the id up when its request and its response are walked; the miss is
  // remembered for 255 lookups, so the name arrives after about 128 more Fetches, not at once.
  let fetches = 0;
  while (b.metric(lagSeries(topic.name)) === 0 && fetches < 400) {
    fetch(b, 100, topic.id, 0, 10);
    fetches += 1;
  }
  assert.ok(b.metric(lagSeries(topic.name)) === 10, `never labelled by name after ${fetches} fetches`);
  assert.ok(fetches > 100 && fetches <= 256, `labelled by name after ${fetches} fetches: the miss was not remembered, or never forgotten`);
});

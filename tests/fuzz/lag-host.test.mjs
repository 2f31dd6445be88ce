// Consumer lag across Envoy's workers, in-process: two VMs of the filter (one per worker)
// sharing one proxy-wasm shared-data store, as Envoy shares it between the VMs of one
// vm_id. Each VM sees the fetch connections on its worker only; the max gauge must be the
// largest partition lag over both, not the sum of each worker's max (lag/shared-max.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyWasmHost } from "./host.mjs";
import { fetchRequestByTopicId, fetchResponseByTopicId } from "../integration/support/kafka-wire.mjs";
import { compiledFilter } from "../../scripts/lib/build.mjs";

const TOPIC_ID = "AAAAAAAAAAAAAAAAAAAAAQ";
const CLIENT = "lag-consumer";
const SERIES = `kafka.kafka.consumer_lag.client_id.${CLIENT}.unknown_topic_id.`;
const EXPIRY_MS = 10000;

/** One worker's VM, on a clock the test moves (ms), sharing `shared` (null: its own store). */
function worker(clock, shared) {
  const host = new ProxyWasmHost(compiledFilter(), { config: { consumer_lag: { expiry_ms: EXPIRY_MS } }, clock: () => BigInt(clock.ms) * 1000000n }).start();
  if (shared) host.sharedData = shared.sharedData;
  return host;
}

let correlationId = 0;
/** A Fetch of partition 0 at `position` on connection `id`, answered with high watermark `end`: lag end - position. */
function fetch(host, id, position, end) {
  if (!host.connections.has(id)) host.openConnection(id);
  correlationId += 1;
  host.downstreamData(id, fetchRequestByTopicId({ correlationId, topicIds: [TOPIC_ID], fetchOffset: position, clientId: CLIENT }));
  host.upstreamData(id, fetchResponseByTopicId({ correlationId, topicIds: [TOPIC_ID], highWatermark: end }));
}

test("the lag max gauge is the largest over both workers' fetch connections, and follows it down and out", () => {
  const clock = { ms: 1_000_000 };
  const a = worker(clock);
  const b = worker(clock, a);
  fetch(a, 2, 300, 1000);
  assert.equal(a.metric(SERIES + "max_records"), 700);
  assert.equal(a.metric(SERIES + "sum_records"), 700);
  // Worker b's consumer is less behind: the max stays worker a's (the old gauges added them: 1000).
  clock.ms += 100;
  fetch(b, 2, 700, 1000);
  assert.equal(b.metric(SERIES + "max_records"), 700, "set to the larger of the two, by the VM that wrote last");
  assert.equal(b.metric(SERIES + "sum_records"), 300, "the sum gauge still moves by each VM's own change");
  // Worker a's consumer catches up: worker b's lag is now the largest.
  clock.ms += 100;
  fetch(a, 2, 950, 1000);
  assert.equal(a.metric(SERIES + "max_records"), 300);
  // Worker b's configuration goes (a reload or its VM stopping): its entry leaves with it.
  assert.equal(b.finishRootContext(1), 1);
  assert.equal(b.metric(SERIES + "max_records"), 50);
  assert.deepEqual([...a.violations, ...b.violations], []);
});

test("a worker's entry that stops being written (its VM failed) ages out after expiry_ms; a live worker's is kept fresh by its timer", () => {
  const clock = { ms: 5_000_000 };
  const a = worker(clock);
  const b = worker(clock, a);
  const c = worker(clock, a);
  fetch(a, 2, 0, 900);   // a: 900, then a fails (never runs again)
  fetch(b, 2, 0, 400);   // b: 400, alive, its lag does not change
  assert.equal(b.metric(SERIES + "max_records"), 900);
  // Time passes; b keeps fetching the same positions, so its lag never changes (no new write but its timer's).
  for (let i = 0; i < 12; i++) {
    clock.ms += 1000;
    fetch(b, 2, 0, 400);
    b.tick();
  }
  // c writes after a's entry is older than expiry_ms: a's 900 is gone, b's 400 (refreshed by its ticks) stays.
  fetch(c, 2, 100, 300);
  assert.equal(c.metric(SERIES + "max_records"), 400);
  assert.deepEqual([...b.violations, ...c.violations], []);
});

test("one worker alone: the max gauge is its own max, as before", () => {
  const clock = { ms: 1_000 };
  const a = worker(clock);
  fetch(a, 2, 0, 500);
  fetch(a, 3, 0, 800);
  assert.equal(a.metric(SERIES + "max_records"), 800);
  assert.equal(a.metric(SERIES + "sum_records"), 1300);
  fetch(a, 3, 800, 800);
  assert.equal(a.metric(SERIES + "max_records"), 500);
});

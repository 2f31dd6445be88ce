// A plugin configuration reload in one VM (an LDS update, an ACL reload), in-process
// under the proxy-wasm host: Envoy configures a new root context next to the running
// one, and calls proxy_on_done on the old one once its listener has drained. The
// filter's wasm_memory_bytes gauge must then count the VM once, not once per reload
// (the soak, tools/soak/soak.mjs, found it growing by the VMs' memory at every reload).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyWasmHost } from "./host.mjs";
import { compiledFilter } from "../../scripts/lib/build.mjs";

const gauge = (prefix) => `kafka.${prefix}.filter.wasm_memory_bytes`;

test("wasm_memory_bytes counts the VM once across configuration reloads: a replaced root context takes its share back at proxy_on_done", () => {
  const host = new ProxyWasmHost(compiledFilter(), { config: { stat_prefix: "reload" } }).start();
  host.openConnection(2);
  host.closeConnection(2);
  assert.equal(host.metric(gauge("reload")), host.memoryBytes, "one root context: the VM's memory");

  // A new configuration with the same stat_prefix: while the old one drains, both report the VM.
  host.addRootContext(3, { stat_prefix: "reload", max_topic_labels: 5 });
  assert.ok(host.metric(gauge("reload")) > host.memoryBytes, "both root contexts alive: counted by each");
  assert.equal(host.finishRootContext(1), 1, "proxy_on_done answers done");
  assert.equal(host.metric(gauge("reload")), host.memoryBytes, "the old root context's share is gone");

  // A new stat_prefix: the old gauge empties, the new one has the VM.
  host.addRootContext(4, { stat_prefix: "renamed" });
  host.finishRootContext(3);
  assert.equal(host.metric(gauge("reload")), 0);
  assert.equal(host.metric(gauge("renamed")), host.memoryBytes);
  assert.deepEqual(host.violations, [], "no gauge went below zero, no host contract broken");
});

test("configuration reloads retain nothing: after a few reloads the VM's memory stays flat over hundreds more", async () => {
  // The soak saw the Wasm memory step up at some ACL reloads (while old and new
  // configurations are both alive, and linear memory never shrinks). This pins that the
  // steps are the high-water mark of two live configurations, not retention: a
  // replaced root context leaves nothing behind once Envoy deletes it.
  const { ACL_CONFIG } = await import("./engine.mjs");
  const config = { ...ACL_CONFIG, record_age: true, consumer_lag: {}, batch_size_histograms: true };
  const host = new ProxyWasmHost(compiledFilter(), { config }).start();
  let live = 1;
  const reload = (id) => {
    host.addRootContext(id, config);
    host.finishRootContext(live);
    live = id;
  };
  for (let id = 10; id < 40; id++) reload(id);
  const settled = host.memoryBytes;
  for (let id = 40; id < 340; id++) reload(id);
  assert.equal(host.memoryBytes, settled, `memory grew from ${settled} to ${host.memoryBytes} bytes over 300 reloads`);
  assert.deepEqual(host.violations, []);
});

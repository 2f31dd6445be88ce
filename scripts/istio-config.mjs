#!/usr/bin/env node
// Writes the Istio manifests for the filter (README "Istio") into one directory:
//   kafka-filter-stats.yaml  ConfigMap: the stats tags and histogram buckets (bootstrap override)
//   sidecar.yaml             WasmPlugin (type NETWORK) on the brokers' inbound Kafka port
//   gateway.yaml             Gateway, VirtualService and one WasmPlugin per broker (cluster mode)
//   gateway-values.yaml      values for the istio/gateway Helm chart (ports, stats annotation)
//
//   node scripts/istio-config.mjs --nodes 1=HOST:PORT,2=HOST:PORT… [options]
//
//   --nodes ID=HOST:PORT,…     the brokers: node id and a Service (one per broker) Istio routes to
//   --port 9092                the gateway's first listener port (lowest node id; then + 1, …)
//   --advertised-host HOST     the gateway's address as clients reach it (its load balancer's name)
//   --namespace kafka          where the resources go
//   --image oci://…            the WasmPlugin url (scripts/oci-image.sh pushes it)
//   --broker-selector L=V      the broker pods' label, for the sidecar case
//   --broker-port 9092         the brokers' Kafka port, for the sidecar case
//   --gateway kafka-gateway    the gateway's name (its pods carry istio=<name>)
//   --config plugin.json       the plugin configuration (default: envoy/envoy.yaml's)
//   --out-dir deploy/istio     where to write
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { parseNodes } from "./lib/cluster-config.mjs";
import { ISTIO_DEFAULTS, renderIstioManifests } from "./lib/istio.mjs";

try {
  const { values: options } = parseArgs({
    options: {
      nodes: { type: "string" },
      port: { type: "string", default: String(ISTIO_DEFAULTS.port) },
      "advertised-host": { type: "string" },
      namespace: { type: "string", default: ISTIO_DEFAULTS.namespace },
      image: { type: "string", default: ISTIO_DEFAULTS.image },
      "broker-selector": { type: "string", default: ISTIO_DEFAULTS.brokerSelector },
      "broker-port": { type: "string", default: String(ISTIO_DEFAULTS.brokerPort) },
      gateway: { type: "string", default: ISTIO_DEFAULTS.gateway },
      config: { type: "string" },
      "out-dir": { type: "string" },
    },
  });
  if (!options.nodes) throw new Error("--nodes ID=HOST:PORT[,…] is required (the brokers, each a Service Istio routes to)");
  if (!options["advertised-host"]) throw new Error("--advertised-host is required (the gateway's address as clients reach it)");
  if (!options["out-dir"]) throw new Error("--out-dir is required");
  let pluginConfig;
  if (options.config) {
    try { pluginConfig = JSON.parse(fs.readFileSync(options.config, "utf8")); } catch (error) {
      throw new Error(`--config ${options.config}: ${error.message}`);
    }
  }
  const { files, listeners } = renderIstioManifests({
    namespace: options.namespace,
    image: options.image,
    brokerSelector: options["broker-selector"],
    brokerPort: Number(options["broker-port"]),
    gateway: options.gateway,
    brokers: parseNodes(options.nodes),
    firstPort: Number(options.port),
    advertisedHost: options["advertised-host"],
    pluginConfig,
    command: ["node scripts/istio-config.mjs", ...process.argv.slice(2)].join(" "),
  });
  fs.mkdirSync(options["out-dir"], { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(options["out-dir"], name), text);
  for (const l of listeners) console.error(`node ${l.nodeId}: gateway port ${l.port} -> ${l.host}:${l.brokerPort} (stat_prefix ${l.pluginConfig.stat_prefix})`);
  console.error(`wrote ${Object.keys(files).map((name) => path.join(options["out-dir"], name)).join(", ")}`);
} catch (error) {
  console.error(`istio-config: ${error.message.replace(/\n/g, " ")}`);
  process.exit(1);
}

// Istio manifests for the filter (README "Istio"), generated from the same sources as the
// plain Envoy configurations: the stats tags and histogram buckets from envoy/envoy.yaml,
// and the gateway's per-broker plugin configurations from renderClusterEnvoyConfig (the
// library behind scripts/cluster-config.mjs), so they cannot drift apart.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { renderClusterEnvoyConfig, root } from "./envoy.mjs";

/** The defaults behind the shipped deploy/istio/ files (README "Istio"). */
export const ISTIO_DEFAULTS = {
  namespace: "kafka",
  image: "oci://registry.example.com/kafka-filter:0.1.0",
  brokerSelector: "app.kubernetes.io/name=kafka",
  brokerPort: 9092,
  gateway: "kafka-gateway",
  nodes: "1=kafka-broker-1.kafka.svc.cluster.local:9092,2=kafka-broker-2.kafka.svc.cluster.local:9092,3=kafka-broker-3.kafka.svc.cluster.local:9092",
  port: 9092,
  advertisedHost: "kafka.example.com",
  outDir: "deploy/istio",
};

/** The ConfigMap that both the brokers' sidecars and the gateway name in sidecar.istio.io/bootstrapOverride. */
export const STATS_CONFIGMAP = "kafka-filter-stats";

/** The command line that regenerates the shipped deploy/istio/ files. */
export const ISTIO_DEFAULT_COMMAND = `node scripts/istio-config.mjs --nodes ${ISTIO_DEFAULTS.nodes} ` +
  `--port ${ISTIO_DEFAULTS.port} --advertised-host ${ISTIO_DEFAULTS.advertisedHost} --out-dir ${ISTIO_DEFAULTS.outDir}`;

/**
 * The Envoy bootstrap fragment Istio's proxies need for the filter's metrics: envoy.yaml's
 * `stats_config.stats_tags` and `histogram_bucket_settings`, nothing else. istio-agent hands
 * the file named by the pod annotation sidecar.istio.io/bootstrapOverride to Envoy as
 * `--config-yaml` (istio pkg/envoy/proxy.go), which Envoy merges into Istio's bootstrap:
 * repeated fields are appended, so Istio's own tags stay. Istio's `extraStatTags` cannot
 * express these: it only adds tags in Istio's own `name=.=value;.;` stat-name format.
 */
export function statsBootstrapFragment() {
  const template = YAML.parse(fs.readFileSync(path.join(root, "envoy/envoy.yaml"), "utf8"));
  const { stats_tags, histogram_bucket_settings } = template.stats_config;
  if (!stats_tags || !histogram_bucket_settings) throw new Error("envoy/envoy.yaml lost its stats_tags or histogram_bucket_settings");
  return { stats_config: { stats_tags, histogram_bucket_settings } };
}

/** The plugin configuration in envoy/envoy.yaml's Kafka listener (the defaults every deployment starts from). */
function templatePluginConfig() {
  const template = YAML.parse(fs.readFileSync(path.join(root, "envoy/envoy.yaml"), "utf8"));
  const listener = template.static_resources.listeners.find((l) => l.name === "kafka");
  const wasm = listener.filter_chains[0].filters.find((f) => f.name === "envoy.filters.network.wasm");
  return JSON.parse(wasm.typed_config.config.configuration.value);
}

/** "key=value" into { key: value }; throws naming `option` when malformed. */
function parseLabel(text, option) {
  const match = /^([A-Za-z0-9./_-]+)=([A-Za-z0-9._-]*)$/.exec(String(text));
  if (!match) throw new Error(`${option} must be LABEL=VALUE, got "${text}"`);
  return { [match[1]]: match[2] };
}

/**
 * A WasmPlugin (extensions.istio.io/v1alpha1) that inserts the filter as a network filter
 * (`type: NETWORK`, Istio 1.20+; `failStrategy: FAIL_RELOAD`, Istio 1.27+) into the TCP filter
 * chains `match` selects, in the STATS phase: after Istio's own authorization filters and
 * right before tcp_proxy, where envoy/envoy.yaml puts it. `pluginConfig` is the plugin
 * configuration; Istio passes it to the module as JSON text (a StringValue), as envoy.yaml does.
 */
function wasmPlugin({ name, namespace, selector, image, match, pluginConfig }) {
  return {
    apiVersion: "extensions.istio.io/v1alpha1",
    kind: "WasmPlugin",
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: selector },
      url: image,
      imagePullPolicy: "IfNotPresent",
      pluginName: "kafka_filter",
      type: "NETWORK",
      phase: "STATS",
      failStrategy: "FAIL_RELOAD",
      match,
      pluginConfig,
    },
  };
}

/**
 * Renders the Istio manifests (README "Istio"). Options (all have ISTIO_DEFAULTS):
 *  - `namespace`: where every resource goes (the brokers' namespace for the sidecar case).
 *  - `image`: the WasmPlugin `url` (oci://…, as scripts/oci-image.sh pushes it).
 *  - `brokerSelector` ("label=value"), `brokerPort`: the broker pods and the port whose
 *    inbound (SERVER) traffic the sidecar case filters.
 *  - `gateway`: the gateway's name; its pods carry the label `istio: <gateway>` (what the
 *    istio/gateway Helm chart sets for a release of that name).
 *  - `brokers` ([{ nodeId, host, port }]: each host must be a Service Istio knows, one per
 *    broker), `firstPort`, `advertisedHost`: the gateway's listeners, one per broker from
 *    `firstPort` in node-id order, and the rewrite map, exactly as renderClusterEnvoyConfig
 *    computes them for the same arguments.
 *  - `pluginConfig`: the plugin configuration (default: envoy/envoy.yaml's).
 *  - `command`: recorded in each file's header.
 * Returns { files: { "<name>.yaml": text }, listeners: [{ nodeId, port, host, brokerPort, pluginConfig }] }.
 * Throws as renderClusterEnvoyConfig does, and on a malformed selector or port.
 */
export function renderIstioManifests(options = {}) {
  const o = { ...ISTIO_DEFAULTS, ...options };
  const plugin = o.pluginConfig ?? templatePluginConfig();
  if (!Number.isInteger(o.brokerPort) || o.brokerPort < 1 || o.brokerPort > 65535) throw new Error(`the broker port must be 1-65535, got ${o.brokerPort}`);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(o.gateway)) throw new Error(`the gateway name must be a DNS label, got "${o.gateway}"`);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(o.namespace)) throw new Error(`the namespace must be a DNS label, got "${o.namespace}"`);
  const header = (what) => [
    `# ${what}`,
    "# GENERATED by scripts/istio-config.mjs (README \"Istio\"); do not edit.",
    ...(o.command ? [`# Regenerate: ${o.command}`] : []),
    "",
  ].join("\n");
  const documents = (docs) => docs.map((doc) => YAML.stringify(doc, { lineWidth: 0 })).join("---\n");

  const statsConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: STATS_CONFIGMAP, namespace: o.namespace },
    data: { "custom_bootstrap.json": `${JSON.stringify(statsBootstrapFragment(), null, 2)}\n` },
  };

  // The sidecar case: the brokers' own sidecars filter their inbound Kafka port. Clients
  // reach each broker at its own advertised address, so no address rewriting.
  const sidecarPlugin = wasmPlugin({
    name: "kafka-filter",
    namespace: o.namespace,
    selector: parseLabel(o.brokerSelector, "--broker-selector"),
    image: o.image,
    match: [{ mode: "SERVER", ports: [{ number: o.brokerPort }] }],
    pluginConfig: { ...plugin, stat_prefix: o.pluginConfig?.stat_prefix ?? "broker" },
  });

  // The gateway case: cluster mode's listeners, computed by the cluster-mode generator.
  const cluster = renderClusterEnvoyConfig({
    brokers: o.brokers, firstPort: o.firstPort, listenAddress: "0.0.0.0", advertisedHost: o.advertisedHost,
    adminPort: 15000, wasmFile: "unused", pluginConfig: o.pluginConfig,
  });
  const clusters = new Map(cluster.static_resources.clusters.map((c) => [c.name, c]));
  const listeners = cluster.static_resources.listeners.map((listener) => {
    const filters = listener.filter_chains[0].filters;
    const pluginConfig = JSON.parse(filters.find((f) => f.name === "envoy.filters.network.wasm").typed_config.config.configuration.value);
    const upstream = clusters.get(filters.find((f) => f.name === "envoy.filters.network.tcp_proxy").typed_config.cluster)
      .load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
    return {
      nodeId: Number(/_(\d+)$/.exec(listener.name)[1]),
      port: listener.address.socket_address.port_value,
      host: upstream.address,
      brokerPort: upstream.port_value,
      pluginConfig,
    };
  });
  const gatewaySelector = { istio: o.gateway };
  const gateway = {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { name: o.gateway, namespace: o.namespace },
    spec: {
      selector: gatewaySelector,
      servers: listeners.map((l) => ({ port: { number: l.port, name: `tcp-kafka-broker-${l.nodeId}`, protocol: "TCP" }, hosts: ["*"] })),
    },
  };
  const virtualService = {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: o.gateway, namespace: o.namespace },
    spec: {
      hosts: ["*"],
      gateways: [o.gateway],
      tcp: listeners.map((l) => ({
        match: [{ port: l.port }],
        route: [{ destination: { host: l.host, port: { number: l.brokerPort } } }],
      })),
    },
  };
  // One WasmPlugin per listener: each broker's listener has its own stat_prefix, and every
  // one the same broker_addresses map. A WasmPlugin's `match.ports` selects the gateway
  // listener on that Gateway server port.
  const gatewayPlugins = listeners.map((l) => wasmPlugin({
    name: `${o.gateway}-broker-${l.nodeId}`,
    namespace: o.namespace,
    selector: gatewaySelector,
    image: o.image,
    match: [{ ports: [{ number: l.port }] }],
    pluginConfig: l.pluginConfig,
  }));
  // Values for the istio/gateway Helm chart: the Service ports (the chart's list is replaced
  // whole, so its status port is repeated) and the stats annotation.
  const gatewayValues = {
    podAnnotations: { "sidecar.istio.io/bootstrapOverride": STATS_CONFIGMAP },
    service: {
      ports: [
        { name: "status-port", port: 15021, protocol: "TCP", targetPort: 15021 },
        ...listeners.map((l) => ({ name: `tcp-kafka-broker-${l.nodeId}`, port: l.port, protocol: "TCP", targetPort: l.port })),
      ],
    },
  };

  const brokersLine = `# Brokers: ${listeners.map((l) => `${l.nodeId}=${l.host}:${l.brokerPort} on gateway port ${l.port}`).join(", ")}`;
  return {
    listeners,
    files: {
      "kafka-filter-stats.yaml": header("The filter's stats tags and histogram buckets for Istio's proxies (pod annotation sidecar.istio.io/bootstrapOverride: kafka-filter-stats).") +
        documents([statsConfigMap]),
      "sidecar.yaml": header("The filter in the Kafka brokers' sidecars, on their inbound Kafka port.") + documents([sidecarPlugin]),
      "gateway.yaml": header("A Kafka gateway: one gateway listener per broker, each with the filter (its broker_addresses map keeps clients on the gateway) and a TCP route to that broker.") +
        `${brokersLine}\n` + documents([gateway, virtualService, ...gatewayPlugins]),
      "gateway-values.yaml": header(`Values for the istio/gateway Helm chart: helm install ${o.gateway} istio/gateway -n ${o.namespace} -f gateway-values.yaml`) +
        documents([gatewayValues]),
    },
  };
}

// Cluster mode's Envoy configuration: discover a Kafka cluster's brokers through a
// Metadata request, and write the Envoy YAML with one filter listener per broker
// (renderClusterEnvoyConfig in envoy.mjs, from envoy/envoy.yaml). Used by
// scripts/cluster-config.mjs (the command), scripts/stack.mjs (`npm start`) and the tests.
import path from "node:path";
import YAML from "yaml";
import kafkajs from "kafkajs";
import { renderClusterEnvoyConfig, root, validateEnvoyConfig } from "./envoy.mjs";
import { splitAddress } from "./kafka.mjs";

const { Kafka, logLevel } = kafkajs;

/**
 * Asks the cluster behind `bootstrap` ("host:port,host:port…") for its brokers with a
 * Metadata request (kafkajs admin describeCluster), then for every topic's replicas.
 * Returns { clusterId, controller, brokers: [{ nodeId, host, port }] } sorted by node
 * id: each broker's advertised
 * address on the listener the bootstrap address belongs to. Throws naming the bootstrap
 * addresses when none answers within `timeoutMs`, and when a node id in the topics'
 * replica lists is not among the brokers (a broker that is down or fenced). `ssl`
 * (kafkajs' option, e.g. { ca: [pem] }) discovers over TLS, for brokers whose listener is SSL.
 */
export async function discoverBrokers(bootstrap, { timeoutMs = 10000, ssl } = {}) {
  const addresses = String(bootstrap).split(",").map((a) => a.trim()).filter(Boolean);
  if (addresses.length === 0) throw new Error("--bootstrap needs at least one HOST:PORT");
  for (const address of addresses) {
    try { splitAddress(address); } catch (error) { throw new Error(`--bootstrap: ${error.message}`); }
  }
  const kafka = new Kafka({
    clientId: "kafka-filter-cluster-config",
    brokers: addresses,
    ssl,
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 5000),
    requestTimeout: timeoutMs,
    retry: { retries: 3, initialRetryTime: 300, maxRetryTime: 2000 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    const brokers = cluster.brokers.map(({ nodeId, host, port }) => ({ nodeId, host, port }))
      .sort((a, b) => a.nodeId - b.nodeId);
    if (brokers.length === 0) throw new Error("Metadata named no brokers");
    // Metadata names only the brokers that are up: one down now would get no listener,
    // and once back, every response naming it would close the client's connection
    // (unknown node id). Replica lists still name it: refuse rather than write that.
    const { topics } = await admin.fetchTopicMetadata();
    const known = new Set(brokers.map((b) => b.nodeId));
    const missing = [...new Set(topics.flatMap((t) => t.partitions.flatMap((p) => p.replicas)))]
      .filter((id) => !known.has(id)).sort((a, b) => a - b);
    if (missing.length > 0) {
      throw new Error(`node id(s) ${missing.join(", ")} hold partition replicas but are not among the brokers ` +
        `Metadata names (${[...known].join(", ")}): down or fenced? Without a listener for them, clients ` +
        "would be disconnected once they return; start them, or give every broker with --nodes ID=HOST:PORT,…");
    }
    return { clusterId: cluster.clusterId, controller: cluster.controller, brokers };
  } catch (error) {
    throw new Error(`could not discover the brokers through ${addresses.join(",")}: ${error.message}`);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Parses "1=host:port,2=host:port" (a cluster given without discovery) into brokers. */
export function parseNodes(text) {
  return String(text).split(",").map((entry) => entry.trim()).filter(Boolean).map((entry) => {
    const match = /^(\d+)=(.+)$/.exec(entry);
    if (!match) throw new Error(`--nodes entries are NODE_ID=HOST:PORT, got "${entry}"`);
    let host, port;
    try { [host, port] = splitAddress(match[2]); } catch (error) { throw new Error(`--nodes: ${error.message}`); }
    return { nodeId: Number(match[1]), host, port };
  });
}

/**
 * The cluster configuration as YAML text, with a header saying where it came from, what
 * TLS it does (`downstreamTls`, `upstreamTls` as renderClusterEnvoyConfig's) and how to
 * regenerate it (`command`).
 */
export function clusterConfigYaml(config, { brokers, command, sni, downstreamTls, upstreamTls }) {
  const shape = sni ? [
    "# Envoy in front of a Kafka cluster, SNI mode: one TLS listener; the TLS inspector routes",
    "# each connection by its server name to a filter chain per broker (the Kafka Wasm filter",
    "# advertises every broker as its SNI name on this port, then tcp_proxy to that broker).",
    "# GENERATED from envoy/envoy.yaml by scripts/cluster-config.mjs; do not edit.",
  ] : [
    "# Envoy in front of a Kafka cluster: one listener per broker, each with the Kafka Wasm",
    "# filter (its broker_addresses map sends clients to these listeners) and tcp_proxy to",
    "# that broker. GENERATED from envoy/envoy.yaml by scripts/cluster-config.mjs; do not edit.",
  ];
  const tls = [];
  if (downstreamTls) {
    const clients = downstreamTls.requireClientCert ? "mutual TLS: clients without a certificate are refused"
      : downstreamTls.caFile ? "client certificates verified when presented" : "no client certificates";
    tls.push(`# Client TLS: terminated by Envoy on every filter chain (${clients}); the filter sees plaintext Kafka.`);
  }
  if (upstreamTls) tls.push("# Broker TLS: Envoy connects to every broker over TLS, verifying its certificate.");
  const header = [
    ...shape,
    ...tls,
    `# Brokers: ${brokers.map((b) => `${b.nodeId}=${b.host}:${b.port}`).join(", ")}`,
    ...(command ? [`# Regenerate: ${command}`] : []),
    "",
  ].join("\n");
  return header + YAML.stringify(config, { lineWidth: 0 });
}

/**
 * Renders (and, with `validate`, checks with `envoy --mode validate`, writing to
 * `validateFile`) the configuration fronting `brokers`; options as renderClusterEnvoyConfig.
 * Returns { config, yaml, listeners: [{ nodeId, port, advertised, upstream, statPrefix }] }.
 */
export function generateClusterConfig({ brokers, command, validate = true, validateFile, ...options }) {
  const config = renderClusterEnvoyConfig({ brokers, ...options });
  const yaml = clusterConfigYaml(config, { brokers, command, sni: options.sni, downstreamTls: options.downstreamTls, upstreamTls: options.upstreamTls });
  // Without a file of the caller's, each run validates its own copy: two generators may run at once.
  if (validate) validateEnvoyConfig(yaml, validateFile ?? path.join(root, ".run/cluster-config", `validate-${process.pid}.yaml`));
  return { config, yaml, listeners: describeListeners(config) };
}

/**
 * What each filter chain of a cluster configuration does, read back from the
 * configuration itself: [{ nodeId (null for SNI mode's bootstrap chain), name, address,
 * port, serverNames (SNI mode, else undefined), tls (whether it terminates client TLS),
 * statPrefix, advertised (the address clients are sent to for that node), upstream }].
 */
export function describeListeners(config) {
  const clusters = new Map(config.static_resources.clusters.map((c) => [c.name, c]));
  return config.static_resources.listeners.flatMap((listener) => listener.filter_chains.map((chain) => {
    const filters = chain.filters;
    const plugin = JSON.parse(filters.find((f) => f.name === "envoy.filters.network.wasm").typed_config.config.configuration.value);
    const clusterName = filters.find((f) => f.name === "envoy.filters.network.tcp_proxy").typed_config.cluster;
    const upstream = clusters.get(clusterName).load_assignment.endpoints[0].lb_endpoints
      .map((e) => `${e.endpoint.address.socket_address.address}:${e.endpoint.address.socket_address.port_value}`).join(",");
    const match = /_(\d+)$/.exec(chain.name ?? listener.name);
    const nodeId = match ? Number(match[1]) : null;
    const addresses = plugin.broker_addresses ?? {};
    const advertised = nodeId === null ? undefined : addresses.nodes?.[String(nodeId)] ??
      (addresses.host_template ? `${addresses.host_template.split("{node_id}").join(String(nodeId))}:${addresses.port}` : undefined);
    return {
      nodeId,
      name: chain.name ?? listener.name,
      address: listener.address.socket_address.address,
      port: listener.address.socket_address.port_value,
      serverNames: chain.filter_chain_match?.server_names,
      tls: chain.transport_socket !== undefined,
      statPrefix: plugin.stat_prefix,
      advertised,
      upstream,
    };
  }));
}

/**
 * The docker-compose cluster variant (docker-compose.cluster.yml): three brokers
 * advertising kafka-N:9092, Envoy on 9092-9094 advertised as localhost, admin on 9901.
 * envoy/envoy-cluster.yaml is the generator's output for exactly these options.
 */
export const COMPOSE_CLUSTER = {
  nodes: "1=kafka-1:9092,2=kafka-2:9092,3=kafka-3:9092",
  port: 9092,
  adminPort: 9901,
  listenAddress: "0.0.0.0",
  adminAddress: "0.0.0.0",
  advertisedHost: "localhost",
  wasmFile: "build/kafka_filter.wasm",
  out: "envoy/envoy-cluster.yaml",
};

/** The command line that regenerates envoy/envoy-cluster.yaml. */
export const COMPOSE_CLUSTER_COMMAND = `node scripts/cluster-config.mjs --nodes ${COMPOSE_CLUSTER.nodes} ` +
  `--port ${COMPOSE_CLUSTER.port} --admin-port ${COMPOSE_CLUSTER.adminPort} --listen-address ${COMPOSE_CLUSTER.listenAddress} ` +
  `--admin-address ${COMPOSE_CLUSTER.adminAddress} --advertised-host ${COMPOSE_CLUSTER.advertisedHost} --out ${COMPOSE_CLUSTER.out}`;

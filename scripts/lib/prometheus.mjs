// Runs a real Prometheus (Debian's `prometheus` package, scripts/install-prometheus.sh)
// scraping Envoy's /stats/prometheus, for `npm start -- --prometheus` and the tests.
// deploy/prometheus/prometheus.yml (the docker-compose one) is the one source of the
// scrape settings; only the target and the intervals move.
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import YAML from "yaml";
import { root } from "./envoy.mjs";
import { isPortOpen, runInstaller, startProcess, stopProcess, tail, waitFor } from "./processes.mjs";

/** The Prometheus scrape configuration shipped in deploy/, which the tests run unchanged. */
export const PROMETHEUS_CONFIG = path.join(root, "deploy/prometheus/prometheus.yml");
/** The shipped Grafana dashboard (JSON model) whose PromQL the tests evaluate. */
export const DASHBOARD = path.join(root, "deploy/grafana/dashboards/kafka-filter.json");

/**
 * Prometheus and promtool on PATH, installed if missing (apt, through
 * scripts/install-prometheus.sh, which also checks the version against docker-compose.yml's
 * image). Returns the installer's one-line summary; throws naming Prometheus otherwise.
 */
export function requirePrometheus() {
  return runInstaller("Prometheus", path.join(root, "scripts/install-prometheus.sh"));
}

/**
 * deploy/prometheus/prometheus.yml as YAML text, pointed at `targets` (["host:port", …],
 * Envoy admin addresses) instead of the compose stack's kafka:9901. `scrapeInterval`
 * (a Prometheus duration such as "1s") replaces the scrape and evaluation intervals when given.
 * Throws when the file lost its one scrape job.
 */
export function prometheusConfig({ targets, scrapeInterval }) {
  const config = YAML.parse(fs.readFileSync(PROMETHEUS_CONFIG, "utf8"));
  const jobs = config.scrape_configs ?? [];
  if (jobs.length !== 1) throw new Error(`${PROMETHEUS_CONFIG} must have exactly one scrape job, has ${jobs.length}`);
  jobs[0].static_configs = [{ targets }];
  if (scrapeInterval) {
    config.global = { ...config.global, scrape_interval: scrapeInterval, evaluation_interval: scrapeInterval };
  }
  return YAML.stringify(config);
}

/**
 * Starts Prometheus on 127.0.0.1:`port` with prometheusConfig({ targets, scrapeInterval }),
 * its configuration, data directory and log under `runDir`/prometheus (a fresh TSDB each
 * time). Waits for /-/ready; throws when `port` is taken or Prometheus exits. Returns { url, configFile, logFile, dataDir, child, stop(),
 * query(expr) } where query is queryPrometheus on this server.
 */
export async function startPrometheus({ runDir, port, targets, scrapeInterval }) {
  // Another server's /-/ready would pass for ours (the Debian package runs a service on 9090).
  if (await isPortOpen(port)) throw new Error(`port ${port} is in use (the prometheus package's own service?); choose another (npm start: --prometheus-port)`);
  const dir = path.join(runDir, "prometheus");
  fs.rmSync(dir, { recursive: true, force: true });
  const dataDir = path.join(dir, "data");
  fs.mkdirSync(dataDir, { recursive: true });
  const configFile = path.join(dir, "prometheus.yml");
  fs.writeFileSync(configFile, prometheusConfig({ targets, scrapeInterval }));
  const logFile = path.join(dir, "prometheus.log");
  const child = startProcess("prometheus", "prometheus", [
    `--config.file=${configFile}`, `--storage.tsdb.path=${dataDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ], { logFile, cwd: dir });
  let exited = false;
  child.exited.then(() => { exited = true; });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`Prometheus on ${url}`, async () => {
      if (exited) throw new Error(`Prometheus exited during start-up:\n${tail(logFile)}`);
      if (!(await isPortOpen(port))) return false;
      const response = await fetch(`${url}/-/ready`).catch(() => null);
      return response !== null && response.ok;
    }, { timeoutMs: 60000, hint: () => `\n${tail(logFile)}` });
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return { url, configFile, logFile, dataDir, child, stop: () => stopProcess(child), query: (expr, options) => queryPrometheus(url, expr, options) };
}

/**
 * Evaluates PromQL `expr` through Prometheus's HTTP API (/api/v1/query, an instant query
 * at `time`, default now). Returns the API's JSON: { status: "success", data: { resultType,
 * result } } or { status: "error", errorType ("bad_data" for a parse error), error }.
 */
export async function queryPrometheus(url, expr, { time } = {}) {
  const body = new URLSearchParams({ query: expr });
  if (time !== undefined) body.set("time", String(time));
  const response = await fetch(`${url}/api/v1/query`, { method: "POST", body });
  return response.json();
}

/**
 * Runs `promtool` with `args`, `input` on its standard input. Returns { code, stdout, stderr }.
 * promtool's exit codes: 0 fine, 1 error (for `check metrics`: the exposition does not
 * parse), 3 lint problems.
 */
export function promtool(args, { input } = {}) {
  const result = spawnSync("promtool", args, { input, encoding: "utf8", timeout: 60000 });
  if (result.error) throw new Error(`promtool could not run (${result.error.message}); scripts/install-prometheus.sh installs it`);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `prometheus --version`'s version number ("2.42.0"). */
export function prometheusVersion() {
  const result = spawnSync("prometheus", ["--version"], { encoding: "utf8" });
  return `${result.stdout}${result.stderr}`.match(/^prometheus, version (\d+\.\d+\.\d+)/m)?.[1];
}

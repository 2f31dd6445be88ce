// The Grafana dashboard's PromQL, made checkable: its expressions with Grafana's
// variables replaced, the metric and label names an expression uses (read from
// Prometheus's own canonical formatting of it, /api/v1/format_query, so the parsing is
// Prometheus's), and the families and labels in an Envoy /stats/prometheus exposition.
import fs from "node:fs";
import { DASHBOARD } from "../../../scripts/lib/prometheus.mjs";

/** Values for Grafana's variables: the dashboard's `listener` set to All, and its built-in intervals. */
export const GRAFANA_VARIABLES = {
  $__rate_interval: "1m",
  $__interval: "15s",
  $__range: "10m",
  $listener: ".*",
};

/** Grafana expression `expr` as the PromQL Grafana sends, with GRAFANA_VARIABLES substituted. */
export function substituteVariables(expr) {
  let out = expr;
  for (const name of Object.keys(GRAFANA_VARIABLES).sort((a, b) => b.length - a.length)) out = out.split(name).join(GRAFANA_VARIABLES[name]);
  if (/\$\w/.test(out)) throw new Error(`an unknown Grafana variable is left in ${out}`);
  return out;
}

/**
 * The dashboard (deploy/grafana/dashboards/kafka-filter.json) and every PromQL query in it:
 * [{ where: "panel \"title\" target A", expr (as written), promql (variables substituted) }].
 * Panels inside collapsed rows are included.
 */
export function dashboardQueries(file = DASHBOARD) {
  const dashboard = JSON.parse(fs.readFileSync(file, "utf8"));
  const queries = [];
  const visit = (panels) => {
    for (const panel of panels ?? []) {
      for (const target of panel.targets ?? []) {
        queries.push({ where: `panel "${panel.title}" target ${target.refId}`, panel, target, expr: target.expr, promql: substituteVariables(target.expr) });
      }
      visit(panel.panels);
    }
  };
  visit(dashboard.panels);
  return { dashboard, queries };
}

const KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless", "atan2", "inf", "nan"]);
const GROUPING = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);
// Aggregation operators: Prometheus writes them before their grouping, `sum by (a) (…)`.
const AGGREGATORS = new Set(["sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio"]);

/**
 * The metric and label names in a PromQL expression as Prometheus formats it
 * (/api/v1/format_query): { metrics: Set, labels: Set }. Labels are those of selectors'
 * matchers and of by/without/on/ignoring/group_x lists. Meant for Prometheus's canonical
 * output of an expression that parsed; it steps over strings, ranges and numbers, and
 * counts an identifier followed by "(", and an aggregation operator, as a function.
 */
export function namesIn(formatted) {
  const metrics = new Set();
  const labels = new Set();
  const contexts = []; // "labels" for a grouping list, "expr" otherwise
  let inBraces = false;
  let previousWord = null;
  let i = 0;
  const nextNonSpace = (from) => { while (from < formatted.length && /\s/.test(formatted[from])) from++; return formatted[from]; };
  while (i < formatted.length) {
    const c = formatted[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === "\"" || c === "'" || c === "`") {
      i++;
      while (i < formatted.length && formatted[i] !== c) i += formatted[i] === "\\" && c !== "`" ? 2 : 1;
      i++;
      previousWord = null;
      continue;
    }
    if (c === "[") { i = formatted.indexOf("]", i) + 1 || formatted.length; previousWord = null; continue; }
    if (c === "{") { inBraces = true; i++; continue; }
    if (c === "}") { inBraces = false; i++; continue; }
    if (c === "(") { contexts.push(GROUPING.has(previousWord) ? "labels" : "expr"); previousWord = null; i++; continue; }
    if (c === ")") { contexts.pop(); i++; continue; }
    const number = /^(?:0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?[a-z]*)/.exec(formatted.slice(i));
    if (/[0-9.]/.test(c) && number) { i += number[0].length; previousWord = null; continue; }
    const word = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(formatted.slice(i));
    if (word) {
      const name = word[0];
      i += name.length;
      if (inBraces || contexts.at(-1) === "labels") labels.add(name);
      else if (KEYWORDS.has(name.toLowerCase())) { previousWord = name.toLowerCase(); continue; }
      else if (AGGREGATORS.has(name)) { /* an operator, not a metric */ }
      else if (nextNonSpace(i) !== "(") metrics.add(name);
      previousWord = null;
      continue;
    }
    i++; // an operator or a comma
    previousWord = null;
  }
  return { metrics, labels };
}

/**
 * The kafka_* series of a Prometheus text exposition: Map of sample name (histograms'
 * `_bucket`/`_sum`/`_count` included) to { family, type, labels: Set of label names }.
 */
export function exposedMetrics(text, prefix = "kafka_") {
  const types = new Map();
  const series = new Map();
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) { types.set(type[1], type[2]); continue; }
    if (line.startsWith("#") || !line.startsWith(prefix)) continue;
    const sample = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s/.exec(line);
    if (!sample) continue;
    const name = sample[1];
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, "");
    const entry = series.get(name) ?? { family, type: types.get(family), labels: new Set() };
    for (const m of (sample[2] ?? "").matchAll(/([A-Za-z_][A-Za-z0-9_]*)="/g)) entry.labels.add(m[1]);
    series.set(name, entry);
  }
  return series;
}

/**
 * What is wrong with the names in `used` ({ metrics, labels } from namesIn) against the
 * filter's exposition `exposed` (exposedMetrics): a list of sentences, empty when every
 * metric is one the filter emits and every label is one of those metrics' labels.
 */
export function nameProblems(used, exposed) {
  const problems = [];
  const labelsOfUsed = new Set();
  for (const metric of used.metrics) {
    const entry = exposed.get(metric);
    if (!entry) { problems.push(`metric ${metric} is not in the filter's exposition`); continue; }
    for (const label of entry.labels) labelsOfUsed.add(label);
  }
  if (used.metrics.size === 0) problems.push("names no metric");
  for (const label of used.labels) {
    if (!labelsOfUsed.has(label)) problems.push(`label ${label} is not a label of ${[...used.metrics].join(", ")} (they have: ${[...labelsOfUsed].sort().join(", ")})`);
  }
  return problems;
}

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
  $instance: ".*",
  $envoy_listener: ".*",
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
 * The kafka_* series (and Envoy's listener gauge the dashboard shows) of a Prometheus text exposition: Map of sample name (histograms'
 * `_bucket`/`_sum`/`_count` included) to { family, type, labels: Set of label names }.
 */
export function exposedMetrics(text, prefixes = ["kafka_", "envoy_listener_downstream_cx_active"]) {
  const types = new Map();
  const series = new Map();
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) { types.set(type[1], type[2]); continue; }
    if (line.startsWith("#") || !prefixes.some((prefix) => line.startsWith(prefix))) continue;
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
 * metric is one the filter emits and every label is one of those metrics' labels (or a
 * target label Prometheus adds, TARGET_LABELS).
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
    if (!labelsOfUsed.has(label) && !TARGET_LABELS.has(label)) problems.push(`label ${label} is not a label of ${[...used.metrics].join(", ")} (they have: ${[...labelsOfUsed].sort().join(", ")})`);
  }
  return problems;
}

// Labels Prometheus adds to every series of a scrape (the target's), not in the exposition.
export const TARGET_LABELS = new Set(["instance", "job"]);

/**
 * Expression tree of a PromQL expression as Prometheus formats it (/api/v1/format_query),
 * enough to check how metrics are used: { kind: "call", name, grouping: { mode, labels } | null,
 * args: [node] } for functions and aggregations, { kind: "metric", name, matchers (the
 * text between braces), range (the text between brackets) or null }, { kind: "number", value },
 * { kind: "string" }, { kind: "binary", op, left, right } (left to right, no precedence:
 * the checks only look at which operands an operator has). Throws on text it cannot follow.
 */
export function parsePromql(formatted) {
  const tokens = [];
  for (let i = 0; i < formatted.length;) {
    const c = formatted[i];
    const rest = formatted.slice(i);
    if (/\s/.test(c)) { i++; continue; }
    if (c === "\"" || c === "'" || c === "`") {
      let j = i + 1;
      while (j < formatted.length && formatted[j] !== c) j += formatted[j] === "\\" && c !== "`" ? 2 : 1;
      tokens.push({ t: "string" }); i = j + 1; continue;
    }
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      let j = i + 1;
      while (j < formatted.length && formatted[j] !== close) {
        if (formatted[j] === "\"") { j++; while (j < formatted.length && formatted[j] !== "\"") j += formatted[j] === "\\" ? 2 : 1; }
        j++;
      }
      tokens.push({ t: c, text: formatted.slice(i + 1, j) }); i = j + 1; continue;
    }
    if ("(),".includes(c)) { tokens.push({ t: c }); i++; continue; }
    const duration = /^(?:[0-9]+(?:ms|[smhdwy]))+/.exec(rest);
    if (duration) { tokens.push({ t: "duration", text: duration[0] }); i += duration[0].length; continue; }
    const number = /^(?:0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)/.exec(rest);
    if (number && /[0-9.]/.test(c)) { tokens.push({ t: "number", value: Number(number[0]) }); i += number[0].length; continue; }
    const word = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(rest);
    if (word) { tokens.push({ t: "word", text: word[0] }); i += word[0].length; continue; }
    const op = /^(?:==|!=|>=|<=|=~|!~|[-+*/%^<>])/.exec(rest);
    if (op) { tokens.push({ t: "op", text: op[0] }); i += op[0].length; continue; }
    throw new Error(`cannot read PromQL at "${rest.slice(0, 20)}"`);
  }
  let at = 0;
  const peek = () => tokens[at];
  const expect = (t) => { if (tokens[at]?.t !== t) throw new Error(`expected ${t} at token ${at} of ${formatted}`); return tokens[at++]; };
  const labelList = () => {
    expect("(");
    const labels = [];
    while (peek() && peek().t !== ")") { const tok = tokens[at++]; if (tok.t === "word") labels.push(tok.text); }
    expect(")");
    return labels;
  };
  const grouping = () => {
    const w = peek();
    if (w?.t === "word" && (w.text === "by" || w.text === "without")) { at++; return { mode: w.text, labels: labelList() }; }
    return null;
  };
  const term = () => {
    const tok = tokens[at++];
    if (!tok) throw new Error(`unexpected end of ${formatted}`);
    if (tok.t === "number") return { kind: "number", value: tok.value };
    if (tok.t === "string") return { kind: "string" };
    if (tok.t === "op" && (tok.text === "-" || tok.text === "+")) return { kind: "binary", op: `unary${tok.text}`, left: { kind: "number", value: 0 }, right: term() };
    if (tok.t === "(") { const inner = expr(); expect(")"); return inner; }
    if (tok.t === "{") return withModifiers({ kind: "metric", name: null, matchers: tok.text, range: null });
    if (tok.t === "word") {
      let group = grouping();
      if (peek()?.t === "(") {
        at++;
        const args = [];
        while (peek() && peek().t !== ")") { args.push(expr()); if (peek()?.t === ",") at++; }
        expect(")");
        group = group ?? grouping();
        return withModifiers({ kind: "call", name: tok.text, grouping: group, args });
      }
      const node = { kind: "metric", name: tok.text, matchers: "", range: null };
      if (peek()?.t === "{") node.matchers = tokens[at++].text;
      return withModifiers(node);
    }
    throw new Error(`unexpected ${tok.t} in ${formatted}`);
  };
  const withModifiers = (node) => {
    for (;;) {
      const tok = peek();
      if (tok?.t === "[") { at++; node.range = tok.text; continue; }
      if (tok?.t === "word" && tok.text === "offset") { at++; if (peek()?.t === "op") at++; at++; continue; }
      if (tok?.t === "word" && tok.text === "@") { at += 2; continue; }
      return node;
    }
  };
  const expr = () => {
    let left = term();
    for (;;) {
      const tok = peek();
      const isOp = tok && (tok.t === "op" || (tok.t === "word" && ["and", "or", "unless", "atan2"].includes(tok.text)));
      if (!isOp) return left;
      at++;
      while (peek()?.t === "word" && ["bool", "on", "ignoring", "group_left", "group_right"].includes(peek().text)) {
        at++;
        if (peek()?.t === "(") labelList();
      }
      left = { kind: "binary", op: tok.text, left, right: term() };
    }
  };
  const tree = expr();
  if (at !== tokens.length) throw new Error(`left over PromQL after token ${at} of ${formatted}`);
  return tree;
}

/** Visits every node of a parsePromql tree with its ancestors (outermost first). */
export function walkPromql(node, visit, ancestors = []) {
  visit(node, ancestors);
  const below = [...ancestors, node];
  if (node.kind === "call") for (const a of node.args) walkPromql(a, visit, below);
  if (node.kind === "binary") { walkPromql(node.left, visit, below); walkPromql(node.right, visit, below); }
}

const RANGE_FUNCTIONS = new Set(["rate", "irate", "increase"]);
// Grafana unit ids that are already per second.
export const PER_SECOND_UNITS = new Set(["reqps", "cps", "ops", "rps", "wps", "iops", "eps", "mps", "recps", "rowsps", "Bps", "binBps", "bps", "binbps"]);
const BYTE_RATE_UNITS = new Set(["Bps", "binBps"]);
const BYTE_UNITS = new Set(["bytes", "decbytes"]);
// Units for kafka_api_latency_us, which counts microseconds: by the divisor applied to it.
const LATENCY_UNITS = new Map([[1, "µs"], [1000, "ms"], [1e6, "s"]]);

/**
 * Prometheus type of series `name` in an exposition (exposedMetrics): "counter", "gauge",
 * "histogram" (for its _bucket, _sum and _count series), or undefined when not exposed.
 */
export function seriesType(name, exposed) {
  return exposed.get(name)?.type;
}

/**
 * How a dashboard panel misuses its metrics, as sentences (empty when none). `targets`:
 * [{ refId, tree (parsePromql of Prometheus's formatting of it) }]; `exposed`: exposedMetrics of Envoy's /stats/prometheus, whose
 * # TYPE lines give each family's type. The rules:
 * - rate()/irate()/increase() take only counters and histogram _bucket/_sum/_count series;
 *   a counter or histogram series is never shown raw (its value is since Envoy started);
 * - histogram_quantile aggregates by le, and its quantile is the pNN of the panel's title;
 * - units: kafka_api_latency_us is in microseconds (µs, or ms/s after dividing by 1000/1e6);
 *   a rate of bytes is in bytes/s, a gauge of bytes in bytes; a panel of rates says so
 *   ("/s" in its title, or a per-second unit), a panel without any says no "/s"; rates and
 *   gauges do not share one panel's axis;
 * - every series selector of the filter's or Envoy's metrics carries the dashboard's
 *   instance selector (instance=~"$instance"), so several Envoys are never silently summed.
 */
export function panelProblems(panel, targets, exposed) {
  const problems = [];
  const say = (refId, text) => problems.push(`panel "${panel.title}" target ${refId}: ${text}`);
  const unit = panel.fieldConfig?.defaults?.unit ?? "";
  const title = panel.title ?? "";
  let rates = 0;
  let raws = 0;
  let quantileCount = 0;
  for (const { refId, tree } of targets) {
    let latencyDivisor = 1;
    if (tree.kind === "binary" && tree.op === "/" && tree.right.kind === "number") latencyDivisor = tree.right.value;
    let usesLatency = false;
    let byteRate = false;
    let byteGauge = false;
    let hasRate = false;
    walkPromql(tree, (node, ancestors) => {
      if (node.kind === "call" && RANGE_FUNCTIONS.has(node.name)) {
        // A rate under histogram_quantile is the quantile's input, not what the panel shows.
        const shown = !ancestors.some((a) => a.kind === "call" && a.name === "histogram_quantile");
        hasRate = hasRate || (shown && node.name !== "increase");
        const arg = node.args[0];
        if (arg?.kind !== "metric") { say(refId, `${node.name}() of something other than a series selector`); return; }
        const type = seriesType(arg.name, exposed);
        if (type !== "counter" && type !== "histogram") say(refId, `${node.name}() over ${arg.name}, a ${type ?? "unknown"}: only counters and histogram series have a rate`);
      }
      if (node.kind === "metric" && node.name) {
        const type = seriesType(node.name, exposed);
        const parent = ancestors.at(-1);
        const inRange = parent?.kind === "call" && RANGE_FUNCTIONS.has(parent.name);
        if ((type === "counter" || type === "histogram") && !inRange) say(refId, `${node.name} is a ${type} series shown without rate()/increase(): its raw value counts since Envoy started`);
        if (node.name.startsWith("kafka_api_latency_us")) usesLatency = true;
        if (/_bytes(_|$)/.test(node.name)) { if (inRange && parent.name !== "increase") byteRate = true; else if (type === "gauge") byteGauge = true; }
        if (type === "gauge") raws++;
      }
      if (node.kind === "call" && node.name === "histogram_quantile") {
        quantileCount++;
        const [q, inner] = node.args;
        const pnn = /\bp(\d{1,3}(?:\.\d+)?)\b/.exec(title);
        if (q?.kind !== "number") say(refId, "histogram_quantile without a literal quantile");
        else if (!pnn) say(refId, `histogram_quantile(${q.value}) in a panel whose title names no pNN`);
        else if (Math.abs(Number(pnn[1]) / 100 - q.value) > 1e-9) say(refId, `histogram_quantile(${q.value}) in a panel titled p${pnn[1]}`);
        const keepsLe = inner?.kind === "call" && inner.grouping !== null &&
          (inner.grouping.mode === "by" ? inner.grouping.labels.includes("le") : !inner.grouping.labels.includes("le"));
        if (!keepsLe) say(refId, "histogram_quantile over buckets not aggregated by le: the buckets of different series would mix or the result would not be a quantile");
      }
    });
    if (hasRate) rates++;
    if (usesLatency) {
      const want = LATENCY_UNITS.get(latencyDivisor);
      if (unit !== want) say(refId, `kafka_api_latency_us is in microseconds${latencyDivisor === 1 ? "" : ` divided by ${latencyDivisor}`}: unit should be ${want ?? "µs, ms or s"}, is "${unit}"`);
    }
    if (byteRate && !BYTE_RATE_UNITS.has(unit)) say(refId, `a rate of bytes needs a bytes/s unit (Bps), has "${unit}"`);
    if (byteGauge && !BYTE_UNITS.has(unit)) say(refId, `a gauge of bytes needs a bytes unit, has "${unit}"`);
    // $instance is substituted as ".*" (GRAFANA_VARIABLES): its matcher in the formatted tree.
    walkPromql(tree, (node) => {
      if (node.kind === "metric" && !/(^|[,\s])instance\s*=~\s*"\.\*"/.test(node.matchers)) say(refId, `${node.name} without the instance selector instance=~"$instance"`);
    });
  }
  const perSecondTitle = /\/s\b/.test(title);
  if (rates > 0 && !perSecondTitle && !PER_SECOND_UNITS.has(unit)) problems.push(`panel "${title}": shows rates but neither its title ("/s") nor its unit ("${unit}") says per second`);
  if (rates === 0 && (perSecondTitle || PER_SECOND_UNITS.has(unit))) problems.push(`panel "${title}": says per second but shows no rate`);
  if (rates > 0 && raws > 0 && quantileCount === 0) problems.push(`panel "${title}": puts per-second rates and gauges on one axis`);
  return problems;
}

/**
 * Every panelProblems of a dashboard (dashboardQueries' `dashboard`), each query formatted
 * by `format` (expr → Prometheus's canonical text, /api/v1/format_query) first.
 */
export async function dashboardProblems(dashboard, exposed, format) {
  const problems = [];
  const visit = async (panels) => {
    for (const panel of panels ?? []) {
      const targets = [];
      for (const target of panel.targets ?? []) {
        let tree;
        try { tree = parsePromql(await format(substituteVariables(target.expr))); } catch (error) { problems.push(`panel "${panel.title}" target ${target.refId}: ${error.message}`); continue; }
        targets.push({ refId: target.refId, tree });
      }
      if (targets.length > 0) problems.push(...panelProblems(panel, targets, exposed));
      await visit(panel.panels);
    }
  };
  await visit(dashboard.panels);
  return problems;
}

/**
 * PromQL `formatted` with every rate()/irate()/increase() replaced by the counter it reads:
 * the expression's value as of now, over Envoy's whole count, to compare with Envoy's own
 * /stats. Works on Prometheus's canonical formatting (`rate(name{…}[range])`).
 */
export function counterBehind(formatted) {
  return formatted.replace(/\b(?:rate|irate|increase)\((\w+(?:\{[^}]*\})?)\[[^\]]+\]\)/g, "$1");
}

// The fuzz harness as a test: the real captured corpus must go through the filter
// with exact counters, and a quick fuzz run must find no trap and bounded memory.
// Missing module or corpus is a failure, never a skip.
//
//   node --test tests/fuzz/          (FUZZ_SEED=<n> to vary the quick run's seed)
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ProxyWasmHost, LogLevel, checkImports } from "./host.mjs";
import { Rng, loadCorpus } from "./generate.mjs";
import { causalOrder, requestFields, responseCorrelationId, splitFrames } from "./frames.mjs";
import { apiNameOf } from "./api-names.mjs";
import { buildFilter } from "../../scripts/lib/build.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const MODULE = path.join(root, "build/kafka_filter.wasm");
const CORPUS = path.join(here, "corpus");
const CONFIG = { stat_prefix: "fuzz", max_frame_bytes: 1048576 };

let moduleBuilt = false;

/** The module built from the current sources (once per test process), never a stale one. */
function filterModule() {
  if (!moduleBuilt) {
    buildFilter();
    moduleBuilt = true;
  }
  assert.ok(fs.existsSync(MODULE), `${MODULE} is missing and could not be built`);
  return new WebAssembly.Module(fs.readFileSync(MODULE));
}

function corpus() {
  assert.ok(fs.existsSync(CORPUS), `the fuzz corpus ${CORPUS} is missing (node tests/fuzz/capture-corpus.mjs)`);
  const entries = loadCorpus(CORPUS);
  assert.ok(entries.length >= 10, `the fuzz corpus has only ${entries.length} connections`);
  return entries;
}

/**
 * What a correct filter must count for a corpus connection, from an independent parse:
 * adds "<Api>|<version>|requests" / "...|responses" and "unanswered" to `counters`.
 */
function expectedCounters(entry, counters) {
  const add = (name, n = 1) => counters.set(name, (counters.get(name) ?? 0) + n);
  const requests = splitFrames(entry.request);
  const responses = splitFrames(entry.response);
  assert.equal(requests.end, entry.request.length, `corpus ${entry.id}: request stream ends mid-frame`);
  assert.equal(responses.end, entry.response.length, `corpus ${entry.id}: response stream ends mid-frame`);
  const pending = requests.frames.map((f) => requestFields(entry.request, f));
  for (const r of pending) add(`${apiNameOf(r.apiKey)}|${r.apiVersion}|requests`);
  let from = 0;
  for (const f of responses.frames) {
    const correlationId = responseCorrelationId(entry.response, f);
    const match = pending.findIndex((r, i) => i >= from && r.correlationId === correlationId);
    assert.ok(match >= 0, `corpus ${entry.id}: a response (correlation id ${correlationId}) answers no request`);
    add("unanswered", match - from);
    add(`${apiNameOf(pending[match].apiKey)}|${pending[match].apiVersion}|responses`);
    from = match + 1;
  }
  return requests.frames.length;
}

/**
 * The filter's per-API request/response counters as "<Api>|<version>|<stat>" (or
 * "<Api>|*|<stat>" when its names carry no version), from kafka.<prefix>.api.<Api>[.v<N>].<stat>.
 */
function actualApiCounters(host, prefix) {
  const out = new Map();
  const pattern = new RegExp(`^kafka\\.${prefix}\\.api\\.([A-Za-z0-9]+)(?:\\.v(\\d+))?\\.(requests|responses)$`);
  for (const [name, value] of host.metrics) {
    const m = pattern.exec(name);
    if (!m) continue;
    const key = `${m[1]}|${m[2] ?? "*"}|${m[3]}`;
    out.set(key, (out.get(key) ?? 0) + value);
  }
  return out;
}

function compareApiCounters(actual, expected) {
  const versioned = [...actual.keys()].some((k) => !k.includes("|*|"));
  const want = new Map();
  for (const [key, value] of expected) {
    if (key === "unanswered") continue;
    const [api, version, stat] = key.split("|");
    const k = versioned ? key : `${api}|*|${stat}`;
    want.set(k, (want.get(k) ?? 0) + value);
  }
  for (const [key, value] of want) assert.equal(actual.get(key) ?? 0, value, `filter counter for ${key}`);
  for (const [key, value] of actual) assert.equal(want.get(key) ?? 0, value, `filter counter for ${key}`);
}

/** Feeds a corpus connection causally (no response before its request), cut by `cut`. */
function feed(host, id, entry, cut) {
  host.openConnection(id);
  for (const step of causalOrder(entry.request, entry.response)) {
    const bytes = (step.dir === "request" ? entry.request : entry.response).subarray(step.start, step.end);
    for (let o = 0; o < bytes.length;) {
      const n = Math.min(bytes.length - o, cut());
      const status = step.dir === "request" ? host.downstreamData(id, bytes.subarray(o, o + n)) : host.upstreamData(id, bytes.subarray(o, o + n));
      assert.ok(status === 0 || status === 1, `corpus ${entry.id}: data callback returned ${status}`);
      o += n;
    }
  }
  const result = host.closeConnection(id);
  assert.equal(result.closedByFilter, false, `corpus ${entry.id}: the filter closed a real client's connection`);
  assert.equal(result.done, 1);
}

test("the host implements every import of the filter module and refuses unknown ones", () => {
  checkImports(filterModule());
  // A module importing env.proxy_http_call (not implemented here) must be refused loudly.
  const name = [..."proxy_http_call"].map((c) => c.charCodeAt(0));
  const bytes = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x02, 8 + name.length, 0x01, 0x03, 0x65, 0x6e, 0x76, name.length, ...name, 0x00, 0x00]);
  assert.throws(() => checkImports(new WebAssembly.Module(bytes)), /env\.proxy_http_call/);
});

for (const [label, cutter] of [
  ["whole frames", () => () => 0x7fffffff],
  ["reads of 1 to 7 bytes", () => { const rng = new Rng(7); return () => rng.range(1, 7); }],
  ["reads of 1 to 600 bytes", () => { const rng = new Rng(600); return () => rng.range(1, 600); }],
]) {
  test(`every corpus connection, in ${label}, gives exact counters and no error`, () => {
    const host = new ProxyWasmHost(filterModule(), { config: CONFIG, keepLogs: LogLevel.Warn }).start();
    const expected = new Map();
    let requestFrames = 0;
    const cut = cutter();
    const entries = corpus();
    entries.forEach((entry, i) => {
      requestFrames += expectedCounters(entry, expected);
      feed(host, 100 + i, entry, cut);
    });
    for (const name of ["framing_errors", "unmatched_responses", "connections_closed", "request_header_errors",
      "unknown_api_requests", "in_flight_overflow", "closed_mid_request", "closed_mid_response"]) {
      assert.equal(host.metric(`kafka.fuzz.filter.${name}`), 0, `kafka.fuzz.filter.${name}`);
    }
    assert.equal(host.metric("kafka.fuzz.filter.unanswered_requests"), expected.get("unanswered") ?? 0, "unanswered_requests");
    for (const name of host.metrics.keys()) {
      assert.ok(!name.startsWith("wasmcustom."), `${name}: Envoy adds the wasmcustom prefix, the module must not`);
    }
    const actual = actualApiCounters(host, "fuzz");
    compareApiCounters(actual, expected);
    const countedRequests = [...actual].filter(([k]) => k.endsWith("|requests")).reduce((s, [, v]) => s + v, 0);
    assert.equal(countedRequests, requestFrames, "requests counted over all APIs = request frames in the corpus");
    if (host.metrics.has("kafka.fuzz.connections_total")) assert.equal(host.metric("kafka.fuzz.connections_total"), entries.length);
    for (const [name, value] of host.gauges()) {
      if (name.endsWith(".in_flight") || name.endsWith(".connections_active")) assert.equal(value, 0, `gauge ${name} after every connection closed`);
    }
    assert.deepEqual(host.violations, []);
    assert.deepEqual(host.logs, [], "no warning or error logs for real traffic");
    assert.equal(host.criticalLogs.length, 0);
  });
}

test("quick fuzz run: no trap, no invariant failure, bounded memory", { timeout: 120000 }, () => {
  filterModule();
  corpus();
  const seed = process.env.FUZZ_SEED ?? "20240601";
  const run = spawnSync(process.execPath, [path.join(here, "fuzz.mjs"), "--quick", "--seed", seed, "--time-limit", "50"],
    { cwd: root, encoding: "utf8", timeout: 110000 });
  const output = `${run.stdout}\n${run.stderr}`;
  assert.equal(run.status, 0, `fuzz --quick failed:\n${output.slice(-20000)}`);
  const summary = /fuzz: (\d+) inputs, (\d+) connections, (\d+) traps, memory (\d+) KiB, (\d+) inputs\/s/.exec(run.stdout);
  assert.ok(summary, `no summary line in:\n${output}`);
  const [, inputs, , traps, memoryKiB] = summary.map(Number);
  assert.equal(traps, 0);
  assert.ok(inputs >= 2000, `only ${inputs} inputs ran within the time limit`);
  assert.ok(memoryKiB < 16 * 1024, `module memory reached ${memoryKiB} KiB`);
});

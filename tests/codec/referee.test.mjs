// Independent referee for the codec: Apache Kafka's own serializer (kafka-clients 4.3.1,
// driven by the Java program in tests/referee) writes random valid request and response
// bodies for every API key, version and direction; our codec harness must decode each one
// and re-encode it byte-for-byte; then Kafka reads our bytes back and must re-serialise them
// to exactly its own fixture.
//
//   npm run test:referee
//
// Environment:
//   REFEREE_SEED=<n>          second seed to use (printed on every run) instead of a random one
//   REFEREE_RANDOM=0          only the fixed seed
//   REFEREE_INSTANCES=<n>     instances per (key, version, direction), default 3
//   REFEREE_HARNESS_WASM=<p>  codec harness to load (default build/codec-harness.wasm; its raw
//                             bindings are expected next to it with a .js extension)
//
// Nothing here is ever skipped: a missing component (java, mvn, the harness) fails loudly.

import { test } from 'node:test';
import { HARNESS_WASM, instantiateHarness, loadCodecHarness, newestMtime } from './support/harness.mjs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const REFEREE = join(ROOT, 'tests/referee');
const REFEREE_JAR = join(REFEREE, 'target/kafka-referee.jar');
const REFEREE_CP = join(REFEREE, 'target/classpath.txt');
const ALLOWLIST = join(REFEREE, 'skip-allowlist.json');

const FIXED_SEED = 431;
const INSTANCES = Number(process.env.REFEREE_INSTANCES ?? 3);
const RUNS = [{ label: 'fixed seed', seed: FIXED_SEED, dir: join(ROOT, 'build/referee-fixtures') }];
if (process.env.REFEREE_RANDOM !== '0') {
  const seed = process.env.REFEREE_SEED ?? String(Math.floor(Math.random() * 2 ** 31));
  if (!/^-?\d+$/.test(seed)) throw new Error(`REFEREE_SEED must be an integer, got '${seed}'`);
  RUNS.push({ label: 'random seed', seed: Number(seed), dir: join(ROOT, 'build/referee-fixtures-random') });
}
const REPRODUCE = (run) =>
  run.seed === FIXED_SEED ? 'REFEREE_RANDOM=0 npm run test:referee' : `REFEREE_SEED=${run.seed} npm run test:referee`;

const MAX_LISTED = 25; // failure lines quoted in an assertion message

// ------------------------------------------------------------------ helpers

function run(cmd, args, { component = cmd, ...opts } = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 << 20, ...opts });
  if (r.error) {
    const what = r.error.code === 'ENOENT' ? `'${cmd}' was not found on PATH` : r.error.message;
    throw new Error(`${component}: ${what}`);
  }
  return r;
}


const tripleKey = (apiKey, version, direction) => `${apiKey}/${direction}/v${version}`;

function hex(b, from, mark, to) {
  const out = [];
  for (let i = from; i < Math.min(to, b.length); i++) out.push((i === mark ? '|' : '') + b[i].toString(16).padStart(2, '0'));
  if (mark >= b.length) out.push('|<end>');
  return out.join(' ');
}

/** Same wording as the Java referee's firstDifference. */
function firstDifference(expected, actual) {
  const n = Math.min(expected.length, actual.length);
  let i = 0;
  while (i < n && expected[i] === actual[i]) i++;
  const from = Math.max(0, i - 4);
  return `lengths ${expected.length} vs ${actual.length}, first difference at offset ${i}: ` +
    `expected [${hex(expected, from, i, i + 8)}] got [${hex(actual, from, i, i + 8)}]`;
}

function listed(lines) {
  const head = lines.slice(0, MAX_LISTED).join('\n  ');
  return lines.length > MAX_LISTED ? `  ${head}\n  ... and ${lines.length - MAX_LISTED} more` : `  ${head}`;
}

// ------------------------------------------------------------------ the Java referee

let java; // { classpath }

function referee() {
  if (java) return java;
  const v = run('java', ['-version'], { component: 'java (a JDK 17+ runs the Kafka referee)' });
  if (v.status !== 0) throw new Error(`java (a JDK 17+ runs the Kafka referee): 'java -version' failed:\n${v.stderr}`);
  const sources = Math.max(newestMtime(join(REFEREE, 'src')), newestMtime(join(REFEREE, 'pom.xml')));
  const built = existsSync(REFEREE_JAR) && existsSync(REFEREE_CP) ? statSync(REFEREE_JAR).mtimeMs : 0;
  if (built === 0 || sources > built) {
    const b = run('mvn', ['-q', '-B', '-f', join(REFEREE, 'pom.xml'), 'package'],
      { component: 'mvn (Maven builds the Kafka referee in tests/referee)' });
    if (b.status !== 0 || !existsSync(REFEREE_JAR) || !existsSync(REFEREE_CP)) {
      throw new Error(`mvn: building tests/referee failed (exit ${b.status}):\n${b.stdout}\n${b.stderr}`);
    }
  }
  java = { classpath: [REFEREE_JAR, readFileSync(REFEREE_CP, 'utf8').trim()].join(delimiter) };
  return java;
}

function runReferee(args) {
  const { classpath } = referee();
  return run('java', ['-cp', classpath, 'dev.kafkawasm.referee.Referee', ...args], { component: 'java' });
}

// ------------------------------------------------------------------ fixtures

const generated = new Map(); // run.dir -> manifest

function fixtures(runInfo) {
  if (generated.has(runInfo.dir)) return generated.get(runInfo.dir);
  mkdirSync(runInfo.dir, { recursive: true });
  const r = runReferee(['generate', runInfo.dir, String(runInfo.seed), String(INSTANCES)]);
  if (r.status !== 0) {
    throw new Error(`Kafka referee 'generate' failed (exit ${r.status}) for seed ${runInfo.seed}:\n${r.stdout}\n${r.stderr}`);
  }
  const manifest = JSON.parse(readFileSync(join(runInfo.dir, 'manifest.json'), 'utf8'));
  manifest.summary = r.stdout.trim();
  generated.set(runInfo.dir, manifest);
  return manifest;
}

function loadAllowlist() {
  const list = JSON.parse(readFileSync(ALLOWLIST, 'utf8')).entries ?? [];
  for (const e of list) {
    assert.ok(typeof e.reason === 'string' && e.reason.trim().length > 20,
      `${ALLOWLIST}: entry ${JSON.stringify(e)} needs a written reason`);
    assert.ok(e.direction === 'request' || e.direction === 'response', `${ALLOWLIST}: bad direction in ${JSON.stringify(e)}`);
  }
  return (entry) => list.find((a) => a.apiKey === entry.apiKey && a.direction === entry.direction &&
    (a.version === undefined || a.version === entry.version));
}

// ------------------------------------------------------------------ the codec harness

let harness; // { exports, table: Set(tripleKey), keys: [{apiKey, min, max}] }

async function codecHarness() {
  if (harness) return harness;
  const { module, inst } = await loadCodecHarness();
  const e = inst.exports;
  const keys = [];
  const table = new Set();
  for (let i = 0, n = e.apiCount(); i < n; i++) {
    const apiKey = e.apiKeyAt(i);
    const min = e.minVersion(apiKey);
    const max = e.maxVersion(apiKey);
    keys.push({ apiKey, min, max });
    for (let v = min; v <= max; v++) for (const d of ['request', 'response']) table.add(tripleKey(apiKey, v, d));
  }
  harness = { module, inst, keys, table };
  return harness;
}

/** Our decode + re-encode of one body: { out } or { error }. Re-instantiates after a trap. */
async function ourRoundTrip(h, entry, bytes) {
  const input = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  h.inst.calls.length = 0;
  try {
    const ab = h.inst.exports.roundTrip(entry.apiKey, entry.version, entry.direction === 'response', input);
    const out = Buffer.from(ab ?? new ArrayBuffer(0));
    const err = out.length === 0 ? h.inst.exports.lastError() : '';
    if (out.length === 0 && (bytes.length > 0 || err)) return { error: `decode failed: ${err || '(lastError() is empty)'}` };
    return { out };
  } catch (e) {
    const calls = h.inst.calls.length ? ` [imports called: ${h.inst.calls.slice(0, 3).join('; ')}]` : '';
    h.inst = await instantiateHarness(h.module); // a trap may leave the module's heap inconsistent
    return { error: `harness threw ${e?.name ?? 'error'}: ${e?.message ?? e}${calls}` };
  }
}

// ------------------------------------------------------------------ tests

for (const r of RUNS) {
  test(`Kafka referee generates fixtures for every API (${r.label} ${r.seed})`, (t) => {
    const manifest = fixtures(r);
    for (const line of manifest.summary.split("\n")) t.diagnostic(line);
    t.diagnostic(`fixtures in ${r.dir}; reproduce with: ${REPRODUCE(r)}`);
    const allowed = loadAllowlist();
    const skipped = manifest.entries.filter((e) => e.skipped);
    const excused = skipped.filter(allowed);
    const unexcused = skipped.filter((e) => !allowed(e));
    for (const e of excused) t.diagnostic(`allow-listed skip: ${e.name} ${e.direction} v${e.version}: ${e.skipped}`);
    assert.deepEqual(unexcused.map((e) => `${e.name} ${e.direction} v${e.version}: ${e.skipped}`), [],
      `Kafka could not generate ${unexcused.length} cases and tests/referee/skip-allowlist.json does not justify them`);
    assert.ok(manifest.entries.some((e) => e.file), 'the referee generated no fixtures at all');
  });
}

test('vendored spec/kafka-4.3.1 is exactly the message definitions inside kafka-clients 4.3.1', (t) => {
  const dir = join(ROOT, 'spec/kafka-4.3.1');
  assert.ok(existsSync(dir), `${dir} does not exist (scripts/fetch-spec.sh vendors it)`);
  const r = runReferee(['compare-spec', dir]);
  const lines = r.stdout.split('\n').filter(Boolean);
  for (const l of lines.filter((x) => x.startsWith('referee:'))) t.diagnostic(l);
  assert.equal(r.status, 0, `the codec's spec differs from the referee's:\n${listed(lines.filter((l) => l.startsWith('FAIL')))}\n${r.stderr}`);
});

test('codec harness API table covers every (key, version, direction) Kafka 4.3.1 supports', async (t) => {
  const h = await codecHarness();
  const manifest = fixtures(RUNS[0]);
  const kafkaTriples = new Map();
  for (const e of manifest.entries) kafkaTriples.set(tripleKey(e.apiKey, e.version, e.direction), e);
  const missing = [...kafkaTriples].filter(([k]) => !h.table.has(k)).map(([, e]) =>
    `${e.name} (key ${e.apiKey}) ${e.direction} v${e.version}${e.unstable ? ' (unstable)' : ''}`);
  t.diagnostic(`harness lists ${h.keys.length} API keys, ${h.table.size} triples; Kafka has ${kafkaTriples.size}`);
  assert.deepEqual(missing, [], `${missing.length} triples Kafka supports are not in the codec's API table`);
});

test('coverage: every (key, version, direction) in the codec API table has a Kafka fixture', async (t) => {
  const h = await codecHarness();
  const allowed = loadAllowlist();
  const have = new Set();
  const known = new Set();
  for (const r of RUNS) {
    for (const e of fixtures(r).entries) {
      known.add(tripleKey(e.apiKey, e.version, e.direction));
      if (e.file) have.add(tripleKey(e.apiKey, e.version, e.direction));
    }
  }
  const uncovered = [];
  for (const k of h.table) {
    if (have.has(k)) continue;
    const [apiKey, direction, v] = k.split('/');
    const entry = { apiKey: Number(apiKey), direction, version: Number(v.slice(1)) };
    if (known.has(k) && allowed(entry)) continue;
    uncovered.push(known.has(k) ? `${k}: Kafka skipped it` : `${k}: Kafka 4.3.1 has no such API version`);
  }
  t.diagnostic(`covered ${[...h.table].filter((k) => have.has(k)).length} of ${h.table.size} (key, version, direction) triples`);
  assert.deepEqual(uncovered, [], `${uncovered.length} triples of the codec's API table have no Kafka fixture`);
});

for (const r of RUNS) {
  test(`codec decodes and re-encodes every Kafka fixture byte-identically (${r.label} ${r.seed})`, async (t) => {
    const manifest = fixtures(r);
    const h = await codecHarness();
    const failures = [];
    const byTriple = new Map();
    let passed = 0;
    let notInTable = 0;
    for (const e of manifest.entries) {
      if (!e.file) continue;
      if (!h.table.has(tripleKey(e.apiKey, e.version, e.direction))) { notInTable++; continue; }
      const base = e.file.replace(/\.bin$/, '');
      const fixture = readFileSync(join(r.dir, e.file));
      const res = await ourRoundTrip(h, e, fixture);
      writeFileSync(join(r.dir, `${base}.ours.bin`), res.out ?? Buffer.alloc(0));
      const where = `${base} (${e.name} ${e.direction} v${e.version}, ${fixture.length} bytes)`;
      if (res.error) failures.push(`${where}: ${res.error}`);
      else if (!res.out.equals(fixture)) failures.push(`${where}: re-encoding differs: ${firstDifference(fixture, res.out)}`);
      else { passed++; continue; }
      const tk = `${e.name} ${e.direction}`;
      byTriple.set(tk, (byTriple.get(tk) ?? 0) + 1);
    }
    t.diagnostic(`codec: ${passed} passed, ${failures.length} failed` +
      (notInTable ? ` (${notInTable} fixtures for triples outside the codec API table not run)` : ''));
    if (failures.length) {
      t.diagnostic(`failures by API: ${[...byTriple].map(([k, n]) => `${k}: ${n}`).join(', ')}`);
      t.diagnostic(`inspect a fixture: java -cp "$(cat tests/referee/target/classpath.txt):tests/referee/target/kafka-referee.jar" dev.kafkawasm.referee.Referee dump <file>`);
    }
    assert.equal(failures.length, 0,
      `${failures.length} of ${passed + failures.length} fixtures failed; reproduce with: ${REPRODUCE(r)}\n${listed(failures)}`);
  });

  test(`Kafka reads our re-encodings back to its own bytes (${r.label} ${r.seed})`, async (t) => {
    fixtures(r);
    await codecHarness();
    const ours = readdirSync(r.dir).filter((f) => f.endsWith('.ours.bin')).length;
    assert.ok(ours > 0, `no .ours.bin files in ${r.dir}: the round-trip test did not run`);
    const v = runReferee(['verify', r.dir]);
    const lines = v.stdout.split('\n').filter(Boolean);
    const summary = lines.find((l) => /^referee: \d+ passed, \d+ failed$/.test(l));
    assert.ok(summary, `Kafka referee 'verify' printed no summary (exit ${v.status}):\n${v.stdout}\n${v.stderr}`);
    t.diagnostic(summary);
    for (const l of lines.filter((x) => x.startsWith('referee:') && x !== summary)) t.diagnostic(l);
    const [, passed, failed] = summary.match(/(\d+) passed, (\d+) failed/).map(Number);
    const fails = lines.filter((l) => l.startsWith('FAIL '));
    assert.equal(failed, 0, `Kafka rejected ${failed} of our re-encodings; reproduce with: ${REPRODUCE(r)}\n${listed(fails)}`);
    assert.equal(v.status, 0, `Kafka referee 'verify' exited ${v.status}:\n${v.stderr}`);
    assert.equal(passed, ours, `verify judged ${passed} files but ${ours} .ours.bin files exist`);
  });
}

#!/usr/bin/env node
// In-process fuzzer for the built filter module (build/kafka_filter.wasm).
//
//   node tests/fuzz/fuzz.mjs --inputs N --seed S [--corpus tests/fuzz/corpus] [--time-limit seconds]
//        [--workers W] [--connections-per-instance K] [--memory-limit-mib 16] [--keep-going]
//        [--quick] [--module build/kafka_filter.wasm] [--batch B] [--replay crash.json]
//
// An input is one connection's whole life: generated request and response streams
// (random bytes, synthetic Kafka frames, real captured traffic and mutations of it),
// cut into chunks and delivered as interleaved downstream/upstream data callbacks.
// Inputs are derived from (seed, index), batches of K inputs share one VM instance
// (several connections open at once), and every failure prints what reproduces it.
// Exit status: 0 when nothing failed, 1 on any trap, invariant or memory failure.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { loadCorpus, Input } from "./generate.mjs";
import { createHash } from "node:crypto";
import { runBatch, replayInput } from "./engine.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");

function parseArgs(argv) {
  const o = {
    inputs: 100000, seed: 1, corpus: path.join(here, "corpus"), timeLimit: 0, workers: 1,
    connectionsPerInstance: 10000, memoryLimitMiB: 16, keepGoing: false, module: path.join(root, "build/kafka_filter.wasm"),
    batch: null, replay: null, crashDir: path.join(root, ".run/fuzz"), quiet: false, json: false,
  };
  const value = (i, name) => {
    if (i + 1 >= argv.length) throw new Error(`${name} needs a value`);
    return argv[i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case "--inputs": o.inputs = Number(value(i++, a)); break;
      case "--seed": o.seed = Number(value(i++, a)); break;
      case "--corpus": o.corpus = path.resolve(value(i++, a)); break;
      case "--time-limit": o.timeLimit = Number(value(i++, a)); break;
      case "--workers": o.workers = Number(value(i++, a)); break;
      case "--connections-per-instance": o.connectionsPerInstance = Number(value(i++, a)); break;
      case "--memory-limit-mib": o.memoryLimitMiB = Number(value(i++, a)); break;
      case "--module": o.module = path.resolve(value(i++, a)); break;
      case "--batch": o.batch = Number(value(i++, a)); break;
      case "--replay": o.replay = path.resolve(value(i++, a)); break;
      case "--crash-dir": o.crashDir = path.resolve(value(i++, a)); break;
      case "--keep-going": o.keepGoing = true; break;
      case "--quiet": o.quiet = true; break;
      case "--json": o.json = true; break;
      case "--quick": o.inputs = 20000; o.connectionsPerInstance = 5000; if (!o.timeLimit) o.timeLimit = 50; o.workers = Math.min(2, os.availableParallelism?.() ?? 2); break;
      case "--help": case "-h":
        console.log(fs.readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1, 14).map((l) => l.replace(/^\/\/ ?/, "")).join("\n"));
        process.exit(0);
        break;
      default: throw new Error(`unknown argument ${a} (see --help)`);
    }
  }
  for (const k of ["inputs", "seed", "timeLimit", "workers", "connectionsPerInstance", "memoryLimitMiB"]) {
    if (!Number.isFinite(o[k]) || o[k] < 0) throw new Error(`--${k} must be a non-negative number`);
  }
  o.seed = Math.floor(o.seed) >>> 0;
  o.workers = Math.max(1, Math.floor(o.workers));
  o.connectionsPerInstance = Math.max(1, Math.floor(o.connectionsPerInstance));
  return o;
}

function loadModule(file) {
  if (!fs.existsSync(file)) throw new Error(`filter module ${file} does not exist (build it: npx asc assembly/filter.ts --target release)`);
  return new WebAssembly.Module(fs.readFileSync(file));
}

function describeFailure(failure, options) {
  const d = failure.details;
  const lines = [`fuzz: FAILURE (${failure.type}): ${failure.message}`];
  lines.push(`  seed ${d.seed}, batch ${d.batch}, input ${d.index}, event ${d.event}, config ${JSON.stringify(d.config)}, concurrency ${d.concurrency}`);
  if (d.callback) lines.push(`  callback: ${d.callback}`);
  if (d.criticalLogs?.length) lines.push(...d.criticalLogs.map((l) => `  critical log: ${l}`));
  if (d.stack) lines.push(`  stack:\n${d.stack.split("\n").map((l) => `    ${l}`).join("\n")}`);
  if (d.isolated) lines.push(`  replayed alone on a fresh instance: ${d.isolated}`);
  if (d.input) {
    const input = d.input instanceof Input ? d.input : Input.fromJSON(d.input);
    lines.push(`  input (${input.kind}; ${input.notes.join(", ")}): ${input.events.length} callbacks, ${input.bytes} bytes`);
    input.events.forEach((e, i) => {
      lines.push(`    ${String(i).padStart(4)} ${e.down ? "downstream" : "upstream  "} eos=${e.eos ? 1 : 0} ${Buffer.from(e.bytes).toString("hex")}`);
    });
  }
  if (d.reproducer) lines.push(`  reproducer: ${d.reproducer}`, `  replay it:  node tests/fuzz/fuzz.mjs --replay ${path.relative(process.cwd(), d.reproducer)}`);
  lines.push(`  rerun its batch:  node tests/fuzz/fuzz.mjs --seed ${d.seed} --batch ${d.batch} --connections-per-instance ${options.connectionsPerInstance}`);
  return lines.join("\n");
}

// ---------------------------------------------------------------------------
// Worker: runs the batches the main thread hands out.

function workerMain() {
  const { options } = workerData;
  const module = loadModule(options.module);
  const corpus = loadCorpus(options.corpus);
  const written = new Map();
  parentPort.on("message", (msg) => {
    if (msg.type === "stop") { process.exit(0); }
    if (msg.type !== "batch") return;
    const failures = [];
    const stats = runBatch({
      module, corpus, seed: options.seed, batch: msg.batch, first: msg.first, count: msg.count,
      memoryLimitBytes: options.memoryLimitMiB * 1024 * 1024, deadline: options.deadline, keepGoing: options.keepGoing,
      onFailure: (failure) => {
        const d = failure.details;
        if (d.input && (failure.type === "trap" || failure.type === "invariant") && (written.get(`${failure.type}: ${failure.message.replace(/-?\d+/g, "N")}`) ?? 0) < 3) {
          const replay = replayInput(module, d.config, d.input);
          d.isolated = replay.trapped ? `traps too (${replay.error.message})` : "does not trap (depends on earlier connections of the instance)";
        }
        const signature = `${failure.type}: ${failure.message.replace(/-?\d+/g, "N")}`;
        const seen = (written.get(signature) ?? 0) + 1;
        written.set(signature, seen);
        d.input = d.input?.toJSON();
        if (d.input && seen <= 3) {
          fs.mkdirSync(options.crashDir, { recursive: true });
          const file = path.join(options.crashDir, `${failure.type}-seed${d.seed}-input${d.index}.json`);
          fs.writeFileSync(file, JSON.stringify({ message: failure.message, ...d }, null, 1));
          d.reproducer = file;
        }
        failures.push({ type: failure.type, message: failure.message, details: d });
      },
    });
    parentPort.postMessage({ type: "done", stats, failures });
  });
  parentPort.postMessage({ type: "ready" });
}

// ---------------------------------------------------------------------------
// Main.

async function replay(options) {
  const module = loadModule(options.module);
  const saved = JSON.parse(fs.readFileSync(options.replay, "utf8"));
  const input = Input.fromJSON(saved.input);
  // 1. Alone on a fresh instance, with every invariant of the fuzzer checked.
  const failures = [];
  runBatch({
    module, corpus: null, seed: saved.seed ?? 0, batch: 0, first: 0, count: 1, inputs: [input],
    settings: { config: saved.config, concurrency: 1, logLevel: 2, clock: saved.clock ?? "real" },
    memoryLimitBytes: options.memoryLimitMiB * 1024 * 1024, keepGoing: true, onFailure: (f) => failures.push(f),
  });
  // 2. Again with every log line kept, for the report.
  const result = replayInput(module, saved.config, input);
  const logs = result.host.logs.map((l) => `  log[${l.level}] ${l.message}`).join("\n");
  console.log(`replay: ${input.events.length} callbacks, config ${JSON.stringify(saved.config)}; saved failure: ${saved.message}`);
  if (result.trapped) console.log(`replay: TRAPS in ${result.error.callback}: ${result.error.message}\n${result.error.cause?.stack ?? ""}`);
  for (const f of failures) console.log(`replay: FAILURE (${f.type}): ${f.message}${f.details.event !== undefined ? ` at event ${f.details.event}` : ""}`);
  console.log(logs);
  console.log(`replay: counters: ${JSON.stringify(Object.fromEntries(result.host.metrics))}`);
  if (failures.length > 0 || result.trapped) process.exit(1);
  console.log("replay: no failure");
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.replay) return replay(options);
  // Fail before spawning workers when the module or corpus is missing.
  const module = loadModule(options.module);
  loadCorpus(options.corpus);
  void module;

  const started = Date.now();
  options.deadline = options.timeLimit ? started + options.timeLimit * 1000 : 0;
  const K = options.connectionsPerInstance;
  const batches = [];
  if (options.batch !== null) {
    batches.push({ batch: options.batch, first: options.batch * K, count: K });
  } else {
    for (let b = 0; b * K < options.inputs; b++) batches.push({ batch: b, first: b * K, count: Math.min(K, options.inputs - b * K) });
  }
  const workers = Math.min(options.workers, batches.length) || 1;
  const totals = { inputs: 0, connections: 0, callbacks: 0, bytes: 0, traps: 0, failures: 0, closedByFilter: 0, instances: 0,
    memoryMax: 0, memoryGrowthMax: 0, batches: 0, stoppedEarly: false, cpuSeconds: 0 };
  // process.cpuUsage() covers every thread of the process (the workers included).
  const cpuStart = process.cpuUsage();
  const cpuSeconds = () => { const c = process.cpuUsage(cpuStart); return (c.user + c.system) / 1e6; };
  const failures = [];
  const signatures = new Map();
  if (!options.quiet) {
    console.log(`fuzz: seed ${options.seed}, ${options.batch !== null ? `batch ${options.batch}` : `${options.inputs} inputs`}, ` +
      `${K} connections per instance, ${workers} worker(s), memory limit ${options.memoryLimitMiB} MiB` +
      `${options.timeLimit ? `, time limit ${options.timeLimit} s` : ""}, module ${path.relative(process.cwd(), options.module)} ` +
      `(sha256 ${createHash("sha256").update(fs.readFileSync(options.module)).digest("hex").slice(0, 16)})`);
  }

  let lastReport = Date.now();
  const report = (force = false) => {
    if (options.quiet) return;
    const now = Date.now();
    if (!force && now - lastReport < 10000) return;
    lastReport = now;
    const seconds = (now - started) / 1000;
    console.log(`fuzz: ${totals.inputs} inputs (${Math.round(totals.inputs / seconds)}/s, ` +
      `${Math.round(totals.inputs / Math.max(totals.cpuSeconds, 0.001))}/CPU-s), ${totals.traps} traps, ` +
      `${totals.failures} failures, max memory ${(totals.memoryMax / 1024).toFixed(0)} KiB, ${seconds.toFixed(0)} s`);
  };

  await new Promise((resolve, reject) => {
    let nextBatch = 0;
    let running = 0;
    let halted = false;
    const pool = [];
    const dispatch = (worker) => {
      const outOfTime = options.deadline && Date.now() > options.deadline;
      if (halted || outOfTime || nextBatch >= batches.length) {
        if (outOfTime && nextBatch < batches.length) totals.stoppedEarly = true;
        worker.postMessage({ type: "stop" });
        return;
      }
      running++;
      worker.postMessage({ type: "batch", ...batches[nextBatch++] });
    };
    for (let w = 0; w < workers; w++) {
      const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { options } });
      pool.push(worker);
      let exited = false;
      worker.on("message", (msg) => {
        if (msg.type === "ready") { dispatch(worker); return; }
        if (msg.type !== "done") return;
        running--;
        totals.cpuSeconds = cpuSeconds();
        const s = msg.stats;
        totals.inputs += s.inputs; totals.connections += s.connections; totals.callbacks += s.callbacks; totals.bytes += s.bytes;
        totals.traps += s.traps; totals.failures += s.failures; totals.closedByFilter += s.closedByFilter; totals.instances += s.instances;
        totals.batches++;
        if (s.stoppedEarly) totals.stoppedEarly = true;
        totals.memoryMax = Math.max(totals.memoryMax, s.memoryMax);
        if (s.memoryAt1000) totals.memoryGrowthMax = Math.max(totals.memoryGrowthMax, s.memoryEnd - s.memoryAt1000);
        if (options.batch !== null && !options.quiet) {
          console.log(`fuzz: batch ${s.batch}: config ${JSON.stringify(s.config)}, concurrency ${s.concurrency}, memory start ` +
            `${s.memoryStart / 1024} KiB, at 1000 connections ${s.memoryAt1000 / 1024} KiB, end ${s.memoryEnd / 1024} KiB`);
        }
        for (const f of msg.failures) {
          // With --keep-going one bug can fail thousands of inputs: show the first few of each kind.
          const signature = `${f.type}: ${f.message.replace(/-?\d+/g, "N")}`;
          const seen = (signatures.get(signature) ?? 0) + 1;
          signatures.set(signature, seen);
          if (seen <= 3) { failures.push(f); console.error(describeFailure(f, options)); }
        }
        if (msg.failures.length > 0 && !options.keepGoing) halted = true;
        report();
        dispatch(worker);
      });
      worker.on("error", (error) => { halted = true; reject(error); });
      worker.on("exit", () => {
        if (exited) return;
        exited = true;
        pool.splice(pool.indexOf(worker), 1);
        if (pool.length === 0) resolve();
      });
    }
  });

  const seconds = (Date.now() - started) / 1000;
  totals.cpuSeconds = cpuSeconds();
  const rate = Math.round(totals.inputs / seconds);
  if (!options.quiet) {
    console.log(`fuzz: ${totals.batches} instances of up to ${K} connections, ${totals.callbacks} data callbacks, ` +
      `${(totals.bytes / 1048576).toFixed(1)} MiB, ${totals.closedByFilter} connections closed by the filter, ` +
      `max memory growth after the first 1000 connections of an instance ${(totals.memoryGrowthMax / 1024).toFixed(0)} KiB, ` +
      `${seconds.toFixed(1)} s, ${totals.cpuSeconds.toFixed(1)} CPU-s ` +
      `(${Math.round(totals.inputs / Math.max(totals.cpuSeconds, 0.001))} inputs per CPU-second)` +
      `${totals.stoppedEarly ? " (stopped at the time limit)" : ""}`);
  }
  console.log(`fuzz: ${totals.inputs} inputs, ${totals.connections} connections, ${totals.traps} traps, ` +
    `memory ${(totals.memoryMax / 1024).toFixed(0)} KiB, ${rate} inputs/s`);
  if (options.json) {
    console.log(JSON.stringify({ ...totals, seconds, rate, signatures: Object.fromEntries(signatures),
      shownFailures: failures.map((f) => ({ type: f.type, message: f.message, reproducer: f.details.reproducer })) }));
  }
  if (signatures.size > 0) {
    console.error("fuzz: failures by kind:");
    for (const [signature, n] of signatures) console.error(`  ${n} × ${signature}`);
  }
  if (totals.failures > 0) {
    console.error(`fuzz: ${totals.failures} failure(s) (${totals.traps} trap(s)); see above`);
    process.exit(1);
  }
}

if (isMainThread) {
  main().catch((error) => { console.error(`fuzz: ${error.stack ?? error}`); process.exit(1); });
} else {
  workerMain();
}

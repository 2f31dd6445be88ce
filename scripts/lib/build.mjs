// Builds the filter module with the project's own AssemblyScript compiler.
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { root } from "./envoy.mjs";

/** The release module `npm run build` writes (asconfig.json's release target). */
export const FILTER_WASM = path.join(root, "build/kafka_filter.wasm");
/** What the module is built from: its sources, the compiler settings and the compiler version (the lock file). */
const INPUTS = ["assembly", "asconfig.json", "package-lock.json"];

function filesUnder(entry) {
  const full = path.join(root, entry);
  if (!fs.statSync(full).isDirectory()) return [entry];
  return fs.readdirSync(full).sort().flatMap((name) => filesUnder(path.join(entry, name)));
}

/** A digest of every input file's path and bytes. */
function sourcesDigest(inputs) {
  const hash = crypto.createHash("sha256");
  for (const file of inputs.flatMap(filesUnder)) hash.update(file).update("\0").update(fs.readFileSync(path.join(root, file)));
  return hash.digest("hex");
}

/**
 * Compiles `entry` with asc's release settings into `outFile` unless the module there was
 * built from exactly the current sources, compiler settings and lock file (a digest of
 * `inputs`, kept next to it). Throws when asc fails.
 */
function buildModule({ entry, outFile, inputs }) {
  const stamp = `${outFile}.sources-sha256`;
  const digest = sourcesDigest(inputs);
  if (fs.existsSync(outFile) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === digest) return outFile;
  fs.rmSync(stamp, { force: true });
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const result = spawnSync("npx", ["--no-install", "asc", entry, "--target", "release", "--outFile", path.relative(root, outFile)],
    { cwd: root, stdio: "inherit" });
  if (result.status !== 0) throw new Error(`building ${entry} failed (asc exited with ${result.status})`);
  fs.writeFileSync(stamp, digest);
  return outFile;
}

/**
 * Builds build/kafka_filter.wasm (release target) unless the module there was built from
 * exactly the current sources, compiler settings and lock file; returns its path. Each
 * test file runs in its own process and asks for the module, so rebuilding only on change
 * saves a compile per suite. Throws when asc fails.
 */
export function buildFilter() {
  return buildModule({ entry: "assembly/filter.ts", outFile: FILTER_WASM, inputs: INPUTS });
}

/** Where buildTrapFilter puts the test-only module: outside the release path, under build/testing/. */
export const TRAP_FILTER_WASM = path.join(root, "build/testing/kafka_filter_trap.wasm");

/**
 * TEST ONLY. Builds the release filter plus tests/wasm/trap-filter.ts's hook, which traps
 * the Wasm VM when a connection's data starts with "VMTRAP!!", into TRAP_FILTER_WASM
 * (again only when its inputs changed); returns its path. The release module is built
 * from assembly/filter.ts alone and never contains the hook.
 */
export function buildTrapFilter() {
  return buildModule({ entry: "tests/wasm/trap-filter.ts", outFile: TRAP_FILTER_WASM, inputs: [...INPUTS, "tests/wasm"] });
}

let compiled = null;

/**
 * The release module (built first if its sources changed), compiled once per process:
 * a WebAssembly.Module is immutable and instantiates any number of times, so the
 * in-process tests share one.
 */
export function compiledFilter() {
  compiled ??= new WebAssembly.Module(fs.readFileSync(buildFilter()));
  return compiled;
}

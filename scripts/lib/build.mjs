// Builds the filter module with the project's own AssemblyScript compiler.
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { root } from "./envoy.mjs";

export const FILTER_WASM = path.join(root, "build/kafka_filter.wasm");
const STAMP = `${FILTER_WASM}.sources-sha256`;
/** What the module is built from: its sources, the compiler settings and the compiler version (the lock file). */
const INPUTS = ["assembly", "asconfig.json", "package-lock.json"];

function filesUnder(entry) {
  const full = path.join(root, entry);
  if (!fs.statSync(full).isDirectory()) return [entry];
  return fs.readdirSync(full).sort().flatMap((name) => filesUnder(path.join(entry, name)));
}

/** A digest of every input file's path and bytes. */
function sourcesDigest() {
  const hash = crypto.createHash("sha256");
  for (const file of INPUTS.flatMap(filesUnder)) hash.update(file).update("\0").update(fs.readFileSync(path.join(root, file)));
  return hash.digest("hex");
}

/**
 * Builds build/kafka_filter.wasm (release target) unless the module there was built from
 * exactly the current sources, compiler settings and lock file; returns its path. Each
 * test file runs in its own process and asks for the module, so rebuilding only on change
 * saves a compile per suite. Throws when asc fails.
 */
export function buildFilter() {
  const digest = sourcesDigest();
  if (fs.existsSync(FILTER_WASM) && fs.existsSync(STAMP) && fs.readFileSync(STAMP, "utf8") === digest) return FILTER_WASM;
  fs.rmSync(STAMP, { force: true });
  const result = spawnSync("npx", ["--no-install", "asc", "assembly/filter.ts", "--target", "release"],
    { cwd: root, stdio: "inherit" });
  if (result.status !== 0) throw new Error(`building the filter failed (asc exited with ${result.status})`);
  fs.writeFileSync(STAMP, digest);
  return FILTER_WASM;
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

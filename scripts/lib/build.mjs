// Builds the filter module with the project's own AssemblyScript compiler.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { root } from "./envoy.mjs";

export const FILTER_WASM = path.join(root, "build/kafka_filter.wasm");

export function buildFilter() {
  const result = spawnSync("npx", ["--no-install", "asc", "assembly/filter.ts", "--target", "release"],
    { cwd: root, stdio: "inherit" });
  if (result.status !== 0) throw new Error(`building the filter failed (asc exited with ${result.status})`);
  return FILTER_WASM;
}

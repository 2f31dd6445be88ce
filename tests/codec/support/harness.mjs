// Builds (when missing or older than the codec sources) and instantiates the codec
// harness, build/codec-harness.wasm, for the Node test suites that drive the codec.
// A missing component fails loudly; nothing is skipped.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const OVERRIDE = process.env.REFEREE_HARNESS_WASM;
export const HARNESS_WASM = resolve(ROOT, OVERRIDE ?? 'build/codec-harness.wasm');
const HARNESS_JS = HARNESS_WASM.replace(/\.wasm$/, '.js');
const HARNESS_SRC = join(ROOT, 'assembly/codec/harness.ts');
const CODEC_SRC = join(ROOT, 'assembly/codec');

export function newestMtime(path, filter = () => true) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return filter(path) ? st.mtimeMs : 0;
  let newest = 0;
  for (const e of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, e), filter));
  return newest;
}

function build() {
  if (OVERRIDE) throw new Error(`codec harness: ${HARNESS_WASM} does not exist`);
  if (!existsSync(HARNESS_SRC)) throw new Error('codec harness: its source assembly/codec/harness.ts does not exist');
  const b = spawnSync('npm', ['run', '-s', 'build:harness'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (b.error) throw new Error(`codec harness: npm could not run: ${b.error.message}`);
  if (b.status !== 0 || !existsSync(HARNESS_WASM)) {
    throw new Error(`codec harness: 'npm run build:harness' failed (exit ${b.status}):\n${b.stdout}\n${b.stderr}`);
  }
}

/**
 * Instantiates the module; every import gets a stub that records its calls, so an
 * unexpected import shows up in failure messages (the raw bindings' own adapters,
 * such as env.abort, take precedence).
 */
export async function instantiateHarness(module) {
  const { instantiate } = await import(pathToFileURL(HARNESS_JS).href);
  const calls = [];
  const imports = { env: { seed: () => Date.now() } };
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== 'function' || imports[imp.module]?.[imp.name]) continue;
    (imports[imp.module] ??= {})[imp.name] = (...args) => {
      calls.push(`${imp.module}.${imp.name}(${args.join(', ')})`);
      return 0;
    };
  }
  const exports = await instantiate(module, imports);
  for (const name of ['roundTrip', 'roundTripFrame', 'lastError', 'apiCount', 'apiKeyAt', 'minVersion', 'maxVersion']) {
    if (typeof exports[name] !== 'function') throw new Error(`codec harness ${HARNESS_WASM}: export '${name}' is missing`);
  }
  return { exports, calls };
}

/** Returns { module, inst } with the harness built from the current sources. */
export async function loadCodecHarness() {
  const stale = existsSync(HARNESS_WASM) && !OVERRIDE &&
    newestMtime(CODEC_SRC, (p) => p.endsWith('.ts')) > statSync(HARNESS_WASM).mtimeMs;
  if (!existsSync(HARNESS_WASM) || stale) build();
  if (!existsSync(HARNESS_JS)) throw new Error(`codec harness: raw bindings ${HARNESS_JS} are missing (build with --bindings raw)`);
  const module = await WebAssembly.compile(readFileSync(HARNESS_WASM));
  return { module, inst: await instantiateHarness(module) };
}

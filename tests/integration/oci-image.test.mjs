// The filter's OCI images (scripts/oci-image.sh, README "OCI image"): both formats Istio's
// WasmPlugin pulls are pushed with oras to a real registry (go-containerregistry's, built
// from its Go module by scripts/install-go-tools.sh, on a free port over plain HTTP),
// read back the way Istio's image fetcher reads them (tools/istio-wasm-fetch:
// go-containerregistry, the library that fetcher uses, with its rules) and pulled with
// oras; the module that comes back must equal build/kafka_filter.wasm byte for byte. The
// manifests and blobs are also read through the registry's HTTP API to check media types.
// No Kubernetes cluster and no Istio run here.
import { before, after, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { spawnSync } from "node:child_process";
import { root } from "../../scripts/lib/envoy.mjs";
import { buildFilter } from "../../scripts/lib/build.mjs";
import { goTool } from "../../scripts/lib/go-tools.mjs";
import { freePort, startProcess, stopProcess, tail, waitFor } from "../../scripts/lib/processes.mjs";

const WASM_LAYER = "application/vnd.module.wasm.content.layer.v1+wasm";
const WASM_CONFIG = "application/vnd.module.wasm.config.v1+json";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";

const runDir = path.join(root, ".run/tests", `oci-image-${process.pid}`);
let registry, host, oras, istioWasmFetch, module;

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, encoding: "utf8", timeout: 120000, ...options });
  if (result.error) throw result.error;
  return result;
}

function ok(result, what) {
  assert.equal(result.status, 0, `${what} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

const sha256 = (bytes) => `sha256:${crypto.createHash("sha256").update(bytes).digest("hex")}`;

/** A manifest from the registry's HTTP API (OCI distribution spec), as an image puller asks for it. */
async function manifestOf(repository, reference) {
  const response = await fetch(`http://${host}/v2/${repository}/manifests/${reference}`,
    { headers: { accept: [OCI_MANIFEST, DOCKER_MANIFEST].join(", ") } });
  assert.equal(response.status, 200, `manifest ${repository}:${reference}: HTTP ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  return { manifest: JSON.parse(bytes), digest: response.headers.get("docker-content-digest"), bytes };
}

/** A blob by digest, checked against its digest. */
async function blobOf(repository, descriptor) {
  const response = await fetch(`http://${host}/v2/${repository}/blobs/${descriptor.digest}`);
  assert.equal(response.status, 200, `blob ${descriptor.digest}: HTTP ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  assert.equal(sha256(bytes), descriptor.digest, "the blob's bytes match its digest");
  assert.equal(bytes.length, descriptor.size, "the blob's size matches its descriptor");
  return bytes;
}

/**
 * Reads the module out of an image with tools/istio-wasm-fetch: go-containerregistry, the
 * library Istio's Wasm image fetcher uses, applying that fetcher's rules (istio
 * pkg/wasm/imagefetcher.go, PrepareFetch). Returns { status, variant, digest, wasm, stderr }.
 */
function fetchAsIstio(reference) {
  const out = path.join(runDir, `fetched-${reference.replace(/[^A-Za-z0-9]+/g, "_")}.wasm`);
  fs.rmSync(out, { force: true });
  const result = run(istioWasmFetch, [`${host}/${reference}`, out]);
  const [variant, digest] = result.stdout.trim().split(" ");
  return { status: result.status, variant, digest, wasm: result.status === 0 ? fs.readFileSync(out) : undefined, stderr: result.stderr };
}

function pushImages(args, env = {}) {
  const result = ok(run("bash", [path.join(root, "scripts/oci-image.sh"), "--plain-http", ...args],
    { env: { ...process.env, ...env } }), "scripts/oci-image.sh");
  const pushed = {};
  for (const line of result.stdout.trim().split("\n")) {
    const [variant, ref] = line.split(" ");
    pushed[variant] = { ref, digest: ref.split("@")[1] };
  }
  return pushed;
}

before(async () => {
  module = fs.readFileSync(buildFilter());
  oras = goTool("oras");
  istioWasmFetch = goTool("istio-wasm-fetch");
  const registryBinary = goTool("registry");
  fs.rmSync(runDir, { recursive: true, force: true });
  fs.mkdirSync(runDir, { recursive: true });
  const port = await freePort();
  host = `127.0.0.1:${port}`;
  // go-containerregistry's registry keeps blobs in memory and listens on every address.
  registry = startProcess("registry", registryBinary, ["-port", String(port)], {
    logFile: path.join(runDir, "registry.log"),
  });
  await waitFor(`the registry on ${host}`, async () => {
    if (registry.exitCode !== null) throw new Error(`the registry exited:\n${tail(registry.logFile)}`);
    const response = await fetch(`http://${host}/v2/`).catch(() => null);
    return response?.status === 200;
  }, { timeoutMs: 30000, hint: () => `\n${tail(registry.logFile)}` });
});

after(async () => {
  await stopProcess(registry);
});

let pushed;

test("scripts/oci-image.sh pushes both formats; read as Istio's fetcher reads them, the module comes back byte for byte", () => {
  pushed = pushImages(["--oci", `${host}/kafka-filter:test`, "--compat", `${host}/kafka-filter:test-compat`]);
  assert.match(pushed.oci?.digest ?? "", /^sha256:[0-9a-f]{64}$/);
  assert.match(pushed.compat?.digest ?? "", /^sha256:[0-9a-f]{64}$/);

  for (const [reference, variant] of [["kafka-filter:test", "oci"], ["kafka-filter:test-compat", "compat"]]) {
    const fetched = fetchAsIstio(reference);
    assert.equal(fetched.status, 0, `istio-wasm-fetch ${reference}: ${fetched.stderr}`);
    assert.equal(fetched.variant, variant, `Istio reads ${reference} as the ${variant} variant`);
    assert.equal(fetched.digest, pushed[variant].digest, "the digest Istio checks a WasmPlugin's sha256 against is the one the script printed");
    assert.ok(fetched.wasm.equals(module), `the module Istio gets from ${reference} is build/kafka_filter.wasm`);
  }
});

test("the oci variant: two layers of the Wasm media types, runtime config as the manifest config", async () => {
  const { manifest, digest } = await manifestOf("kafka-filter", "test");
  assert.equal(digest, pushed.oci.digest);
  assert.equal(manifest.mediaType, OCI_MANIFEST);
  assert.equal(manifest.config.mediaType, WASM_CONFIG);
  assert.deepEqual(manifest.layers.map((l) => [l.mediaType, l.annotations?.["org.opencontainers.image.title"]]),
    [[WASM_CONFIG, "runtime-config.json"], [WASM_LAYER, "plugin.wasm"]]);
  const runtimeConfig = JSON.parse(await blobOf("kafka-filter", manifest.config));
  assert.equal(runtimeConfig.type, "envoy_proxy");
  assert.deepEqual(runtimeConfig.config.root_ids, ["kafka_filter"], "the root id envoy.yaml and the WasmPlugins use");
  assert.deepEqual(JSON.parse(await blobOf("kafka-filter", manifest.layers[0])), runtimeConfig);

  // oras pulls it back into files named by their titles.
  const out = path.join(runDir, "pull-oci");
  ok(run(oras, ["pull", "--plain-http", "--no-tty", "-o", out, `${host}/kafka-filter:test`]), "oras pull");
  assert.deepEqual(fs.readdirSync(out).sort(), ["plugin.wasm", "runtime-config.json"]);
  assert.ok(fs.readFileSync(path.join(out, "plugin.wasm")).equals(module), "oras pull gives back build/kafka_filter.wasm");
});

test("the compat variant: one tar+gzip layer with plugin.wasm, an OCI image config, the compat annotation", async () => {
  const { manifest, digest } = await manifestOf("kafka-filter", "test-compat");
  assert.equal(digest, pushed.compat.digest);
  assert.equal(manifest.mediaType, OCI_MANIFEST);
  assert.equal(manifest.annotations?.["module.wasm.image/variant"], "compat");
  assert.equal(manifest.config.mediaType, "application/vnd.oci.image.config.v1+json");
  assert.deepEqual(manifest.layers.map((l) => l.mediaType), [OCI_TAR_GZIP]);
  const layer = await blobOf("kafka-filter", manifest.layers[0]);
  const imageConfig = JSON.parse(await blobOf("kafka-filter", manifest.config));
  assert.deepEqual(imageConfig.rootfs, { type: "layers", diff_ids: [sha256(zlib.gunzipSync(layer))] },
    "the image config names the uncompressed layer, as container tools check");

  const out = path.join(runDir, "pull-compat");
  ok(run(oras, ["pull", "--plain-http", "--no-tty", "-o", out, `${host}/kafka-filter:test-compat`]), "oras pull");
  assert.deepEqual(fs.readdirSync(out), ["plugin.tar.gz"]);
  const files = ok(run("tar", ["-tzf", path.join(out, "plugin.tar.gz")]), "tar -t").stdout.trim().split("\n").sort();
  assert.deepEqual(files, ["plugin.wasm", "runtime-config.json"]);
  const wasm = ok(run("tar", ["-xzOf", path.join(out, "plugin.tar.gz"), "plugin.wasm"], { encoding: "buffer", maxBuffer: 64 << 20 }), "tar -x").stdout;
  assert.ok(wasm.equals(module), "plugin.wasm in the pulled layer is build/kafka_filter.wasm");
});

test("the images are reproducible: the same module gives the same digests", () => {
  const again = pushImages(["--oci", `${host}/again:1`, "--compat", `${host}/again:1-compat`]);
  assert.equal(again.oci.digest, pushed.oci.digest);
  assert.equal(again.compat.digest, pushed.compat.digest);
});

test("images Istio cannot read are refused by the same reader: a plain oras push, a compat layer without plugin.wasm", () => {
  const work = path.join(runDir, "wrong");
  fs.mkdirSync(work, { recursive: true });
  fs.copyFileSync(path.join(root, "build/kafka_filter.wasm"), path.join(work, "kafka_filter.wasm"));
  // oras's default: one application/vnd.oci.image.layer.v1.tar layer holding the raw module.
  ok(run(oras, ["push", "--plain-http", "--no-tty", `${host}/wrong:plain`, "kafka_filter.wasm"], { cwd: work }), "oras push");
  const plain = fetchAsIstio("wrong:plain");
  assert.equal(plain.status, 1);
  assert.match(plain.stderr, /compat: invalid media type application\/vnd\.oci\.image\.layer\.v1\.tar .*oci: number of layers must be 2 but got 1/);
  // The compat layout with the module under another name.
  ok(run("tar", ["-czf", "filter.tar.gz", "kafka_filter.wasm"], { cwd: work }), "tar -c");
  ok(run(oras, ["push", "--plain-http", "--no-tty", `${host}/wrong:named`, `filter.tar.gz:${OCI_TAR_GZIP}`], { cwd: work }), "oras push");
  const named = fetchAsIstio("wrong:named");
  assert.equal(named.status, 1);
  assert.match(named.stderr, /compat: plugin\.wasm not found in the archive/);
});

test("scripts/oci-image.sh refuses a missing module and a file that is not WebAssembly", () => {
  const missing = run("bash", [path.join(root, "scripts/oci-image.sh"), "--plain-http", "--wasm", "/nonexistent.wasm", "--oci", `${host}/x:1`]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /oci-image: no module at \/nonexistent\.wasm/);
  const notWasm = run("bash", [path.join(root, "scripts/oci-image.sh"), "--plain-http", "--wasm", path.join(root, "package.json"), "--oci", `${host}/x:1`]);
  assert.equal(notWasm.status, 1);
  assert.match(notWasm.stderr, /is not a WebAssembly module/);
});

// The integration tests' topology: a fresh Kafka broker, the real Envoy with the
// filter built from this tree, and optionally the frame tap between them.
import fs from "node:fs";
import path from "node:path";
import { startKafka } from "../../../scripts/lib/kafka.mjs";
import { readStats, renderEnvoyConfig, root, startEnvoy } from "../../../scripts/lib/envoy.mjs";
import { buildFilter } from "../../../scripts/lib/build.mjs";
import { freePort } from "../../../scripts/lib/processes.mjs";
import { startFrameTap } from "./frame-tap.mjs";

let builtWasm = null;

/** Builds the filter once per test process. */
export function filterWasm() {
  builtWasm ??= buildFilter();
  return builtWasm;
}

/** A fresh directory for one test file's run, kept after the run for its logs. */
export function newRunDir(name) {
  const dir = path.join(root, ".run/tests", `${name}-${process.pid}-${Date.now()}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Starts Kafka, then Envoy in front of it (through the frame tap when `tap` is set; it
 * keeps every frame when `tap` is "capture"). `transportSocket`, when given, goes on the
 * Kafka listener's filter chain (for example support/certs.mjs downstreamMutualTls:
 * Envoy terminates TLS, the filter and the broker see plaintext Kafka). `runDir` reuses a
 * directory made with newRunDir (to put certificates in it first). `scramCredentials` and
 * `extraListeners` go to startKafka; `logLevel` is Envoy's (default info). `wasmFile`
 * replaces the release module (the VM failure suite's test-only trap build).
 * Returns { bootstrap, direct, admin, tap, stats(), stop() }; `kafka.stop()` and
 * `kafka.start()` restart the broker on the same data and ports.
 */
export async function startStack({
  name, runDir = newRunDir(name), tap = false, pluginConfig, kafkaProperties = {}, scramCredentials, extraListeners, concurrency, transportSocket, logLevel, wasmFile,
}) {
  const listenerPort = await freePort();
  const adminPort = await freePort();
  const ports = { client: await freePort(), direct: await freePort(), controller: await freePort() };
  const started = [];
  const stop = async () => { for (const c of started.reverse()) await c.stop().catch(() => {}); };
  try {
    wasmFile ??= filterWasm();
    const kafka = await startKafka({ runDir, ports, advertisedPort: listenerPort, extraProperties: kafkaProperties, scramCredentials, extraListeners });
    started.push(kafka);
    let brokerPort = ports.client;
    let frameTap = null;
    if (tap) {
      frameTap = await startFrameTap({ port: await freePort(), upstreamPort: ports.client, capture: tap === "capture" });
      started.push(frameTap);
      brokerPort = frameTap.port;
    }
    const config = renderEnvoyConfig({ listenerPort, adminPort, brokerPort, wasmFile, pluginConfig });
    if (transportSocket) config.static_resources.listeners.find((l) => l.name === "kafka").filter_chains[0].transport_socket = transportSocket;
    const envoy = await startEnvoy({ runDir, concurrency, config, logLevel });
    started.push(envoy);
    return {
      runDir,
      kafka,
      envoy,
      tap: frameTap,
      bootstrap: `127.0.0.1:${listenerPort}`,
      direct: kafka.directBootstrap,
      admin: envoy.admin,
      stats: (filter = "wasmcustom") => readStats(envoy.admin, filter),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

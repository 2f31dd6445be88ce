// Pins down, on the real Envoy, how a Wasm network filter is handed TCP data, since
// the filter's design depends on it (README, "How Envoy hands data to the filter").
// The probe module (tests/envoy-semantics/probe.ts) logs every data callback and
// answers the first N per direction with StopIteration. The upstream here is a plain
// TCP server on purpose: what is measured is Envoy's buffering, not Kafka.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { root, startEnvoy } from "../../scripts/lib/envoy.mjs";
import { freePort, sleep, waitFor } from "../../scripts/lib/processes.mjs";
import { newRunDir } from "./support/stack.mjs";

const STOPS_PER_DIRECTION = 2;
let envoy;
let upstream;
let listenerPort;
const upstreamReceived = [];

function probeConfig({ listenerPort, adminPort, upstreamPort, wasmFile }) {
  return {
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: adminPort } } },
    static_resources: {
      listeners: [{
        name: "probe",
        address: { socket_address: { address: "127.0.0.1", port_value: listenerPort } },
        filter_chains: [{ filters: [
          { name: "envoy.filters.network.wasm", typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm",
            config: { name: "probe", root_id: "probe",
              configuration: { "@type": "type.googleapis.com/google.protobuf.StringValue", value: String(STOPS_PER_DIRECTION) },
              vm_config: { runtime: "envoy.wasm.runtime.v8", code: { local: { filename: wasmFile } } } } } },
          { name: "envoy.filters.network.tcp_proxy", typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
            stat_prefix: "probe", cluster: "upstream" } },
        ] }],
      }],
      clusters: [{ name: "upstream", connect_timeout: "2s", load_assignment: { cluster_name: "upstream",
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: upstreamPort } } } }] }] } }],
    },
  };
}

function probeLines() {
  return fs.readFileSync(envoy.logFile, "utf8").split("\n")
    .map((line) => /probe (downstream|upstream) call=(\d+) size=(\d+) end_of_stream=(\d) returned=(\w+)/.exec(line))
    .filter(Boolean)
    .map(([, direction, call, size, eos, returned]) => ({ direction, call: +call, size: +size, eos: +eos, returned }));
}

before(async () => {
  const runDir = newRunDir("envoy-semantics");
  const wasmFile = path.join(runDir, "probe.wasm");
  const build = spawnSync("npx", ["--no-install", "asc", "tests/envoy-semantics/probe.ts", "--outFile", wasmFile,
    "--runtime", "incremental", "-O3", "--use", "abort=assembly/proxy/runtime/abortWithLog",
    "--use", "trace=assembly/proxy/runtime/traceToLog"], { cwd: root, stdio: "inherit" });
  assert.equal(build.status, 0, "building the probe module failed");
  const upstreamPort = await freePort();
  upstream = net.createServer((socket) => {
    socket.on("data", (data) => { upstreamReceived.push(data.toString()); socket.write(`R${data}`); });
    socket.on("end", () => socket.end());
  });
  await new Promise((resolve) => upstream.listen(upstreamPort, "127.0.0.1", resolve));
  listenerPort = await freePort();
  envoy = await startEnvoy({ runDir, concurrency: 1,
    config: probeConfig({ listenerPort, adminPort: await freePort(), upstreamPort, wasmFile }) });
}, { timeout: 120000 });

after(async () => {
  await envoy?.stop();
  upstream?.close();
});

test("StopIteration keeps data in Envoy's buffer; the next callback sees old and new bytes together", async () => {
  const client = net.connect(listenerPort, "127.0.0.1");
  let fromUpstream = "";
  client.on("data", (data) => { fromUpstream += data; });
  await new Promise((resolve) => client.once("connect", resolve));
  for (const chunk of ["aaaa", "bbbb", "cccc", "dddd"]) {
    client.write(chunk);
    await sleep(150);
  }
  client.end();
  await waitFor("the connection to close", () => client.closed, { timeoutMs: 10000 });

  const downstream = probeLines().filter((l) => l.direction === "downstream");
  // Each stopped callback is followed by one covering everything still buffered.
  assert.deepEqual(downstream.slice(0, 4).map((l) => [l.size, l.returned]),
    [[4, "stop"], [8, "stop"], [12, "continue"], [4, "continue"]]);
  // Nothing reached the upstream until the filter continued, then all of it at once.
  assert.equal(upstreamReceived[0], "aaaabbbbcccc");
  assert.equal(upstreamReceived.join(""), "aaaabbbbccccdddd");

  // The client's half-close arrives as a callback with no new bytes and end_of_stream set.
  assert.deepEqual(downstream.at(-1), { direction: "downstream", call: downstream.length, size: 0, eos: 1, returned: "continue" });

  // The upstream direction behaves the same: stopped bytes accumulate and are re-offered.
  const upstreamCalls = probeLines().filter((l) => l.direction === "upstream");
  assert.equal(upstreamCalls[0].returned, "stop");
  assert.ok(upstreamCalls[1].size > upstreamCalls[0].size, "second upstream callback includes the first one's bytes");
  assert.equal(fromUpstream, "RaaaabbbbccccRdddd", "the client got every byte once, in order");
});

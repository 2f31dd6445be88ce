// What the filter does with input it must not trust: a bad plugin configuration
// and bytes that are not Kafka.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import { renderEnvoyConfig, startEnvoy } from "../../scripts/lib/envoy.mjs";
import { freePort, waitFor } from "../../scripts/lib/processes.mjs";
import { filterWasm, newRunDir, startStack } from "./support/stack.mjs";
import { kcat, requireKcat } from "./support/clients.mjs";

let stack;

before(async () => {
  requireKcat();
  stack = await startStack({ name: "hardening" });
}, { timeout: 180000 });

after(async () => { await stack?.stop(); });

test("Envoy refuses a plugin configuration with a bad field, and the log names the field", async () => {
  const runDir = newRunDir("bad-config");
  const config = renderEnvoyConfig({ listenerPort: await freePort(), adminPort: await freePort(), brokerPort: 1,
    wasmFile: filterWasm(), pluginConfig: { stat_prefix: "ok", max_frame_bytes: -5 } });
  await assert.rejects(startEnvoy({ runDir, config }), /Envoy exited during start-up/);
  const log = fs.readFileSync(`${runDir}/envoy/envoy.log`, "utf8");
  assert.match(log, /kafka filter: invalid plugin configuration: field "max_frame_bytes": must be an integer from 64 to 2147483647/);
});

async function sendRaw(bytes) {
  const socket = net.connect(Number(stack.bootstrap.split(":")[1]), "127.0.0.1");
  let closed = false;
  socket.on("close", () => { closed = true; });
  socket.on("error", () => {});
  await new Promise((resolve) => socket.once("connect", resolve));
  socket.write(bytes);
  await waitFor("the filter to close the connection", () => closed, { timeoutMs: 10000 });
}

test("an HTTP request sent to the Kafka port is closed, counted and logged once, and Kafka keeps working", async () => {
  const before = await stack.stats("wasmcustom.kafka.broker1.filter.");
  await sendRaw("GET / HTTP/1.1\r\nHost: kafka\r\n\r\n");
  await sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xf0, 0, 1, 2, 3]));
  const afterStats = await stack.stats("wasmcustom.kafka.broker1.filter.");
  const delta = (name) => afterStats.get(`wasmcustom.kafka.broker1.filter.${name}`) - before.get(`wasmcustom.kafka.broker1.filter.${name}`);
  assert.equal(delta("framing_errors"), 2);
  assert.equal(delta("connections_closed"), 2);
  const log = fs.readFileSync(stack.envoy.logFile, "utf8");
  assert.equal(log.match(/closing connection: request stream is not Kafka framing \(oversized_frame, size field 1195725856\)/g)?.length, 1);
  assert.equal(log.match(/closing connection: request stream is not Kafka framing \(negative_frame_size, size field -16\)/g)?.length, 1);

  // The same Envoy worker still serves real clients, and no Wasm VM failed.
  const { code, stdout, stderr } = await kcat(["-b", stack.bootstrap, "-L"]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /1 brokers/);
  const wasm = await stack.stats("wasm.");
  const failures = [...wasm].filter(([name, value]) => /fail|crash|abort/.test(name) && value > 0);
  assert.deepEqual(failures, []);
});

/** Opens a connection, writes `bytes`, and closes it without waiting for anything. */
function hitAndRun(bytes) {
  return new Promise((resolve) => {
    const socket = net.connect(Number(stack.bootstrap.split(":")[1]), "127.0.0.1");
    socket.on("error", () => resolve());
    socket.on("close", () => resolve());
    socket.on("connect", () => socket.end(bytes));
    socket.setTimeout(5000, () => socket.destroy());
  });
}

test("after a burst of garbage and truncated connections, real clients still work and no Wasm VM failed", async () => {
  const metadataV12 = Buffer.from("0000001e000300 0c00000001000a6b6166" .replace(/ /g, ""), "hex");
  const burst = [];
  for (let i = 0; i < 300; i++) {
    const kind = i % 3;
    if (kind === 0) burst.push(crypto.randomBytes(1 + (i % 200)));
    else if (kind === 1) burst.push(metadataV12.subarray(0, 1 + (i % metadataV12.length)));
    else {
      // A plausible frame with a random header and body.
      const body = crypto.randomBytes(8 + (i % 64));
      const frame = Buffer.alloc(4 + body.length);
      frame.writeInt32BE(body.length, 0);
      body.copy(frame, 4);
      burst.push(frame);
    }
  }
  for (let i = 0; i < burst.length; i += 30) await Promise.all(burst.slice(i, i + 30).map(hitAndRun));

  const { code, stdout, stderr } = await kcat(["-b", stack.bootstrap, "-L"]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /1 brokers/);
  const wasm = await stack.stats("wasm");
  assert.ok(wasm.get("wasm.envoy.wasm.runtime.v8.active") > 0, "Wasm VMs are alive");
  const failures = [...wasm].filter(([name, value]) => /fail|crash|abort/.test(name) && value > 0);
  assert.deepEqual(failures, []);
  assert.ok(!/kafka filter aborted|RuntimeError|Function: proxy_on_\w+ failed/.test(fs.readFileSync(stack.envoy.logFile, "utf8")),
    "no trap or abort in Envoy's log");
});

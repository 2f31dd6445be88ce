// A failed Wasm VM, on the real Envoy with envoy/envoy.yaml's failure_policy
// (FAIL_RELOAD, 1 s backoff) and ACLs on. The VM is made to fail by a TEST-ONLY build
// (tests/wasm/trap-filter.ts: the release filter plus a hook that traps on a connection
// whose data starts with "VMTRAP!!"); the release module never contains the hook, which
// the first test checks. Envoy runs one worker (--concurrency 1), so every connection
// shares the one VM that fails.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { buildFilter, buildTrapFilter } from "../../scripts/lib/build.mjs";
import { renderEnvoyConfig, startEnvoy } from "../../scripts/lib/envoy.mjs";
import { freePort, sleep, waitFor } from "../../scripts/lib/processes.mjs";
import { newRunDir, startStack } from "./support/stack.mjs";
import { kcat, requireJava, requireKcat } from "./support/clients.mjs";
import { appPolicy, createTopicsDirectly, envoyLogTail } from "./support/acl.mjs";
import { RawConnection, metadataRequest, parseMetadataResponse, produceRequest } from "./support/kafka-wire.mjs";

const TRAP_REQUEST = Buffer.concat([Buffer.from("VMTRAP!!", "ascii"), Buffer.alloc(24)]);
const HOOK_LOG_LINE = "kafka filter test hook: trapping the Wasm VM on request";
const TOPIC_AUTHORIZATION_FAILED = 29;

let stack;

before(async () => {
  requireKcat();
  requireJava();
  stack = await startStack({
    name: "vm-failure", wasmFile: buildTrapFilter(), pluginConfig: appPolicy(), concurrency: 1,
    kafkaProperties: { "auto.create.topics.enable": "false" },
  });
  await createTopicsDirectly(stack, ["allowed.vm", "denied.vm"]);
}, { timeout: 240000 });

after(async () => { await stack?.stop(); });

/** Envoy's counters and gauges of the Wasm VMs (wasm.envoy.wasm.runtime.v8.*) and of the plugin (wasm.kafka_filter.*). */
async function wasmStats() {
  return Object.fromEntries(await stack.stats("^wasm\\."));
}

/** Metadata v12 for allowed.vm and denied.vm on `connection`: { allowed, denied } error codes. */
async function metadataDecisions(connection, correlationId) {
  await connection.write(metadataRequest({ correlationId, topics: ["allowed.vm", "denied.vm"] }));
  const { correlationId: answered, body } = await connection.response({ flexibleHeader: true });
  assert.equal(answered, correlationId);
  const topics = parseMetadataResponse(body, 12).topics;
  const code = (name) => topics.find((t) => t.name === name)?.errorCode;
  return { allowed: code("allowed.vm"), denied: code("denied.vm") };
}

/** Writes the trap request on a new connection and waits until Envoy closes it. */
async function trapTheVm() {
  const connection = await RawConnection.open(stack.bootstrap);
  await connection.write(TRAP_REQUEST);
  await waitFor("Envoy to close the trapping connection", () => connection.isClosed, { timeoutMs: 10000, intervalMs: 10 });
  assert.equal(connection.frames.length, 0, "nothing came back on the trapping connection");
}

/** True once `connection` is closed by Envoy without answering `request` (waits up to 10 s). */
async function closedWithoutAnswer(connection, request) {
  if (!connection.isClosed) await connection.write(request).catch(() => {});
  await waitFor("Envoy to close the connection", () => connection.isClosed, { timeoutMs: 10000, intervalMs: 10 });
  return connection.frames.length === 0;
}

/**
 * Writes `request` on `connection` and waits (up to 10 s) until Envoy either answers it or
 * closes the connection: "answered" or "closed".
 */
async function answeredOrClosed(connection, request) {
  await connection.write(request).catch(() => {});
  await waitFor("Envoy to answer or close the connection", () => connection.frames.length > 0 || connection.isClosed, { timeoutMs: 10000, intervalMs: 10 });
  return connection.frames.length > 0 ? "answered" : "closed";
}

/** Envoy's shortest reload backoff: failure_policy FAIL_RELOAD's base_interval (envoy/envoy.yaml), jittered up to 1.5 times. */
const BACKOFF_MS = 1000;

/** The end offset of partition 0 of `topic`, asked of the broker directly (past Envoy). */
async function endOffset(topic) {
  const { code, stdout, stderr } = await kcat(["-b", stack.direct, "-Q", "-t", `${topic}:0:-1`]);
  assert.equal(code, 0, stderr);
  return Number(/\[0\] offset (-?\d+)/.exec(stdout)[1]);
}

/** A kcat producer through Envoy to the denied topic must fail authorization; one to the allowed topic must land. */
async function assertAclsStillEnforced(label) {
  const denied = await kcat(["-b", stack.bootstrap, "-t", "denied.vm", "-P", "-X", "message.timeout.ms=5000"], { input: `${label}\n` });
  assert.notEqual(denied.code, 0, `${label}: kcat must report the failed delivery`);
  assert.match(denied.stderr, /Topic authorization failed/i, `${label}: ${denied.stderr}`);
  const allowedBefore = await endOffset("allowed.vm");
  const allowed = await kcat(["-b", stack.bootstrap, "-t", "allowed.vm", "-P", "-X", "acks=all"], { input: `${label}\n` });
  assert.equal(allowed.code, 0, `${label}: ${allowed.stderr}`);
  assert.equal(await endOffset("allowed.vm"), allowedBefore + 1, `${label}: the allowed record landed`);
  assert.equal(await endOffset("denied.vm"), 0, `${label}: nothing ever reached the denied topic`);
}

test("the release module has no trap hook: its bytes lack the hook's log line, and the trap request is only bad framing to it", async () => {
  const marker = (wasm) => fs.readFileSync(wasm).includes(Buffer.from(HOOK_LOG_LINE, "utf16le"));
  assert.equal(marker(buildTrapFilter()), true, "the test build carries the hook (AssemblyScript keeps strings as UTF-16)");
  assert.equal(marker(buildFilter()), false, "the release build must not carry the hook");

  // The release module behind its own Envoy, in front of the same broker: the trap
  // request is closed as bad framing, no VM fails, and a client still works.
  const runDir = newRunDir("vm-failure-release");
  const listenerPort = await freePort();
  const config = renderEnvoyConfig({ listenerPort, adminPort: await freePort(), brokerPort: stack.kafka.ports.client,
    wasmFile: buildFilter(), pluginConfig: appPolicy() });
  const release = await startEnvoy({ runDir, config, concurrency: 1 });
  try {
    const connection = await RawConnection.open(`127.0.0.1:${listenerPort}`);
    await connection.write(TRAP_REQUEST);
    await waitFor("the release filter to close the connection", () => connection.isClosed, { timeoutMs: 10000 });
    const log = fs.readFileSync(release.logFile, "utf8");
    assert.match(log, /closing connection: request stream is not Kafka framing \(oversized_frame, size field 1447908434\)/);
    assert.doesNotMatch(log, /test hook|Function: proxy_on_downstream_data failed/);
    const stats = await (await fetch(`${release.admin}/stats?filter=^wasm\\.`)).text();
    assert.match(stats, /wasm\.kafka_filter\.vm_reload_success: 0/);
    assert.doesNotMatch(stats, /vm_reload_(success|failure|backoff): [1-9]/);
  } finally {
    await release.stop();
  }
});

test("a trap fails the worker's VM: its open connections close at their next byte unanswered, a new connection reloads the VM with ACLs enforced, and within the backoff new connections are closed", async () => {
  // Before: a connection that works, with ACLs on.
  const bystander = await RawConnection.open(stack.bootstrap);
  assert.deepEqual(await metadataDecisions(bystander, 1), { allowed: 0, denied: TOPIC_AUTHORIZATION_FAILED });
  const statsBefore = await wasmStats();

  await trapTheVm();
  const log = fs.readFileSync(stack.envoy.logFile, "utf8");
  assert.ok(log.includes(HOOK_LOG_LINE), envoyLogTail(stack));
  assert.match(log, /Function: proxy_on_downstream_data failed/, envoyLogTail(stack));

  // The open connection on the failed VM stays open while idle; Envoy closes it at its
  // next byte (proxy-wasm's fail-closed check) and forwards nothing: a Produce to the
  // denied topic never reaches the broker, and gets no answer.
  await sleep(500);
  assert.equal(bystander.isClosed, false, "an idle connection of the failed VM is closed only when it next has data");
  assert.equal(await closedWithoutAnswer(bystander, produceRequest({ correlationId: 2, recordsByTopic: { "denied.vm": ["unchecked"] } })), true,
    "the bystander's request was answered by a failed VM");
  assert.equal(await endOffset("denied.vm"), 0, "a record sent on the failed VM's connection reached the broker");

  // FAIL_RELOAD: the next new connection loads a fresh VM (the last load was long ago),
  // and the fresh VM enforces the same ACLs.
  let lastLoadFrom = Date.now(); // the fresh VM is loaded after this
  const fresh = await RawConnection.open(stack.bootstrap);
  assert.deepEqual(await metadataDecisions(fresh, 3), { allowed: 0, denied: TOPIC_AUTHORIZATION_FAILED });
  const afterReload = await wasmStats();
  assert.equal(afterReload["wasm.kafka_filter.vm_reload_success"] - (statsBefore["wasm.kafka_filter.vm_reload_success"] ?? 0), 1,
    JSON.stringify(afterReload));

  // A second trap right away: within the 1-1.5 s backoff Envoy does not reload, and a new
  // connection is closed (fail closed) rather than passed unfiltered. "Right away" is up to
  // the machine: the time from before the last load to the new connection's answer bounds
  // how long after the load Envoy took it. Under a second, an answer is a reload within the
  // backoff (a fault); over a second (a stalled machine), Envoy rightly loaded a VM for it,
  // and the trap is repeated on that VM (three tries).
  const windows = [];
  let extraLoads = 0;
  for (;;) {
    await trapTheVm();
    const connectFrom = Date.now();
    const next = await RawConnection.open(stack.bootstrap);
    const outcome = await answeredOrClosed(next, metadataRequest({ correlationId: 4, topics: ["denied.vm"] }));
    windows.push(Date.now() - lastLoadFrom);
    if (outcome === "closed") {
      assert.equal(next.frames.length, 0);
      break;
    }
    // Answered: by a VM loaded for it, which must enforce the ACLs like any other.
    const answer = await next.response({ flexibleHeader: true });
    next.close();
    assert.equal(parseMetadataResponse(answer.body, 12).topics.find((t) => t.name === "denied.vm")?.errorCode, TOPIC_AUTHORIZATION_FAILED);
    assert.ok(windows.at(-1) >= BACKOFF_MS, `a connection at most ${windows.at(-1)} ms after the VM was loaded was answered: Envoy reloaded within the backoff`);
    assert.ok(windows.length < 3, `the machine was too slow to open a connection within ${BACKOFF_MS} ms of a load: ${JSON.stringify(windows)} ms`);
    extraLoads += 1;
    lastLoadFrom = connectFrom;
  }
  const inBackoff = await wasmStats();
  assert.ok(inBackoff["wasm.kafka_filter.vm_reload_backoff"] > (afterReload["wasm.kafka_filter.vm_reload_backoff"] ?? 0),
    JSON.stringify(inBackoff));
  assert.equal(await closedWithoutAnswer(fresh, metadataRequest({ correlationId: 5, topics: ["denied.vm"] })), true,
    "a connection of the reloaded VM kept working after that VM failed too");

  // After the backoff a new connection reloads again; real clients work and ACLs hold.
  await sleep(1600);
  await assertAclsStillEnforced("after-reload");
  const end = await wasmStats();
  assert.equal(end["wasm.kafka_filter.vm_reload_success"] - (statsBefore["wasm.kafka_filter.vm_reload_success"] ?? 0), 2 + extraLoads,
    `${JSON.stringify(end)}; a reload for each connection that met a failed VM after the backoff (${extraLoads} while trapping within it: ${JSON.stringify(windows)} ms)`);
  assert.equal(end["wasm.kafka_filter.vm_reload_failure"] ?? 0, 0, JSON.stringify(end));
});

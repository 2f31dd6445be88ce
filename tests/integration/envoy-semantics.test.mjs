// Pins down, on the real Envoy, how a Wasm network filter is handed TCP data, since
// the filter's design depends on it (README, "How Envoy hands data to the filter").
// The probe module (tests/envoy-semantics/probe.ts) logs every data callback and
// answers the first N per direction with StopIteration. The upstream here is a plain
// TCP server on purpose: what is measured is Envoy's buffering, not Kafka.
//
// The probe also logs each connection property the filter reads at onNewConnection
// and at every downstream data callback; a second listener terminates mutual TLS
// (certificates made for this run) to show when Envoy knows the peer certificate.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import tls from "node:tls";
import path from "node:path";
import { root, startEnvoy } from "../../scripts/lib/envoy.mjs";
import { freePort, sleep, waitFor } from "../../scripts/lib/processes.mjs";
import { newRunDir } from "./support/stack.mjs";
import { createCertificateAuthority, downstreamMutualTls, issueCertificate, requireCertificateTools } from "./support/certs.mjs";

const STOPS_PER_DIRECTION = 2;
let envoy;
let upstream;
let greetingUpstream;
let listenerPort;
let continueListenerPort;
let tlsListenerPort;
let ca;
let alice;
let zoe;
const upstreamReceived = [];
// Per connection the greeting upstream accepted: what it received, and its socket. It speaks
// first ("HELLO"), when the test writes to that socket.
const greetingReceived = [];

function probeConfig({ listenerPort, tlsListenerPort, continueListenerPort, transportSocket, adminPort, upstreamPort, greetingUpstreamPort, wasmFile }) {
  const listener = (name, port, socket, { vmId = "", configuration = String(STOPS_PER_DIRECTION), cluster = "upstream" } = {}) => ({
    name,
    address: { socket_address: { address: "127.0.0.1", port_value: port } },
    filter_chains: [{
      ...(socket ? { transport_socket: socket } : {}),
      filters: [
          { name: "envoy.filters.network.wasm", typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm",
            config: { name: "probe", root_id: "probe",
              configuration: { "@type": "type.googleapis.com/google.protobuf.StringValue", value: configuration },
              vm_config: { vm_id: vmId, runtime: "envoy.wasm.runtime.v8", code: { local: { filename: wasmFile } } } } } },
          { name: "envoy.filters.network.tcp_proxy", typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
            stat_prefix: "probe", cluster } },
      ],
    }],
  });
  return {
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: adminPort } } },
    static_resources: {
      listeners: [listener("probe", listenerPort, null), listener("probe_tls", tlsListenerPort, transportSocket),
        listener("probe_continue", continueListenerPort, null, { vmId: "probe_continue", configuration: "continue", cluster: "greeting" })],
      clusters: [["upstream", upstreamPort], ["greeting", greetingUpstreamPort]].map(([name, port]) => ({ name, connect_timeout: "2s", load_assignment: { cluster_name: name,
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: port } } } }] }] } })),
    },
  };
}

/** The probe's data callback lines from log offset `from` on: [{ direction, call, size, eos, returned }]. */
function probeLines(from = 0) {
  return fs.readFileSync(envoy.logFile, "utf8").slice(from).split("\n")
    .map((line) => /probe (downstream|upstream) call=(\d+) size=(\d+) end_of_stream=(\d) returned=(\w+)/.exec(line))
    .filter(Boolean)
    .map(([, direction, call, size, eos, returned]) => ({ direction, call: +call, size: +size, eos: +eos, returned }));
}

/**
 * The probe's property lines from log offset `from` on, by connection context:
 * { <context>: { <callback>: { <property path>: value | null } } }.
 */
function propertyLines(from = 0) {
  const contexts = {};
  const text = fs.readFileSync(envoy.logFile, "utf8").slice(from);
  for (const line of text.split("\n")) {
    const match = /probe property context=(\d+) at=(\S+) path=(\S+) (?:absent|value=(.*))$/.exec(line);
    if (!match) continue;
    const [, context, at, property, value] = match;
    ((contexts[context] ??= {})[at] ??= {})[property] = value ?? null;
  }
  return contexts;
}

/**
 * Resolves once the probe has logged `count` data callbacks in `direction` ("downstream" or
 * "upstream") after log offset `from`. Writing the next bytes only then puts them in a
 * callback of their own: Envoy has read everything sent before. (A fixed pause instead lets
 * a busy Envoy read two writes at once, one callback where the test counts two.)
 */
function callbacksLogged(direction, count, from) {
  return waitFor(`the probe to log ${direction} callback ${count}`,
    () => probeLines(from).filter((l) => l.direction === direction).length >= count,
    { timeoutMs: 10000, intervalMs: 20, hint: () => `\n${JSON.stringify(probeLines(from))}` });
}

/**
 * Sends `chunks` on `socket` one data callback apart (each chunk once the probe has logged
 * the properties of the callback for the one before; the probe holds the first bytes, so
 * no echo is awaited), and drops the connection.
 */
async function exchange(socket, chunks, from) {
  for (const [i, chunk] of chunks.entries()) {
    socket.write(chunk);
    const at = `downstream_data_${i + 1}`;
    await waitFor(`the probe to log ${at}`,
      () => Object.values(propertyLines(from)).some((c) => c.new_connection && c[at]?.["source.address"] !== undefined),
      { timeoutMs: 10000, intervalMs: 20 });
  }
  socket.destroy();
}

/**
 * The one connection opened after log offset `from` (an earlier connection's last
 * callbacks, such as its close, may still be logged after it).
 */
function onlyConnection(from) {
  const contexts = Object.values(propertyLines(from)).filter((c) => c.new_connection !== undefined);
  assert.equal(contexts.length, 1, `one connection's properties were logged: ${JSON.stringify(contexts)}`);
  return contexts[0];
}

before(async () => {
  requireCertificateTools();
  const runDir = newRunDir("envoy-semantics");
  ca = createCertificateAuthority(path.join(runDir, "certs"));
  const server = issueCertificate(ca, "server", { subject: "CN=localhost,O=Example", sans: ["DNS:localhost", "IP:127.0.0.1"], usage: "server" });
  alice = issueCertificate(ca, "alice", {
    subject: "CN=alice,OU=eng,O=Example",
    sans: ["DNS:alice.example.org", "URI:spiffe://example.org/ns/eng/sa/alice", "DNS:second.example.org"],
  });
  // A subject with what RFC 2253 renderings disagree on: an attribute outside RFC 2253's
  // keywords, a non-ASCII value, a multi-valued RDN, "=" in a value and an escaped comma.
  zoe = issueCertificate(ca, "zoe", {
    subj: "/DC=org/DC=example/O=Example, Inc./OU=eng=core+UID=42/CN=Zoë Smith/emailAddress=zoe@example.org",
    sans: ["DNS:zoe.example.org"],
  });
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
  const greetingUpstreamPort = await freePort();
  greetingUpstream = net.createServer((socket) => {
    const received = { data: "" };
    greetingReceived.push(received);
    socket.on("data", (data) => { received.data += data; });
    socket.on("error", () => {});
    received.socket = socket;
  });
  await new Promise((resolve) => greetingUpstream.listen(greetingUpstreamPort, "127.0.0.1", resolve));
  listenerPort = await freePort();
  tlsListenerPort = await freePort();
  continueListenerPort = await freePort();
  envoy = await startEnvoy({ runDir, concurrency: 1,
    config: probeConfig({ listenerPort, tlsListenerPort, continueListenerPort, transportSocket: downstreamMutualTls(ca, server),
      adminPort: await freePort(), upstreamPort, greetingUpstreamPort, wasmFile }) });
}, { timeout: 120000 });

after(async () => {
  await envoy?.stop();
  upstream?.close();
  greetingUpstream?.close();
});

test("StopIteration keeps data in Envoy's buffer; the next callback sees old and new bytes together", async () => {
  const from = fs.statSync(envoy.logFile).size;
  const client = net.connect(listenerPort, "127.0.0.1");
  let fromUpstream = "";
  client.on("data", (data) => { fromUpstream += data; });
  await new Promise((resolve) => client.once("connect", resolve));
  // Each chunk is written once Envoy has handed the one before to the probe, so each is
  // one read. The third callback continues: the upstream gets 12 bytes and echoes them;
  // "dddd" goes only after the probe saw that echo, so the echo of "dddd" is a read of its own too.
  for (const [i, chunk] of ["aaaa", "bbbb", "cccc", "dddd"].entries()) {
    client.write(chunk);
    await callbacksLogged("downstream", i + 1, from);
    if (i === 2) await callbacksLogged("upstream", 1, from);
  }
  await callbacksLogged("upstream", 2, from);
  client.end();
  await waitFor("the connection to close", () => client.closed, { timeoutMs: 10000 });

  const downstream = probeLines(from).filter((l) => l.direction === "downstream");
  // Each stopped callback is followed by one covering everything still buffered.
  assert.deepEqual(downstream.slice(0, 4).map((l) => [l.size, l.returned]),
    [[4, "stop"], [8, "stop"], [12, "continue"], [4, "continue"]]);
  // Nothing reached the upstream until the filter continued, then all of it at once.
  assert.equal(upstreamReceived[0], "aaaabbbbcccc");
  assert.equal(upstreamReceived.join(""), "aaaabbbbccccdddd");

  // The client's half-close arrives as a callback with no new bytes and end_of_stream set.
  assert.deepEqual(downstream.at(-1), { direction: "downstream", call: downstream.length, size: 0, eos: 1, returned: "continue" });

  // The upstream direction behaves the same: stopped bytes accumulate and are re-offered.
  const upstreamCalls = probeLines(from).filter((l) => l.direction === "upstream");
  assert.equal(upstreamCalls[0].returned, "stop");
  assert.ok(upstreamCalls[1].size > upstreamCalls[0].size, "second upstream callback includes the first one's bytes");
  assert.equal(fromUpstream, "RaaaabbbbccccRdddd", "the client got every byte once, in order");
});

test("plaintext listener: the source address is known at onNewConnection, and stays the same", async () => {
  const from = fs.statSync(envoy.logFile).size;
  const client = net.connect(listenerPort, "127.0.0.1");
  await new Promise((resolve) => client.once("connect", resolve));
  const localAddress = `127.0.0.1:${client.localPort}`;
  await exchange(client, ["p1"], from);
  const calls = onlyConnection(from);
  assert.deepEqual(calls.new_connection, {
    "connection.subject_peer_certificate": null,
    "connection.uri_san_peer_certificate": null,
    "connection.dns_san_peer_certificate": null,
    "source.address": localAddress,
  });
  assert.deepEqual(calls.downstream_data_1, calls.new_connection);
});

test("mutual TLS listener: the peer certificate is unknown at onNewConnection and known at the first downstream data", async () => {
  const from = fs.statSync(envoy.logFile).size;
  const client = tls.connect({ port: tlsListenerPort, host: "127.0.0.1", servername: "localhost",
    ca: fs.readFileSync(ca.cert), cert: fs.readFileSync(alice.cert), key: fs.readFileSync(alice.key) });
  await new Promise((resolve, reject) => { client.once("secureConnect", resolve); client.once("error", reject); });
  const localAddress = `127.0.0.1:${client.localPort}`;
  await exchange(client, ["t1", "t2"], from);
  const calls = onlyConnection(from);
  // Before the handshake: no certificate yet, and the subject reads as an EMPTY string
  // (present, not absent: "not known yet" looks like "no subject"); the address is
  // already known.
  assert.deepEqual(calls.new_connection, {
    "connection.subject_peer_certificate": "",
    "connection.uri_san_peer_certificate": null,
    "connection.dns_san_peer_certificate": null,
    "source.address": localAddress,
  });
  // From the first data on: the subject in RFC 2253 order (most specific first, as
  // Java's X500Principal.getName() and so Kafka's default principal builder), and the
  // FIRST SAN of each kind.
  const known = {
    "connection.subject_peer_certificate": "CN=alice,OU=eng,O=Example",
    "connection.uri_san_peer_certificate": "spiffe://example.org/ns/eng/sa/alice",
    "connection.dns_san_peer_certificate": "alice.example.org",
    "source.address": localAddress,
  };
  assert.deepEqual(calls.downstream_data_1, known);
  assert.deepEqual(calls.downstream_data_2, known, "and they stay the same");
});

test("mutual TLS listener: how Envoy renders a subject where RFC 2253 writers differ", async () => {
  const from = fs.statSync(envoy.logFile).size;
  const client = tls.connect({ port: tlsListenerPort, host: "127.0.0.1", servername: "localhost",
    ca: fs.readFileSync(ca.cert), cert: fs.readFileSync(zoe.cert), key: fs.readFileSync(zoe.key) });
  await new Promise((resolve, reject) => { client.once("secureConnect", resolve); client.once("error", reject); });
  await exchange(client, ["z1"], from);
  const calls = onlyConnection(from);
  // Most specific RDN first, like Java's X500Principal.getName(), but: a short name
  // (emailAddress) where Java writes the OID and the DER in hex (1.2.840.113549.1.9.1=#16...);
  // each UTF-8 byte escaped (Java: "Zoë"); a multi-valued RDN reversed and "=" in a
  // value not escaped (Java: "OU=eng\\=core+UID=42"). assembly/acl/subject.ts converts these to Kafka's form.
  assert.equal(calls.downstream_data_1["connection.subject_peer_certificate"],
    "emailAddress=zoe@example.org,CN=Zo\\C3\\AB Smith,UID=42+OU=eng=core,O=Example\\, Inc.,DC=example,DC=org");
});

test("a network filter may prepend bytes to the downstream buffer, and resume a held stream from the upstream callback with proxy_continue_stream (downstream only)", async () => {
  const from = fs.statSync(envoy.logFile).size;
  const client = net.connect(continueListenerPort, "127.0.0.1");
  let fromUpstream = "";
  client.on("data", (data) => { fromUpstream += data; });
  await new Promise((resolve) => client.once("connect", resolve));
  client.write("hold");
  // The probe prepends "PRE|" and holds: nothing reaches the upstream...
  await waitFor("the probe's prepend", () => /probe prepend result=0 size=4/.test(fs.readFileSync(envoy.logFile, "utf8").slice(from)), { timeoutMs: 10000 });
  await waitFor("the greeting upstream to accept Envoy's connection", () => greetingReceived.length === 1, { timeoutMs: 10000 });
  const greeting = greetingReceived[0];
  await sleep(100);
  assert.equal(greeting.data, "", "held bytes are not forwarded");
  // ...until the upstream speaks and the probe, in its upstream callback, calls
  // proxy_continue_stream(downstream): the held bytes, prefix first, move on with no new
  // downstream data. (The upstream speaks only now: had it spoken before the probe held the
  // bytes, there would be nothing to continue.)
  greeting.socket.write("HELLO");
  await waitFor("the held bytes at the upstream", () => greeting.data === "PRE|hold", { timeoutMs: 10000, hint: () => JSON.stringify(greeting.data) });
  await waitFor("the greeting at the client", () => fromUpstream === "HELLO", { timeoutMs: 10000 });
  const log = fs.readFileSync(envoy.logFile, "utf8").slice(from);
  // Ok (0) for the downstream direction; Unimplemented (12) for the upstream one.
  assert.match(log, /probe continue_stream downstream=0 upstream=12/);
  client.destroy();
});

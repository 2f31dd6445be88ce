// Shared pieces of the TLS suites: kcat's TLS options, raw Kafka over Node's TLS client,
// Envoy's TLS listener counters, and the check that refused or odd connections left the
// filter's Wasm VMs alive.
import assert from "node:assert/strict";
import fs from "node:fs";
import tls from "node:tls";
import { RawConnection } from "./kafka-wire.mjs";
import { readStats } from "../../../scripts/lib/envoy.mjs";

/**
 * kcat (librdkafka) options for TLS to Envoy: trust `ca` ({ cert }: certs.mjs's CA), and
 * present `issued`'s certificate and key (certs.mjs's issueCertificate) unless it is null.
 * `protocol` is librdkafka's security.protocol: "ssl" or "sasl_ssl".
 */
export function kcatTlsArgs(ca, issued = null, { protocol = "ssl" } = {}) {
  const args = ["-X", `security.protocol=${protocol}`, "-X", `ssl.ca.location=${ca.cert}`];
  if (issued) args.push("-X", `ssl.certificate.location=${issued.cert}`, "-X", `ssl.key.location=${issued.key}`);
  return args;
}

/**
 * A Kafka RawConnection over TLS to `address` ("host:port"), trusting `ca` and presenting
 * `issued`'s certificate; `servername` is the SNI name sent (none for an IP address).
 * Rejects when the handshake fails.
 */
export async function openTlsConnection(address, { ca, issued, servername }) {
  const at = address.lastIndexOf(":");
  const socket = tls.connect({
    host: address.slice(0, at), port: Number(address.slice(at + 1)), servername, ca: fs.readFileSync(ca.cert),
    cert: fs.readFileSync(issued.cert), key: fs.readFileSync(issued.key),
  });
  await new Promise((resolve, reject) => { socket.once("secureConnect", resolve); socket.once("error", reject); });
  return new RawConnection(socket);
}

/**
 * Envoy's downstream TLS counters summed over the listeners whose stats start with
 * `listenerPrefix` (e.g. "listener.127.0.0.1_"): { handshake, noCertificate (handshakes
 * without a client certificate), noCertRefused (fail_verify_no_cert), connectionError,
 * noFilterChain (no_filter_chain_match) }. Envoy docs: TLS statistics, listener statistics.
 */
export async function listenerTlsCounters(admin, listenerPrefix = "listener.") {
  const stats = await readStats(admin, listenerPrefix);
  const total = (suffix) => [...stats].filter(([name]) => name.startsWith(listenerPrefix) && name.endsWith(suffix)).reduce((n, [, v]) => n + v, 0);
  return {
    handshake: total(".ssl.handshake"),
    noCertificate: total(".ssl.no_certificate"),
    noCertRefused: total(".ssl.fail_verify_no_cert"),
    connectionError: total(".ssl.connection_error"),
    noFilterChain: total(".no_filter_chain_match"),
  };
}

/**
 * Asserts that the filter survived whatever the test sent: Wasm VMs are active, no Wasm
 * failure counter moved, Envoy's log (`logFile`) holds no trap or abort, and no filter
 * instance counted a framing error (TLS bytes read as Kafka).
 */
export async function assertFilterAlive(admin, logFile) {
  const wasm = await readStats(admin, "wasm");
  assert.ok(wasm.get("wasm.envoy.wasm.runtime.v8.active") > 0, "Wasm VMs are alive");
  assert.deepEqual([...wasm].filter(([name, value]) => /fail|crash|abort/.test(name) && value > 0), []);
  assert.ok(!/kafka filter aborted|RuntimeError|Function: proxy_on_\w+ failed|wasm.*(trap|crash)/i.test(fs.readFileSync(logFile, "utf8")),
    "no trap or abort in Envoy's log");
  const framing = [...await readStats(admin, "wasmcustom.kafka.")].filter(([name, value]) => name.endsWith(".filter.framing_errors") && value > 0);
  assert.deepEqual(framing, [], "no filter instance saw TLS bytes as Kafka");
}

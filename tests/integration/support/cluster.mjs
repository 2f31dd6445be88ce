// Cluster mode's test topology and the instruments the cluster suite reads: a 3-node
// KRaft cluster whose brokers advertise their own addresses (each on its own loopback
// address, 127.0.0.2 and up, so a broker's address is unmistakable in captured bytes),
// fronted by the real Envoy with the configuration scripts/cluster-config.mjs generates,
// a frame tap in front of every Envoy listener (the address clients are sent to), a
// byte scanner for real broker addresses, a socket watcher (`ss`) and a reader of
// KIP-951 node_endpoints.
import { spawn } from "node:child_process";
import path from "node:path";
import { startKafkaCluster } from "../../../scripts/lib/kafka.mjs";
import { readStats, startEnvoy } from "../../../scripts/lib/envoy.mjs";
import { discoverBrokers, generateClusterConfig } from "../../../scripts/lib/cluster-config.mjs";
import { freePort, freePortRun } from "../../../scripts/lib/processes.mjs";
import { startFrameTap } from "./frame-tap.mjs";
import { Decoder, Encoder, requestFrame } from "./kafka-wire.mjs";
import { filterWasm, newRunDir } from "./stack.mjs";

/** Whether nothing listens on 127.0.0.1:`port`. */
/**
 * Starts the brokers (RF 3, min.insync.replicas 2 via startKafkaCluster's defaults), on
 * 127.0.0.2, .3, .4, …; returns the cluster.
 */
export async function startTestCluster({ runDir, nodes = 3, extraProperties }) {
  const hosts = Array.from({ length: nodes }, (_, i) => `127.0.0.${i + 2}`);
  return startKafkaCluster({ runDir, nodes, hosts, extraProperties });
}

/**
 * Puts an Envoy in front of `cluster`: discovers the brokers through `cluster.bootstrap`
 * (one Metadata request, as `npm start -- --bootstrap` does), generates and validates the
 * configuration, and starts Envoy. With `taps`, a frame tap sits in front of each
 * listener and the broker_addresses map sends clients to the taps, so every byte Envoy
 * sends a client crosses a tap (`observe` as frame-tap's onConnection). `downstreamTls`
 * (renderClusterEnvoyConfig's option: { certFile, keyFile, caFile, requireClientCert })
 * makes every listener terminate client TLS; taps, which relay plaintext, cannot be
 * combined with it.
 * Returns { envoy, admin, config, yaml, listeners: [{ nodeId, port, advertised, upstream, statPrefix, tls, tap }],
 * bootstrap (node 1's client address), brokers, firstPort, stats(), stop() }.
 */
export async function frontCluster({ runDir, cluster, name = "envoy", pluginConfig, taps = false, observe, downstreamTls }) {
  if (taps && downstreamTls) throw new Error("frame taps relay plaintext Kafka: they cannot sit in front of TLS listeners");
  const started = [];
  const stop = async () => { for (const c of started.reverse()) await c.stop().catch(() => {}); };
  try {
    const { brokers } = await discoverBrokers(cluster.bootstrap);
    const firstPort = await freePortRun(brokers.length);
    const adminPort = await freePort();
    const tapPorts = {};
    if (taps) for (const b of brokers) tapPorts[b.nodeId] = await freePort();
    const advertisedAddresses = Object.fromEntries(Object.entries(tapPorts).map(([id, port]) => [id, `127.0.0.1:${port}`]));
    const { config, yaml, listeners } = generateClusterConfig({
      brokers, firstPort, adminPort, listenAddress: "127.0.0.1", advertisedAddresses, wasmFile: filterWasm(), pluginConfig, downstreamTls,
      validateFile: path.join(runDir, `${name}-cluster.yaml`),
    });
    for (const listener of listeners) {
      if (!taps) continue;
      listener.tap = await startFrameTap({ port: tapPorts[listener.nodeId], upstreamPort: listener.port, onConnection: observe });
      started.push(listener.tap);
    }
    const envoy = await startEnvoy({ runDir, config, name });
    started.push(envoy);
    return {
      envoy,
      admin: envoy.admin,
      config,
      yaml,
      brokers,
      listeners,
      firstPort,
      bootstrap: listeners[0].advertised,
      stats: (filter = "wasmcustom") => readStats(envoy.admin, filter),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

// ---- what the filters counted, what clients see ----

/**
 * The filter's `requests` counters for `api` (all versions), summed per stat prefix
 * `<statPrefixBase><suffix>` (cluster mode: suffix = node id; SNI mode also "bootstrap"):
 * { [suffix]: n } with every one of `suffixes` present (0 when nothing was counted).
 * Stat names: README "Metrics".
 */
export async function requestsPerNode(admin, api, suffixes, statPrefixBase = "broker") {
  const counts = Object.fromEntries(suffixes.map((s) => [String(s), 0]));
  const pattern = new RegExp(`^wasmcustom\\.kafka\\.${statPrefixBase}([A-Za-z0-9]+)\\.api\\.([A-Za-z]+)\\.v\\d+\\.requests$`);
  for (const [name, value] of await readStats(admin, `wasmcustom.kafka.${statPrefixBase}`)) {
    const match = pattern.exec(name);
    if (match && match[2] === api && match[1] in counts) counts[match[1]] += value;
  }
  return counts;
}

/** The leader node id of each partition of `topic`, in partition order, from `kcat -L` output. */
export function leadersOf(metadataText, topic) {
  const section = metadataText.split(/\n(?=\s*topic ")/).find((s) => s.includes(`topic "${topic}"`));
  if (!section) throw new Error(`kcat -L names no topic ${topic}:\n${metadataText}`);
  return [...section.matchAll(/partition (\d+), leader (-?\d+)/g)].sort((a, b) => Number(a[1]) - Number(b[1])).map((m) => Number(m[2]));
}

// ---- leak scan ----


/**
 * Searches byte streams for each broker's real address in the three shapes it can take
 * on the wire: the host string followed by the int32 port (every host/port pair in a
 * Kafka response is encoded so), "host:port" as text, and the host alone (each test
 * broker has a loopback address nothing else uses). Streams are scanned as they pass,
 * with the tail of each chunk carried over so a match split across reads is found.
 */
export class LeakScanner {
  /** `brokers`: [{ nodeId, host, port }], each broker's real client address. */
  constructor(brokers) {
    this.patterns = [];
    for (const { nodeId, host, port } of brokers) {
      const portBytes = Buffer.alloc(4);
      portBytes.writeInt32BE(port);
      this.patterns.push({ nodeId, kind: "host+int32 port", bytes: Buffer.concat([Buffer.from(host), portBytes]) });
      this.patterns.push({ nodeId, kind: "host:port text", bytes: Buffer.from(`${host}:${port}`) });
      this.patterns.push({ nodeId, kind: "host", bytes: Buffer.from(host) });
    }
    this.keep = Math.max(...this.patterns.map((p) => p.bytes.length)) - 1;
    this.bytesScanned = 0;
    this.streams = 0;
    this.hits = [];
  }

  /** A scanner for one stream: call it with each chunk in order. */
  stream(label) {
    this.streams += 1;
    let carry = Buffer.alloc(0);
    return (chunk) => {
      this.bytesScanned += chunk.length;
      const window = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      for (const pattern of this.patterns) {
        // Only matches ending in the new bytes: the carried tail was searched already.
        let at = window.indexOf(pattern.bytes, Math.max(0, carry.length - pattern.bytes.length + 1));
        while (at !== -1) {
          this.hits.push({ label, nodeId: pattern.nodeId, kind: pattern.kind, context: window.subarray(Math.max(0, at - 16), at + pattern.bytes.length + 8).toString("latin1") });
          at = window.indexOf(pattern.bytes, at + 1);
        }
      }
      carry = Buffer.from(window.subarray(Math.max(0, window.length - this.keep)));
    };
  }

  /** { bytesScanned, streams, hits (count), byKind: { [kind]: count } }; the hits themselves are in `hits`. */
  summary() {
    const byKind = {};
    for (const hit of this.hits) byKind[hit.kind] = (byKind[hit.kind] ?? 0) + 1;
    return { bytesScanned: this.bytesScanned, streams: this.streams, hits: this.hits.length, byKind };
  }
}

// ---- KIP-951 node_endpoints ----

/**
 * The top-level NodeEndpoints (tag 0) of a Produce (v10+) or Fetch (v16+) response body
 * (after the flexible response header), as [{ nodeId, host, port }], or null when the
 * response has none. Layouts: spec/kafka-4.3.1/ProduceResponse.json and FetchResponse.json.
 */
export function nodeEndpointsOf(apiKey, apiVersion, body) {
  if (!((apiKey === 0 && apiVersion >= 10) || (apiKey === 1 && apiVersion >= 16))) return null;
  const d = new Decoder(body);
  if (apiKey === 0) {
    d.compactArray(() => {
      if (apiVersion >= 13) d.uuid(); else d.compactString();
      d.compactArray(() => {
        d.int32(); d.int16(); d.int64(); d.int64(); d.int64();
        d.compactArray(() => { d.int32(); d.compactString(); d.skipTags(); });
        d.compactString();
        d.skipTags();
      });
      d.skipTags();
    });
    d.int32();
  } else {
    d.int32(); d.int16(); d.int32();
    d.compactArray(() => {
      d.uuid();
      d.compactArray(() => {
        d.int32(); d.int16(); d.int64(); d.int64(); d.int64();
        d.compactArray(() => { d.int64(); d.int64(); d.skipTags(); });
        d.int32();
        d.skipCompactBytes();
        d.skipTags();
      });
      d.skipTags();
    });
  }
  let endpoints = null;
  const count = d.uvarint();
  for (let i = 0; i < count; i++) {
    const tag = d.uvarint();
    const size = d.uvarint();
    const end = d.pos + size;
    if (tag === 0) {
      endpoints = d.compactArray(() => {
        const endpoint = { nodeId: d.int32(), host: d.compactString(), port: d.int32() };
        d.compactString();
        d.skipTags();
        return endpoint;
      });
    }
    d.pos = end;
  }
  return endpoints;
}

/** Skips a response header v1 (correlation id, tagged fields) and returns the body. */
export function flexibleBody(frame) {
  const d = new Decoder(frame);
  d.int32();
  d.skipTags();
  return frame.subarray(d.pos);
}

// ---- FindCoordinator ----

/** FindCoordinator v4+ request for `keys` of `keyType` (0 group, 1 transaction). */
export function findCoordinatorRequest({ correlationId, keys, keyType = 0, version = 4 }) {
  const body = new Encoder().int8(keyType).compactArray(keys, (e, key) => e.compactString(key)).noTags().build();
  return requestFrame({ apiKey: 10, apiVersion: version, correlationId, flexible: true, body });
}

/** FindCoordinator v3 (one key; the answer in top-level fields). */
export function findCoordinatorRequestV3({ correlationId, key, keyType = 0 }) {
  const body = new Encoder().compactString(key).int8(keyType).noTags().build();
  return requestFrame({ apiKey: 10, apiVersion: 3, correlationId, flexible: true, body });
}

/** FindCoordinator v4+ response body: [{ key, nodeId, host, port, errorCode }]. */
export function parseFindCoordinatorResponse(body) {
  const d = new Decoder(body);
  d.int32();
  return d.compactArray(() => {
    const coordinator = { key: d.compactString(), nodeId: d.int32(), host: d.compactString(), port: d.int32(), errorCode: d.int16() };
    d.compactString();
    d.skipTags();
    return coordinator;
  });
}

/** FindCoordinator v3 response body: { errorCode, nodeId, host, port }. */
export function parseFindCoordinatorResponseV3(body) {
  const d = new Decoder(body);
  d.int32();
  const errorCode = d.int16();
  d.compactString();
  return { errorCode, nodeId: d.int32(), host: d.compactString(), port: d.int32() };
}

/** Produce v12 (topics by name, flexible) of one batch to `partition`. */
export function produceRequestV12({ correlationId, topic, partition, batch, acks = -1 }) {
  const e = new Encoder().compactString(null).int16(acks).int32(10000);
  e.compactArray([topic], (x, name) => {
    x.compactString(name);
    x.compactArray([partition], (y, index) => { y.int32(index).compactBytes(batch).noTags(); });
    x.noTags();
  });
  e.noTags();
  return requestFrame({ apiKey: 0, apiVersion: 12, correlationId, flexible: true, body: e.build() });
}

// ---- sockets ----

/**
 * Polls `ss -tanp` while running and records every TCP socket whose PEER is one of
 * `brokerAddresses` (a client of a broker's client listener) or one of `envoyAddresses`
 * (a client of an Envoy listener), with the process that owns it. `allowedBrokerClients`
 * are the pids that may talk to brokers (Envoy); connections to Envoy listeners may come
 * only from this process's sockets whose local port is in `allowedEnvoyClientPorts()`
 * (the taps' upstream sockets). Sockets in TIME-WAIT have no owner: they are attributed
 * to the process seen owning the same socket (local and peer address) before, and
 * counted as unattributed otherwise (for example one closed before the watch began).
 */
export class SocketWatch {
  /**
   * `brokerAddresses`/`envoyAddresses`: "ip:port" strings as ss prints them; `allowedBrokerClients()`
   * returns pids, `allowedEnvoyClientPorts()` a Set of local ports; `intervalMs`: poll period in ms.
   */
  constructor({ brokerAddresses, envoyAddresses, allowedBrokerClients, allowedEnvoyClientPorts, intervalMs = 250 }) {
    Object.assign(this, { brokerAddresses: new Set(brokerAddresses), envoyAddresses: new Set(envoyAddresses), allowedBrokerClients, allowedEnvoyClientPorts, intervalMs });
    this.owners = new Map();
    this.toBrokers = new Map();
    this.toEnvoy = new Map();
    this.polls = 0;
    this.timer = null;
    this.busy = false;
    /** The first timed poll's failure (ss gone or failing mid-watch), rethrown by stop(). */
    this.failure = null;
    /** A label for what runs now; each socket keeps the one it was first seen under. */
    this.phase = "start";
  }

  /** Polls now and every `intervalMs`; resolves after the first poll (rejects when ss is missing or fails). */
  start() {
    // A timed poll that fails is kept, not thrown into the event loop (an unhandled
    // rejection would end the test run without the message); stop() rethrows it.
    this.timer = setInterval(() => { if (!this.busy && !this.failure) this.poll().catch((error) => { this.failure = error; }); }, this.intervalMs);
    return this.poll();
  }

  /**
   * Stops the timer, waits for a poll in progress, then polls once more so sockets of the
   * last moment are seen; rejects with the first timed poll's failure, if one failed.
   */
  async stop() {
    clearInterval(this.timer);
    while (this.busy) await new Promise((resolve) => setTimeout(resolve, 20));
    if (this.failure) throw this.failure;
    await this.poll();
  }

  /** One `ss -tanpH` run, recorded; rejects naming ss (iproute2) when it cannot run or exits non-zero. */
  poll() {
    this.busy = true;
    return new Promise((resolve, reject) => {
      const child = spawn("ss", ["-tanpH"], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => { out += d; });
      child.stderr.on("data", (d) => { err += d; });
      child.on("error", (error) => { this.busy = false; reject(new Error(`ss (iproute2) is needed to watch sockets: ${error.message}`)); });
      child.on("close", (code) => {
        this.busy = false;
        if (code !== 0) { reject(new Error(`ss -tanpH exited ${code}: ${err}`)); return; }
        this.polls += 1;
        for (const line of out.split("\n")) this.record(line);
        resolve();
      });
    });
  }

  /** Files one ss line (state, local, peer, users:(("cmd",pid=N,...))) under the watched peer it connects to. */
  record(line) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5 || fields[0] === "LISTEN") return;
    const [state, , , local, peer] = fields;
    const pid = Number(/pid=(\d+)/.exec(line)?.[1]) || null;
    const command = /\(\("([^"]+)"/.exec(line)?.[1] ?? null;
    // By the whole 4-tuple: one local address:port may carry sockets of different
    // processes to different peers, so the local address alone would blame the wrong one.
    const key = `${local}->${peer}`;
    if (pid !== null) this.owners.set(key, { pid, command });
    const target = this.brokerAddresses.has(peer) ? this.toBrokers : this.envoyAddresses.has(peer) ? this.toEnvoy : null;
    if (!target) return;
    const owner = pid !== null ? { pid, command } : this.owners.get(key) ?? null;
    const seen = target.get(key);
    if (!seen || (!seen.owner && owner)) target.set(key, { local, peer, state, owner, phase: seen?.phase ?? this.phase });
  }

  /**
   * { polls, brokerSockets, envoyUpstreamSockets, envoySockets } (counts) and the offending
   * sockets ({ local, peer, state, owner, phase }): `bypass` (a broker's client other than
   * Envoy), `unscanned` (an Envoy client other than a tap), `unattributed` (no owner seen).
   */
  report() {
    const allowed = new Set(this.allowedBrokerClients());
    const tapPorts = this.allowedEnvoyClientPorts();
    const brokerSockets = [...this.toBrokers.values()];
    const envoySockets = [...this.toEnvoy.values()];
    const localPort = (address) => Number(address.slice(address.lastIndexOf(":") + 1));
    return {
      polls: this.polls,
      brokerSockets: brokerSockets.length,
      envoyUpstreamSockets: brokerSockets.filter((s) => s.owner && allowed.has(s.owner.pid)).length,
      envoySockets: envoySockets.length,
      bypass: brokerSockets.filter((s) => s.owner && !allowed.has(s.owner.pid)),
      unscanned: envoySockets.filter((s) => s.owner && !(s.owner.pid === process.pid && tapPorts.has(localPort(s.local)))),
      unattributed: [...brokerSockets, ...envoySockets].filter((s) => !s.owner),
    };
  }
}

// Runs generated inputs through the filter in the fuzz host and checks invariants.
// A batch is one VM instance's life: it is configured once, then serves its share of
// connections (several open at once, their callbacks interleaved like on an Envoy
// worker), then is thrown away.
import { FilterTrap, LogLevel, ProxyWasmHost } from "./host.mjs";
import { Rng, generateInput, mixSeed } from "./generate.mjs";

export const DEFAULT_CONFIG = { stat_prefix: "fuzz", max_frame_bytes: 1048576 };

/**
 * ACLs on: every request is held whole, decoded and gated; responses are held and
 * rewritten. The rules allow a little and deny the rest, so inputs exercise rewrites,
 * denials and the fail-closed paths alike.
 */
export const ACL_CONFIG = {
  stat_prefix: "fuzz_acl", max_frame_bytes: 1048576, max_held_frame_bytes: 65536,
  acl: {
    mode: "enforce", default: "deny", principal_sources: ["sasl", "client_id"],
    rules: [
      { name: "cluster", effect: "allow", principal: "User:*", resource_type: "cluster", pattern_type: "literal", resource_name: "kafka-cluster", operations: ["all"] },
      { name: "t-topics", effect: "allow", principal: "User:*", resource_type: "topic", pattern_type: "prefixed", resource_name: "t", operations: ["all"] },
      { name: "no-t2-writes", effect: "deny", principal: "User:*", resource_type: "topic", pattern_type: "literal", resource_name: "t2", operations: ["write"] },
      { name: "groups", effect: "allow", principal: "User:*", resource_type: "group", pattern_type: "literal", resource_name: "*", operations: ["read", "describe"] },
    ],
  },
};

/**
 * Cluster mode: broker addresses in responses are rewritten by node id (explicit nodes,
 * then a template), responses carrying them are held and re-encoded, Fetch node
 * endpoints are edited at the end of the stream; an unknown node id closes.
 */
export const REWRITE_CONFIG = {
  stat_prefix: "fuzz_rw", max_frame_bytes: 1048576, max_held_frame_bytes: 65536, max_inspected_response_bytes: 4096,
  broker_addresses: { nodes: { 0: "127.0.0.1:19092", 1: "envoy-1.fuzz.example:19093" }, host_template: "b{node_id}.fuzz", port_base: 30000 },
};

/** ACLs and rewriting together, explicit nodes only: every other node id closes the connection. */
export const REWRITE_ACL_CONFIG = {
  ...ACL_CONFIG, stat_prefix: "fuzz_rw_acl",
  broker_addresses: { nodes: { 0: "127.0.0.1:19092", 1: "e1:1", 2: "a-much-longer-envoy-host-name.fuzz.example:65535" } },
};

/** Every insight stat on, with tiny caps so that overflow labels and full tables are reached. */
const INSIGHT_CONFIG = {
  stat_prefix: "fuzz_insight", max_topic_labels: 3, batch_size_histograms: true, record_age: true, max_client_id_labels: 2,
  consumer_lag: { max_consumer_labels: 2, expiry_ms: 1000, max_partitions_per_connection: 8 },
};

/** The plugin configuration of a batch, chosen from its seed. */
export function batchSettings(seed, batch) {
  const rng = new Rng(mixSeed(seed, 0x6261, batch));
  const config = rng.weighted([
    [45, DEFAULT_CONFIG],
    [15, ACL_CONFIG],
    [12, REWRITE_CONFIG],
    [8, REWRITE_ACL_CONFIG],
    [12, INSIGHT_CONFIG],
    [15, {}],
    [12, { stat_prefix: "fuzz", max_frame_bytes: 64, max_in_flight_requests: 1 }],
    [13, { stat_prefix: "fuzz_small", max_frame_bytes: rng.range(64, 4096), max_in_flight_requests: rng.range(1, 8) }],
  ]);
  const concurrency = rng.weighted([[40, 1], [30, rng.range(2, 4)], [30, rng.range(5, 32)]]);
  const logLevel = rng.range(LogLevel.Trace, LogLevel.Critical);
  // Envoy's proxy_get_current_time_nanoseconds is the system (wall) clock: it can stand
  // still or step backwards, and the filter must not care.
  const clock = rng.weighted([[70, "real"], [10, "frozen"], [15, "jumpy"], [5, "zero"]]);
  return { config, concurrency, logLevel, clock };
}

/** What the filter makes of a configuration (its documented defaults). */
function makeClock(mode, rng) {
  if (mode === "frozen") return () => 1700000000000000000n;
  if (mode === "zero") return () => 0n;
  if (mode === "jumpy") {
    let now = BigInt(Date.now()) * 1000000n;
    return () => { now += BigInt(rng.range(-2000000, 3000000)) * 1000n; return now; };
  }
  return () => BigInt(Date.now()) * 1000000n + (process.hrtime.bigint() % 1000000n);
}

export function effectiveConfig(config) {
  return {
    statPrefix: config.stat_prefix ?? "kafka",
    maxFrameBytes: config.max_frame_bytes ?? 104857600,
    maxInFlight: config.max_in_flight_requests ?? 1024,
    acl: config.acl !== undefined,
    rewrite: config.broker_addresses !== undefined,
  };
}

/** An independent model of Kafka framing: reports the callback in which a bad size field completes. */
class FramingOracle {
  constructor(maxFrameBytes) {
    this.max = maxFrameBytes;
    this.collected = 0;
    this.acc = 0;
    this.bodyRemaining = 0;
    this.errored = false;
    this.badSize = 0;
  }

  /** Returns true when this chunk completes the first invalid size field of the stream. */
  feed(bytes) {
    const n = bytes.length;
    let i = 0;
    while (i < n && !this.errored) {
      if (this.bodyRemaining > 0) {
        const k = Math.min(this.bodyRemaining, n - i);
        this.bodyRemaining -= k;
        i += k;
        continue;
      }
      this.acc = (this.acc << 8) | bytes[i++];
      if (++this.collected === 4) {
        const size = this.acc | 0;
        this.collected = 0;
        this.acc = 0;
        if (size < 0 || size > this.max) { this.errored = true; this.badSize = size; return true; }
        this.bodyRemaining = size;
      }
    }
    return false;
  }
}

export class FuzzFailure extends Error {
  constructor(type, message, details) {
    super(message);
    this.type = type; // "trap" | "invariant" | "memory"
    this.details = details;
  }
}

class Metrics {
  constructor(host, statPrefix) {
    const f = (name) => `kafka.${statPrefix}.filter.${name}`;
    this.host = host;
    this.framingErrors = f("framing_errors");
    this.connectionsClosed = f("connections_closed");
    this.unmatched = f("unmatched_responses");
    this.aclClosed = f("acl_connections_closed");
    this.rewriteClosed = f("address_rewrite_connections_closed");
  }
  snapshot(out) {
    const m = this.host.metrics;
    out[0] = m.get(this.framingErrors) ?? 0;
    out[1] = m.get(this.connectionsClosed) ?? 0;
    out[2] = m.get(this.unmatched) ?? 0;
    out[3] = (m.get(this.aclClosed) ?? 0) + (m.get(this.rewriteClosed) ?? 0);
    return out;
  }
}

/**
 * Runs inputs [first, first + count) of `seed` as batch `batch` (or the given `inputs`).
 * options: module, corpus, memoryLimitBytes, deadline (ms epoch), keepGoing,
 *          onFailure(failure) (called for each failure; without keepGoing the batch stops)
 * Returns the batch's statistics.
 */
export function runBatch({ module, corpus, seed, batch, first, count, memoryLimitBytes, deadline = 0, keepGoing = false, onFailure,
  inputs = null, settings: fixedSettings = null }) {
  // `inputs` (with `settings`) replays given inputs instead of generating them.
  const settings = fixedSettings ?? batchSettings(seed, batch);
  const cfg = effectiveConfig(settings.config);
  const cleanChecks = cfg.maxFrameBytes >= 65536 && cfg.maxInFlight >= 64;
  const rng = new Rng(mixSeed(seed, 0x7363, batch));
  const stats = {
    batch, inputs: 0, connections: 0, callbacks: 0, bytes: 0, closedByFilter: 0, failures: 0, traps: 0,
    memoryStart: 0, memoryAt1000: 0, memoryEnd: 0, memoryMax: 0, instances: 0, config: settings.config,
    concurrency: settings.concurrency, clock: settings.clock, stoppedEarly: false, logs: [0, 0, 0, 0, 0, 0],
  };

  let host = null;
  let metrics = null;
  let criticalSeen = 0;
  let nextContextId = 2;
  const startHost = () => {
    if (host) for (let l = 0; l < 6; l++) stats.logs[l] += host.logCounts[l];
    host = new ProxyWasmHost(module, {
      config: settings.config, logLevel: settings.logLevel, clock: makeClock(settings.clock, new Rng(mixSeed(seed, 0x636c, batch))),
    }).start();
    metrics = new Metrics(host, cfg.statPrefix);
    criticalSeen = 0;
    nextContextId = 2;
    stats.instances++;
    stats.memoryStart ||= host.memoryBytes;
  };
  startHost();

  const before = [0, 0, 0, 0];
  const after = [0, 0, 0, 0];
  let active = [];
  let next = first;
  const end = first + count;
  let steps = 0;
  let ticks = 0;
  let stop = false;

  const fail = (type, message, conn, extra = {}) => {
    stats.failures++;
    if (type === "trap") stats.traps++;
    const failure = new FuzzFailure(type, message, {
      seed, batch, index: conn?.index, config: settings.config, concurrency: settings.concurrency, clock: settings.clock,
      event: conn ? conn.ev - 1 : undefined, input: conn?.input, ...extra,
    });
    onFailure?.(failure);
    if (!keepGoing) stop = true;
    return failure;
  };

  const handleTrap = (error, conn) => {
    if (!(error instanceof FilterTrap)) throw error;
    fail("trap", error.message, conn, { callback: error.callback, stack: error.cause?.stack, criticalLogs: error.criticalLogs });
    // The instance is dead, as it would be in Envoy. Drop its connections and start afresh.
    stats.inputs += active.length;
    active = [];
    if (!stop) startHost();
  };

  const close = (conn) => {
    const result = host.closeConnection(conn.id);
    if (result.closedByFilter) stats.closedByFilter++;
    if (host.logCounts[LogLevel.Critical] !== criticalSeen) {
      criticalSeen = host.logCounts[LogLevel.Critical];
      fail("invariant", `critical log without a trap: ${host.criticalLogs[host.criticalLogs.length - 1]}`, conn);
    }
    if (result.done !== 1) fail("invariant", `proxy_on_done returned ${result.done} for a connection context (Envoy would wait for proxy_done)`, conn);
    stats.inputs++;
    stats.connections++;
    if (stats.connections === 1000) stats.memoryAt1000 = host.memoryBytes;
    if ((stats.connections & 255) === 0) {
      const bytes = host.memoryBytes;
      if (bytes > stats.memoryMax) stats.memoryMax = bytes;
      if (bytes > memoryLimitBytes) {
        fail("memory", `module memory grew to ${(bytes / 1024).toFixed(0)} KiB after ${stats.connections} connections (limit ${(memoryLimitBytes / 1024).toFixed(0)} KiB)`, conn);
        stop = true;
      }
    }
  };

  const step = (conn) => {
    const e = conn.input.events[conn.ev++];
    metrics.snapshot(before);
    const violations = host.violationCount;
    const status = e.down ? host.downstreamData(conn.id, e.bytes, e.eos) : host.upstreamData(conn.id, e.bytes, e.eos);
    stats.callbacks++;
    stats.bytes += e.bytes.length;
    const closed = host.connections.get(conn.id).closed;
    metrics.snapshot(after);
    if (host.logCounts[LogLevel.Critical] !== criticalSeen) {
      criticalSeen = host.logCounts[LogLevel.Critical];
      fail("invariant", `critical log without a trap: ${host.criticalLogs[host.criticalLogs.length - 1]}`, conn);
    }
    if (status !== 0 && status !== 1) fail("invariant", `data callback returned ${status} (not Continue/StopIteration)`, conn);
    if (host.violationCount !== violations) fail("invariant", `host contract violated: ${host.violations[host.violations.length - 1]}`, conn);
    // The ACL enforcer and address rewriting also close connections (failing closed); each close has exactly one cause.
    const framingDelta = after[0] - before[0] + after[3] - before[3];
    if (framingDelta !== (closed ? 1 : 0)) {
      fail("invariant", closed ? `the filter closed the connection but framing_errors rose by ${framingDelta}`
        : `framing_errors rose by ${framingDelta} without the connection being closed`, conn);
    }
    if (after[1] - before[1] !== (closed ? 1 : 0)) fail("invariant", `connections_closed rose by ${after[1] - before[1]}, connection closed: ${closed}`, conn);
    if (conn.oracle) {
      const oracle = e.down ? conn.down : conn.up;
      const expected = oracle.feed(e.bytes);
      if (expected !== closed) {
        fail("invariant", expected
          ? `the ${e.down ? "request" : "response"} stream has size field ${oracle.badSize} (max ${cfg.maxFrameBytes}) but the filter did not close the connection`
          : `the filter closed the connection although the ${e.down ? "request" : "response"} stream's framing is valid so far`, conn);
      }
      if (status === 1 && !closed) conn.oracle = false; // Envoy re-delivers the held bytes: the model no longer applies
    }
    if (conn.input.clean && cleanChecks && after[2] !== before[2]) {
      fail("invariant", `unmatched_responses rose by ${after[2] - before[2]} on unmodified, causally ordered traffic`, conn);
    }
    return closed;
  };

  while (!stop && (next < end || active.length > 0)) {
    if (deadline && (++steps & 63) === 0 && Date.now() > deadline) { stats.stoppedEarly = true; break; }
    // Envoy's timer (proxy_on_tick) fires between callbacks when the filter asked for one.
    if ((++ticks & 255) === 0) {
      try {
        host.tick();
      } catch (error) {
        handleTrap(error, null);
        continue;
      }
    }
    if (next < end && (active.length === 0 || (active.length < settings.concurrency && rng.chance(0.5)))) {
      const index = next++;
      const input = inputs ? inputs[index - first] : generateInput(seed, index, corpus, cfg.maxFrameBytes);
      const conn = {
        // The framing model cannot foresee policy closes; ACL batches check the other invariants.
        id: nextContextId++, index, input, ev: 0, oracle: !cfg.acl && !cfg.rewrite,
        down: new FramingOracle(cfg.maxFrameBytes), up: new FramingOracle(cfg.maxFrameBytes),
      };
      try {
        host.openConnection(conn.id);
      } catch (error) {
        handleTrap(error, conn);
        continue;
      }
      active.push(conn);
      continue;
    }
    const k = active.length === 1 ? 0 : rng.int(active.length);
    const conn = active[k];
    try {
      const finished = conn.ev >= conn.input.events.length || step(conn);
      if (finished || conn.ev >= conn.input.events.length) {
        active[k] = active[active.length - 1];
        active.pop();
        close(conn);
      }
    } catch (error) {
      handleTrap(error, conn);
    }
  }
  if (host && !stop && !stats.stoppedEarly && active.length === 0) {
    // Every connection is gone: nothing may still count as open or in flight.
    for (const [name, value] of host.gauges()) {
      if (value !== 0 && (name.endsWith(".in_flight") || name.endsWith(".connections_active"))) {
        fail("invariant", `gauge ${name} is ${value} after every connection of the instance closed`, null);
      }
    }
  }
  if (host) {
    for (let l = 0; l < 6; l++) stats.logs[l] += host.logCounts[l];
    stats.memoryEnd = host.memoryBytes;
    if (stats.memoryEnd > stats.memoryMax) stats.memoryMax = stats.memoryEnd;
  }
  return stats;
}

/**
 * Replays one input alone on a fresh instance. Returns { trapped, error, closed, host }.
 */
export function replayInput(module, config, input) {
  const host = new ProxyWasmHost(module, { config, keepLogs: LogLevel.Trace }).start();
  const id = 2;
  try {
    host.openConnection(id);
    for (const e of input.events) {
      const status = e.down ? host.downstreamData(id, e.bytes, e.eos) : host.upstreamData(id, e.bytes, e.eos);
      if (status === -1) break;
    }
    host.closeConnection(id);
    return { trapped: false, host };
  } catch (error) {
    if (!(error instanceof FilterTrap)) throw error;
    return { trapped: true, error, host };
  }
}

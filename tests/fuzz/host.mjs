// A minimal in-process proxy-wasm (ABI 0.2.1) host for the filter module, shaped
// after Envoy's network-filter behaviour, for fuzzing and deterministic tests.
//
// Only what a network filter can use is implemented. The module's imports are
// checked against this list when the host is created: an import the host does not
// implement fails loudly instead of being stubbed.
//
// Behaviour taken from Envoy / proxy-wasm-cpp-host (src/exports.cc, Envoy's
// source/extensions/common/wasm/context.cc):
//  - WasmResult: Ok=0, NotFound=1, BadArgument=2, InvalidMemoryAccess=6, CasMismatch=8.
//  - proxy_get_buffer_bytes(type, start, length, ptrPtr, sizePtr): NotFound when the
//    buffer is not available in the current callback (DownstreamData only during
//    proxy_on_downstream_data, UpstreamData only during proxy_on_upstream_data,
//    PluginConfiguration only during proxy_on_configure, VmConfiguration only during
//    proxy_on_vm_start). When start + length passes the end, length is clamped to
//    size - start, as Envoy does ("Don't overread"). If nothing is left (length 0,
//    including start == size) Envoy returns Ok WITHOUT writing ptrPtr/sizePtr; so do we.
//    Bytes are returned in memory the host allocates by calling the module's
//    proxy_on_memory_allocate, and the pointer and size are stored as u32 LE.
//  - start > size: proxy-wasm-cpp-host computes size - start in unsigned 64-bit
//    arithmetic, which wraps to a huge length; what happens next (a failed
//    allocation, InvalidMemoryAccess, or worse) is not a defined contract. This host
//    returns BadArgument (2) and records a contract violation, so the fuzzer reports
//    any filter that relies on it.
//  - Pointers outside linear memory make Envoy return InvalidMemoryAccess (not trap);
//    this host does the same and records a violation.
//  - Metrics: ids carry the type in their low 2 bits (counter 0, gauge 1, histogram 2),
//    the first counter gets id 0, and defining an existing name returns its id.
//    A counter only accepts a positive increment (Envoy answers BadArgument otherwise);
//    a gauge may move either way but must not go below zero (Envoy's gauges are unsigned).
//  - proxy_close_stream(Downstream=2 | Upstream=3) closes the connection the current
//    context sits on; Request/Response (HTTP streams) are BadArgument on a network filter.
//  - proxy_get_property(path): the path is its segments, each followed by a NUL byte.
//    This host answers the connection's properties given to openConnection (e.g.
//    "connection.subject_peer_certificate", segments joined by "."), as UTF-8 bytes in
//    module memory; anything else is NotFound.
//  - Data callbacks: the filter sees the connection's buffered bytes. On Continue (0)
//    Envoy forwards and drains them; on StopIteration (1) they stay buffered and the
//    next callback covers old + new bytes (verified against real Envoy, see README).
import { TextDecoder } from "node:util";

export const WasmResult = Object.freeze({ Ok: 0, NotFound: 1, BadArgument: 2, InvalidMemoryAccess: 6, CasMismatch: 8 });
export const BufferType = Object.freeze({ DownstreamData: 2, UpstreamData: 3, VmConfiguration: 6, PluginConfiguration: 7 });
export const LogLevel = Object.freeze({ Trace: 0, Debug: 1, Info: 2, Warn: 3, Error: 4, Critical: 5 });
export const PeerType = Object.freeze({ Unknown: 0, Local: 1, Remote: 2 });
export const FilterStatus = Object.freeze({ Continue: 0, StopIteration: 1 });
const MetricType = { Counter: 0, Gauge: 1, Histogram: 2 };
const StreamType = { Request: 0, Response: 1, Downstream: 2, Upstream: 3 };

const ROOT_CONTEXT_ID = 1;
const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder("utf-8", { fatal: false });
const encoder = new TextEncoder();

/** A trap (or any exception) raised while the module ran a callback. */
export class FilterTrap extends Error {
  constructor(callback, cause, host) {
    super(`${callback} trapped: ${cause?.message ?? cause}`);
    this.name = "FilterTrap";
    this.callback = callback;
    this.cause = cause;
    this.criticalLogs = host.criticalLogs.slice();
  }
}

/** The host calls this module may import; each maps to a method of ProxyWasmHost. */
const IMPLEMENTED = [
  "proxy_log", "proxy_get_log_level", "proxy_get_current_time_nanoseconds",
  "proxy_get_buffer_bytes", "proxy_set_buffer_bytes", "proxy_get_buffer_status",
  "proxy_get_property",
  "proxy_define_metric", "proxy_increment_metric", "proxy_record_metric", "proxy_get_metric",
  "proxy_close_stream",
  "proxy_get_shared_data", "proxy_set_shared_data",
  "proxy_set_tick_period_milliseconds", "proxy_done",
];

/** Throws unless every import of `module` is one this host implements. */
export function checkImports(module) {
  const missing = WebAssembly.Module.imports(module)
    .filter((i) => !(i.module === "env" && i.kind === "function" && IMPLEMENTED.includes(i.name)))
    .map((i) => `${i.module}.${i.name} (${i.kind})`);
  if (missing.length > 0) {
    throw new Error(`the filter module imports what the fuzz host does not implement: ${missing.join(", ")}` +
      " — implement it in tests/fuzz/host.mjs");
  }
}

class Connection {
  constructor(id, properties = {}) {
    this.id = id;
    this.properties = new Map(Object.entries(properties)); // "a.b" -> string
    this.downstream = EMPTY; // bytes Envoy still buffers (after StopIteration)
    this.upstream = EMPTY;
    this.closed = false; // the filter called proxy_close_stream
    this.closeCalls = 0;
    this.stopIterations = 0;
    // What Envoy forwarded after each Continue (the first 64 callbacks' bytes), and totals.
    this.sentUpstream = [];
    this.sentDownstream = [];
    this.sentUpstreamBytes = 0;
    this.sentDownstreamBytes = 0;
  }
}

export class ProxyWasmHost {
  /**
   * @param {WebAssembly.Module} module the compiled filter
   * @param {object} options
   *   config: plugin configuration (string, raw bytes as a Uint8Array, or an object, JSON-encoded)
   *   vmConfig: VM configuration string ("" by default)
   *   logLevel: what proxy_get_log_level answers (default Info)
   *   keepLogs: keep decoded log messages at or above this level (default Error)
   *   onLog(level, message): called for kept messages
   */
  constructor(module, options = {}) {
    checkImports(module);
    this.module = module;
    // A Uint8Array is handed over as it is: bytes that need not be UTF-8.
    this.config = typeof options.config === "string" || options.config instanceof Uint8Array ? options.config
      : JSON.stringify(options.config ?? {});
    this.vmConfig = options.vmConfig ?? "";
    this.logLevel = options.logLevel ?? LogLevel.Info;
    this.keepLogs = options.keepLogs ?? LogLevel.Error;
    this.onLog = options.onLog ?? null;
    this.clock = options.clock ?? (() => process.hrtime.bigint());

    this.metrics = new Map(); // name -> value (Number)
    this.metricNames = [[], [], []]; // by type, index id >> 2
    this.metricValues = [[], [], []];
    this.metricIds = new Map(); // name -> id
    this.histogramLast = new Map(); // histogram name -> last recorded value
    this.logCounts = [0, 0, 0, 0, 0, 0];
    this.logs = []; // { level, message } at or above keepLogs (last 100)
    this.criticalLogs = [];
    this.violations = []; // host-contract violations by the module (strings, last 100)
    this.violationCount = 0;
    this.sharedData = new Map(); // key -> { value: Uint8Array, cas }
    this.tickPeriodMs = 0;
    this.closedConnections = [];
    this.connections = new Map();
    this.callbacks = 0;

    // What the current callback may read.
    this.current = null; // Connection
    this.currentBufferType = -1;
    this.currentBuffer = EMPTY;
    this.currentCallback = "";

    this.instance = null;
    this.exports = null;
    this.memory = null;
    this.u8 = EMPTY;
    this.dv = null;
  }

  // -------------------------------------------------------------------------
  // Instantiation and the root context.

  /** Instantiates the module and drives the root lifecycle; throws if configure fails. */
  start() {
    const env = {};
    for (const name of IMPLEMENTED) env[name] = this[name].bind(this);
    this.instance = new WebAssembly.Instance(this.module, { env });
    this.exports = this.instance.exports;
    this.memory = this.exports.memory;
    if (!(this.memory instanceof WebAssembly.Memory)) throw new Error("the module does not export its memory");
    for (const name of ["proxy_on_memory_allocate", "proxy_on_context_create", "proxy_on_configure",
      "proxy_on_new_connection", "proxy_on_downstream_data", "proxy_on_upstream_data", "proxy_on_delete"]) {
      if (typeof this.exports[name] !== "function") throw new Error(`the module does not export ${name}`);
    }
    this.refreshMemory();
    if (this.exports._initialize) this.call("_initialize", () => this.exports._initialize());
    else if (this.exports._start) this.call("_start", () => this.exports._start());

    this.call("proxy_on_context_create(root)", () => this.exports.proxy_on_context_create(ROOT_CONTEXT_ID, 0));
    if (this.exports.proxy_on_vm_start) {
      const vmConfig = encoder.encode(this.vmConfig);
      const ok = this.withBuffer(null, BufferType.VmConfiguration, vmConfig, "proxy_on_vm_start",
        () => this.exports.proxy_on_vm_start(ROOT_CONTEXT_ID, vmConfig.length));
      if (ok !== 1) throw new Error(`proxy_on_vm_start returned ${ok}\n${this.describeLogs()}`);
    }
    const config = typeof this.config === "string" ? encoder.encode(this.config) : this.config;
    const configured = this.withBuffer(null, BufferType.PluginConfiguration, config, "proxy_on_configure",
      () => this.exports.proxy_on_configure(ROOT_CONTEXT_ID, config.length));
    if (configured !== 1) throw new Error(`proxy_on_configure returned ${configured} for ${this.config}\n${this.describeLogs()}`);
    return this;
  }

  refreshMemory() {
    const buffer = this.memory.buffer;
    this.u8 = new Uint8Array(buffer);
    this.dv = new DataView(buffer);
  }

  /** Current linear memory size in bytes. */
  get memoryBytes() {
    return this.memory.buffer.byteLength;
  }

  describeLogs() {
    return this.logs.map((l) => `  [${l.level}] ${l.message}`).join("\n");
  }

  /** Runs a module callback, turning any exception into a FilterTrap. */
  call(name, fn) {
    this.currentCallback = name;
    this.callbacks++;
    try {
      return fn();
    } catch (error) {
      throw new FilterTrap(name, error, this);
    } finally {
      this.currentCallback = "";
    }
  }

  withBuffer(connection, type, bytes, name, fn) {
    this.current = connection;
    this.currentBufferType = type;
    this.currentBuffer = bytes;
    try {
      return this.call(name, fn);
    } finally {
      // What the callback left in the buffer, edits included (proxy_set_buffer_bytes).
      this.lastBuffer = this.currentBuffer;
      this.current = null;
      this.currentBufferType = -1;
      this.currentBuffer = EMPTY;
    }
  }

  /**
   * A configuration update in the same VM, as Envoy does it: a new root context
   * `contextId` configured with `config` (string or object) next to the running one.
   * Connections opened afterwards still belong to the first root context.
   */
  addRootContext(contextId, config) {
    const text = typeof config === "string" ? config : JSON.stringify(config);
    this.call("proxy_on_context_create(root)", () => this.exports.proxy_on_context_create(contextId, 0));
    const bytes = encoder.encode(text);
    const configured = this.withBuffer(null, BufferType.PluginConfiguration, bytes, "proxy_on_configure",
      () => this.exports.proxy_on_configure(contextId, bytes.length));
    if (configured !== 1) throw new Error(`proxy_on_configure returned ${configured} for ${text}\n${this.describeLogs()}`);
  }

  /**
   * Envoy is done with root context `contextId` (its plugin was replaced or removed and
   * its listener drained: proxy-wasm's startShutdown(plugin key)): proxy_on_done, then
   * proxy_on_delete. Returns what proxy_on_done answered.
   */
  finishRootContext(contextId = ROOT_CONTEXT_ID) {
    const e = this.exports;
    const done = e.proxy_on_done ? this.call("proxy_on_done(root)", () => e.proxy_on_done(contextId)) : 1;
    this.call("proxy_on_delete(root)", () => e.proxy_on_delete(contextId));
    return done;
  }

  // -------------------------------------------------------------------------
  // Connections, driven like Envoy drives a network filter.

  /** Fires the root context's timer, as Envoy does every tick period the filter set (nothing when it set none). */
  tick() {
    if (this.tickPeriodMs === 0 || !this.exports.proxy_on_tick) return;
    this.call("proxy_on_tick", () => this.exports.proxy_on_tick(ROOT_CONTEXT_ID));
  }

  /** Opens connection `id`; `properties` ({ "source.address": "10.0.0.1:4000", ... }) answer proxy_get_property. */
  openConnection(id, { properties = {} } = {}) {
    if (this.connections.has(id)) throw new Error(`connection ${id} is already open`);
    const connection = new Connection(id, properties);
    this.connections.set(id, connection);
    this.current = connection;
    try {
      this.call("proxy_on_context_create", () => this.exports.proxy_on_context_create(id, ROOT_CONTEXT_ID));
      this.call("proxy_on_new_connection", () => this.exports.proxy_on_new_connection(id));
    } finally {
      this.current = null;
    }
    return connection;
  }

  /**
   * Delivers `bytes` read from the client (downstream) and returns the filter status.
   * A connection the filter closed gets no more data: returns -1 without calling.
   */
  downstreamData(id, bytes, endOfStream = false) {
    return this.data(id, bytes, endOfStream, true);
  }

  upstreamData(id, bytes, endOfStream = false) {
    return this.data(id, bytes, endOfStream, false);
  }

  data(id, bytes, endOfStream, downstream) {
    const connection = this.connections.get(id);
    if (connection === undefined) throw new Error(`connection ${id} is not open`);
    if (connection.closed) return -1;
    const held = downstream ? connection.downstream : connection.upstream;
    let buffer = bytes;
    if (held.length > 0) {
      buffer = new Uint8Array(held.length + bytes.length);
      buffer.set(held, 0);
      buffer.set(bytes, held.length);
    }
    const eos = endOfStream ? 1 : 0;
    let status;
    if (downstream) {
      status = this.withBuffer(connection, BufferType.DownstreamData, buffer, "proxy_on_downstream_data",
        () => this.exports.proxy_on_downstream_data(id, buffer.length, eos));
    } else {
      status = this.withBuffer(connection, BufferType.UpstreamData, buffer, "proxy_on_upstream_data",
        () => this.exports.proxy_on_upstream_data(id, buffer.length, eos));
    }
    // Continue: Envoy forwards and drains. StopIteration: the bytes stay buffered
    // (copied, since the caller may reuse its array). Either way, as the filter left them.
    const after = this.lastBuffer;
    const kept = status === FilterStatus.StopIteration && !connection.closed ? after.slice() : EMPTY;
    if (status !== FilterStatus.StopIteration && !connection.closed && after.length > 0) {
      const sent = downstream ? "sentUpstream" : "sentDownstream";
      if (connection[sent].length < 64) connection[sent].push(after.slice());
      connection[sent + "Bytes"] += after.length;
    }
    if (status === FilterStatus.StopIteration) connection.stopIterations++;
    if (downstream) connection.downstream = kept; else connection.upstream = kept;
    return status;
  }

  /** Both sides closed: the close callbacks and the context's teardown, in Envoy's order. */
  closeConnection(id, { downstreamPeer = PeerType.Local, upstreamPeer = PeerType.Remote } = {}) {
    const connection = this.connections.get(id);
    if (connection === undefined) throw new Error(`connection ${id} is not open`);
    this.current = connection;
    let done;
    try {
      const e = this.exports;
      if (e.proxy_on_downstream_connection_close) {
        this.call("proxy_on_downstream_connection_close", () => e.proxy_on_downstream_connection_close(id, downstreamPeer));
      }
      if (e.proxy_on_upstream_connection_close) {
        this.call("proxy_on_upstream_connection_close", () => e.proxy_on_upstream_connection_close(id, upstreamPeer));
      }
      done = e.proxy_on_done ? this.call("proxy_on_done", () => e.proxy_on_done(id)) : 1;
      if (e.proxy_on_log) this.call("proxy_on_log", () => e.proxy_on_log(id));
      this.call("proxy_on_delete", () => e.proxy_on_delete(id));
    } finally {
      this.current = null;
      this.connections.delete(id);
    }
    if (connection.closed) this.closedConnections.push(id);
    return { closedByFilter: connection.closed, done };
  }

  // -------------------------------------------------------------------------
  // Metrics, as tests read them.

  /** Names and values of the gauges (type 1). */
  gauges() {
    return this.metricNames[MetricType.Gauge].map((name, i) => [name, this.metricValues[MetricType.Gauge][i]]);
  }

  /** A metric's value by full name (no "wasmcustom." prefix: Envoy adds that), 0 if undefined. */
  metric(name) {
    return this.metrics.get(name) ?? 0;
  }

  // -------------------------------------------------------------------------
  // Imports.

  violation(message) {
    this.violationCount++;
    if (this.violations.length < 100) this.violations.push(`${this.currentCallback || "(no callback)"}: ${message}`);
  }

  inMemory(ptr, size) {
    if (this.u8.length === 0) this.refreshMemory(); // memory grew: the old buffer is detached
    return ptr + size <= this.u8.length;
  }

  readBytes(ptr, size) {
    return this.u8.subarray(ptr, ptr + size);
  }

  /** Copies bytes into module memory allocated by the module; returns the pointer or 0. */
  allocateAndCopy(bytes) {
    const ptr = this.exports.proxy_on_memory_allocate(bytes.length) >>> 0;
    if (ptr === 0 && bytes.length > 0) return 0;
    if (this.u8.length === 0 || this.u8.buffer !== this.memory.buffer) this.refreshMemory();
    if (ptr + bytes.length > this.u8.length) {
      this.violation(`proxy_on_memory_allocate(${bytes.length}) returned ${ptr}, outside memory`);
      return 0;
    }
    this.u8.set(bytes, ptr);
    return ptr;
  }

  writeU32(ptr, value) {
    if (!this.inMemory(ptr, 4)) return false;
    this.dv.setUint32(ptr, value >>> 0, true);
    return true;
  }

  writeU64(ptr, value) {
    if (!this.inMemory(ptr, 8)) return false;
    this.dv.setBigUint64(ptr, BigInt.asUintN(64, BigInt(value)), true);
    return true;
  }

  proxy_log(level, ptr, size) {
    ptr >>>= 0; size >>>= 0;
    if (level > LogLevel.Critical) return WasmResult.BadArgument;
    if (!this.inMemory(ptr, size)) {
      this.violation(`proxy_log with message outside memory (${ptr}, ${size})`);
      return WasmResult.InvalidMemoryAccess;
    }
    this.logCounts[level]++;
    if (level >= this.keepLogs || level === LogLevel.Critical) {
      const message = utf8.decode(this.readBytes(ptr, size));
      if (this.logs.length >= 100) this.logs.shift();
      this.logs.push({ level, message });
      if (level === LogLevel.Critical) this.criticalLogs.push(message);
      if (this.onLog) this.onLog(level, message);
    }
    return WasmResult.Ok;
  }

  proxy_get_log_level(retPtr) {
    return this.writeU32(retPtr >>> 0, this.logLevel) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
  }

  proxy_get_current_time_nanoseconds(retPtr) {
    return this.writeU64(retPtr >>> 0, this.clock()) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
  }

  proxy_get_buffer_bytes(type, start, length, retPtrPtr, retSizePtr) {
    start >>>= 0; length >>>= 0; retPtrPtr >>>= 0; retSizePtr >>>= 0;
    if (type !== this.currentBufferType) return WasmResult.NotFound;
    const buffer = this.currentBuffer;
    if (start > buffer.length) {
      this.violation(`proxy_get_buffer_bytes(type ${type}, start ${start}, length ${length}) past the end of a ${buffer.length}-byte buffer`);
      return WasmResult.BadArgument;
    }
    if (start + length > buffer.length) length = buffer.length - start;
    if (length === 0) return WasmResult.Ok;
    if (!this.inMemory(retPtrPtr, 4) || !this.inMemory(retSizePtr, 4)) {
      this.violation(`proxy_get_buffer_bytes with return pointers outside memory (${retPtrPtr}, ${retSizePtr})`);
      return WasmResult.InvalidMemoryAccess;
    }
    const ptr = this.allocateAndCopy(buffer.subarray(start, start + length));
    if (ptr === 0) return WasmResult.InvalidMemoryAccess;
    this.dv.setUint32(retPtrPtr, ptr, true);
    this.dv.setUint32(retSizePtr, length, true);
    return WasmResult.Ok;
  }

  proxy_get_buffer_status(type, retLengthPtr, retFlagsPtr) {
    if (type !== this.currentBufferType) return WasmResult.NotFound;
    if (!this.writeU32(retLengthPtr >>> 0, this.currentBuffer.length) || !this.writeU32(retFlagsPtr >>> 0, 0)) {
      return WasmResult.InvalidMemoryAccess;
    }
    return WasmResult.Ok;
  }

  /** Envoy's Buffer::copyFrom: start 0 replaces the first `length` bytes, start >= size appends. */
  proxy_set_buffer_bytes(type, start, length, dataPtr, dataSize) {
    start >>>= 0; length >>>= 0; dataPtr >>>= 0; dataSize >>>= 0;
    if (type !== this.currentBufferType) return WasmResult.NotFound;
    if (type !== BufferType.DownstreamData && type !== BufferType.UpstreamData) return WasmResult.NotFound;
    if (!this.inMemory(dataPtr, dataSize)) return WasmResult.InvalidMemoryAccess;
    const data = this.readBytes(dataPtr, dataSize);
    const old = this.currentBuffer;
    let next;
    if (start === 0) {
      const rest = old.subarray(Math.min(length, old.length));
      next = new Uint8Array(data.length + rest.length);
      next.set(data, 0);
      next.set(rest, data.length);
    } else if (start >= old.length) {
      next = new Uint8Array(old.length + data.length);
      next.set(old, 0);
      next.set(data, old.length);
    } else {
      return WasmResult.BadArgument;
    }
    this.currentBuffer = next;
    return WasmResult.Ok;
  }

  proxy_get_property(pathPtr, pathSize, retPtrPtr, retSizePtr) {
    pathPtr >>>= 0; pathSize >>>= 0;
    if (!this.inMemory(pathPtr, pathSize)) return WasmResult.InvalidMemoryAccess;
    const segments = utf8.decode(this.readBytes(pathPtr, pathSize)).split("\0");
    if (segments.length > 0 && segments[segments.length - 1] === "") segments.pop();
    const value = this.current?.properties.get(segments.join("."));
    if (value === undefined) return WasmResult.NotFound;
    const bytes = encoder.encode(value);
    const ptr = bytes.length === 0 ? 0 : this.allocateAndCopy(bytes);
    if (bytes.length > 0 && ptr === 0) return WasmResult.InvalidMemoryAccess;
    return this.writeU32(retPtrPtr >>> 0, ptr) && this.writeU32(retSizePtr >>> 0, bytes.length) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
  }

  proxy_define_metric(type, namePtr, nameSize, retIdPtr) {
    namePtr >>>= 0; nameSize >>>= 0;
    if (type > MetricType.Histogram) return WasmResult.BadArgument;
    if (!this.inMemory(namePtr, nameSize)) {
      this.violation("proxy_define_metric with a name outside memory");
      return WasmResult.InvalidMemoryAccess;
    }
    const name = utf8.decode(this.readBytes(namePtr, nameSize));
    let id = this.metricIds.get(name);
    if (id === undefined) {
      const names = this.metricNames[type];
      id = (names.length << 2) | type;
      names.push(name);
      this.metricValues[type].push(0);
      this.metricIds.set(name, id);
      this.metrics.set(name, 0);
    } else if ((id & 3) !== type) {
      return WasmResult.BadArgument;
    }
    return this.writeU32(retIdPtr >>> 0, id) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
  }

  proxy_increment_metric(id, delta) {
    id >>>= 0;
    const type = id & 3;
    const index = id >>> 2;
    if (type > MetricType.Gauge || index >= this.metricNames[type].length) return WasmResult.NotFound;
    const d = Number(delta);
    if (type === MetricType.Counter && d <= 0) {
      this.violation(`proxy_increment_metric(${this.metricNames[type][index]}, ${delta}): Envoy rejects a non-positive counter increment`);
      return WasmResult.BadArgument;
    }
    const value = this.metricValues[type][index] + d;
    if (value < 0) {
      // Envoy's gauges are unsigned: going below zero is a bookkeeping bug (it wraps in release builds).
      this.violation(`proxy_increment_metric(${this.metricNames[type][index]}, ${delta}): gauge would go below zero (${value})`);
    }
    this.metricValues[type][index] = value;
    this.metrics.set(this.metricNames[type][index], value);
    return WasmResult.Ok;
  }

  proxy_record_metric(id, value) {
    id >>>= 0;
    const type = id & 3;
    const index = id >>> 2;
    if (type > MetricType.Histogram || index >= this.metricNames[type].length) return WasmResult.NotFound;
    const big = BigInt.asUintN(64, BigInt(value));
    if (type === MetricType.Histogram && big >= 1n << 63n) {
      this.violation(`proxy_record_metric(${this.metricNames[type][index]}, ${big}): a negative value wrapped to u64`);
    }
    const v = Number(big);
    // Counters add, gauges are set; for a histogram the map holds how many values were recorded.
    const next = type === MetricType.Counter ? this.metricValues[type][index] + v
      : type === MetricType.Gauge ? v : this.metricValues[type][index] + 1;
    this.metricValues[type][index] = next;
    if (type === MetricType.Histogram) this.histogramLast.set(this.metricNames[type][index], v);
    this.metrics.set(this.metricNames[type][index], next);
    return WasmResult.Ok;
  }

  proxy_get_metric(id, retPtr) {
    id >>>= 0;
    const type = id & 3;
    const index = id >>> 2;
    if (type > MetricType.Histogram || index >= this.metricNames[type].length) return WasmResult.NotFound;
    if (type === MetricType.Histogram) return WasmResult.BadArgument;
    return this.writeU64(retPtr >>> 0, this.metricValues[type][index]) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
  }

  proxy_close_stream(streamType) {
    if (streamType !== StreamType.Downstream && streamType !== StreamType.Upstream) return WasmResult.BadArgument;
    const connection = this.current;
    if (connection === null) {
      this.violation("proxy_close_stream outside a connection callback");
      return WasmResult.NotFound;
    }
    connection.closed = true;
    connection.closeCalls++;
    return WasmResult.Ok;
  }

  proxy_get_shared_data(keyPtr, keySize, retValuePtrPtr, retValueSizePtr, retCasPtr) {
    if (!this.inMemory(keyPtr >>> 0, keySize >>> 0)) return WasmResult.InvalidMemoryAccess;
    const key = utf8.decode(this.readBytes(keyPtr >>> 0, keySize >>> 0));
    const entry = this.sharedData.get(key);
    if (entry === undefined) return WasmResult.NotFound;
    const ptr = entry.value.length > 0 ? this.allocateAndCopy(entry.value) : 0;
    if (entry.value.length > 0 && ptr === 0) return WasmResult.InvalidMemoryAccess;
    if (!this.writeU32(retValuePtrPtr >>> 0, ptr) || !this.writeU32(retValueSizePtr >>> 0, entry.value.length) ||
      !this.writeU32(retCasPtr >>> 0, entry.cas)) return WasmResult.InvalidMemoryAccess;
    return WasmResult.Ok;
  }

  proxy_set_shared_data(keyPtr, keySize, valuePtr, valueSize, cas) {
    if (!this.inMemory(keyPtr >>> 0, keySize >>> 0) || !this.inMemory(valuePtr >>> 0, valueSize >>> 0)) {
      return WasmResult.InvalidMemoryAccess;
    }
    const key = utf8.decode(this.readBytes(keyPtr >>> 0, keySize >>> 0));
    const entry = this.sharedData.get(key);
    cas >>>= 0;
    if (cas !== 0 && (entry === undefined || entry.cas !== cas)) return WasmResult.CasMismatch;
    const nextCas = ((entry?.cas ?? 0) + 1) >>> 0 || 1;
    this.sharedData.set(key, { value: this.readBytes(valuePtr >>> 0, valueSize >>> 0).slice(), cas: nextCas });
    return WasmResult.Ok;
  }

  proxy_set_tick_period_milliseconds(period) {
    this.tickPeriodMs = period >>> 0;
    return WasmResult.Ok;
  }

  proxy_done() {
    return WasmResult.Ok;
  }
}

/** Compiles a module file once; the module can back many hosts. */
export async function loadModule(file) {
  const fs = await import("node:fs");
  return new WebAssembly.Module(fs.readFileSync(file));
}

// Typed wrappers over the proxy-wasm host calls. This is the only module that
// touches raw pointers handed out by the host.
import {
  proxy_log, proxy_get_log_level, proxy_get_current_time_nanoseconds,
  proxy_get_buffer_bytes, proxy_get_property, proxy_close_stream,
  proxy_define_metric, proxy_increment_metric, proxy_record_metric, proxy_get_metric,
  proxy_set_buffer_bytes, proxy_get_shared_data, proxy_set_shared_data, proxy_set_tick_period_milliseconds,
} from "./imports";

/**
 * proxy-wasm ABI 0.2.1 codes and enums (https://github.com/proxy-wasm/spec, abi-versions/v0.2.1); values are the ABI's.
 */
export const enum WasmResult { Ok = 0, NotFound = 1, BadArgument = 2 }
export const enum LogLevel { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4, Critical = 5 }
export const enum FilterStatus { Continue = 0, StopIteration = 1 }
export const enum BufferType {
  HttpRequestBody = 0, HttpResponseBody = 1, DownstreamData = 2, UpstreamData = 3,
  HttpCallResponseBody = 4, GrpcReceiveBuffer = 5, VmConfiguration = 6, PluginConfiguration = 7,
}
export const enum StreamType { Request = 0, Response = 1, Downstream = 2, Upstream = 3 }
export const enum MetricType { Counter = 0, Gauge = 1, Histogram = 2 }
export const enum PeerType { Unknown = 0, Local = 1, Remote = 2 }

// Out-parameters of host calls land here; static memory keeps the calls allocation-free.
const RETURN_PTR: usize = memory.data(8);
const RETURN_SIZE: usize = memory.data(8);
const RETURN_U64: usize = memory.data(8);

// The host hands returned byte ranges back in memory it allocates through
// proxy_on_memory_allocate. For buffer copies the filter already has the destination,
// so the allocation is pointed straight at it (hostAllocate): the host writes the bytes
// where they are needed, and the copy, the TLSF allocation and the free are saved. In
// Envoy each of those costs more than the host call itself (issue 13's profile: a third
// of the filter's in-VM time was the allocator).
let directTarget: usize = 0;
let directCapacity: usize = 0;

/**
 * What proxy_on_memory_allocate answers: the armed destination of the buffer copy in
 * progress when the host asks for at most its capacity, else a heap allocation
 * (freed by whoever takes the bytes). Disarms itself, so any other allocation the host
 * makes (properties, shared data, configuration) comes from the heap.
 */
export function hostAllocate(size: usize): usize {
  const target = directTarget;
  directTarget = 0;
  if (target != 0 && size <= directCapacity) return target;
  return heap.alloc(size);
}

function takeReturnedBytes(dest: usize, capacity: usize): i32 {
  const ptr = load<usize>(RETURN_PTR);
  const size = load<usize>(RETURN_SIZE);
  if (ptr == 0) return <i32>size == 0 ? 0 : -1;
  const copied = size < capacity ? size : capacity;
  if (ptr == dest) return <i32>copied;
  memory.copy(dest, ptr, copied);
  heap.free(ptr);
  return <i32>copied;
}

function resetReturnSlots(): void {
  store<usize>(RETURN_PTR, 0);
  store<usize>(RETURN_SIZE, 0);
}

/**
 * Copies `length` bytes at `start` of a host buffer to `dest` (which must have room for
 * `length` bytes); Envoy writes them there directly. Returns the byte count copied
 * (fewer when the buffer ends first), or -1 when the host refuses.
 */
export function copyBufferBytes(buffer: BufferType, start: u32, length: u32, dest: usize): i32 {
  if (length == 0) return 0;
  resetReturnSlots();
  directTarget = dest;
  directCapacity = length;
  const result = proxy_get_buffer_bytes(buffer, start, length, RETURN_PTR, RETURN_SIZE);
  directTarget = 0;
  if (result != WasmResult.Ok) return -1;
  return takeReturnedBytes(dest, length);
}

/**
 * Replaces the first `length` bytes of a connection buffer with `data`. Envoy's
 * network buffers support exactly this edit (drain a prefix, then prepend), and
 * appending at the end; nothing else, so callers rewrite from the buffer's start.
 */
export function replaceBufferPrefix(buffer: BufferType, length: u32, data: usize, dataSize: u32): bool {
  return proxy_set_buffer_bytes(buffer, 0, length, data, dataSize) == WasmResult.Ok;
}

/**
 * Reads a whole host buffer (plugin or VM configuration) as raw bytes; an empty buffer
 * when it is empty or the host refuses.
 */
export function bufferBytes(buffer: BufferType, size: u32): ArrayBuffer {
  if (size == 0) return new ArrayBuffer(0);
  const bytes = new ArrayBuffer(<i32>size);
  const copied = copyBufferBytes(buffer, 0, size, changetype<usize>(bytes));
  if (copied <= 0) return new ArrayBuffer(0);
  return copied < <i32>size ? bytes.slice(0, copied) : bytes;
}

/** Reads a whole host buffer as UTF-8 text, decoded leniently (invalid bytes become U+FFFD). */
export function bufferAsString(buffer: BufferType, size: u32): string {
  return String.UTF8.decode(bufferBytes(buffer, size));
}

/** Reads an Envoy attribute (for example ["source", "address"]) as raw bytes, or null if absent. */
export function getProperty(path: string[]): ArrayBuffer | null {
  // The ABI encodes a property path as its segments, each followed by a NUL byte.
  let encodedLength = 0;
  for (let i = 0; i < path.length; i++) encodedLength += String.UTF8.byteLength(path[i]) + 1;
  const encoded = new ArrayBuffer(encodedLength);
  let offset = 0;
  for (let i = 0; i < path.length; i++) {
    const segment = String.UTF8.encode(path[i]);
    memory.copy(changetype<usize>(encoded) + offset, changetype<usize>(segment), segment.byteLength);
    offset += segment.byteLength;
    store<u8>(changetype<usize>(encoded) + offset, 0);
    offset += 1;
  }
  resetReturnSlots();
  if (proxy_get_property(changetype<usize>(encoded), encodedLength, RETURN_PTR, RETURN_SIZE) != WasmResult.Ok) {
    return null;
  }
  const size = <i32>load<usize>(RETURN_SIZE);
  const value = new ArrayBuffer(size);
  if (takeReturnedBytes(changetype<usize>(value), size) < 0) return null;
  return value;
}

/** getProperty decoded as UTF-8, or null if absent. */
export function getPropertyString(path: string[]): string | null {
  const raw = getProperty(path);
  if (raw == null) return null;
  return String.UTF8.decode(raw);
}

// Envoy answers proxy_get_log_level from the wasm logger's level; asking it first
// keeps disabled debug logging from building strings on the data path.
export function logEnabled(level: LogLevel): bool {
  if (proxy_get_log_level(RETURN_U64) != WasmResult.Ok) return true;
  return load<u32>(RETURN_U64) <= <u32>level;
}

/** Writes `message` to Envoy's log at `level` (the wasm logger); callers check logEnabled first on hot paths. */
export function log(level: LogLevel, message: string): void {
  const utf8 = String.UTF8.encode(message);
  proxy_log(level, changetype<usize>(utf8), utf8.byteLength);
}

/** Envoy's wall clock in ns since the Unix epoch; 0 when the host refuses. */
export function nowNanoseconds(): u64 {
  if (proxy_get_current_time_nanoseconds(RETURN_U64) != WasmResult.Ok) return 0;
  return load<u64>(RETURN_U64);
}

/** Asks Envoy to call proxy_on_tick on the current root context every `periodMs` ms (0 stops it). */
export function setTickPeriod(periodMs: u32): void {
  proxy_set_tick_period_milliseconds(periodMs);
}

/** Closes the connection this filter instance sits on (both directions). */
export function closeDownstream(): void {
  proxy_close_stream(StreamType.Downstream);
}

// Envoy hands out metric id 0 to the first counter, so failure needs its own sentinel.
export const INVALID_METRIC: u32 = u32.MAX_VALUE;

/** Defines (or looks up, if another VM already defined it) a metric; returns its id or INVALID_METRIC. */
export function defineMetric(type: MetricType, name: string): u32 {
  const utf8 = String.UTF8.encode(name);
  if (proxy_define_metric(type, changetype<usize>(utf8), utf8.byteLength, RETURN_U64) != WasmResult.Ok) {
    return INVALID_METRIC;
  }
  return load<u32>(RETURN_U64);
}

/** Adds `delta` (may be negative for a gauge) to a counter or gauge; INVALID_METRIC is ignored. */
export function incrementMetric(metricId: u32, delta: i64): void {
  if (metricId == INVALID_METRIC) return;
  proxy_increment_metric(metricId, delta);
}

/** Records `value` into a histogram (or sets a gauge); INVALID_METRIC is ignored. */
export function recordMetric(metricId: u32, value: u64): void {
  if (metricId == INVALID_METRIC) return;
  proxy_record_metric(metricId, value);
}

/** The metric's current value; 0 when the host refuses (e.g. an unknown id). */
export function getMetric(metricId: u32): u64 {
  if (proxy_get_metric(metricId, RETURN_U64) != WasmResult.Ok) return 0;
  return load<u64>(RETURN_U64);
}

/**
 * Reads a value shared by every VM of this Envoy (all workers), or null if absent.
 * Envoy keeps shared data per VM id, so filters with the same vm_id see one store.
 */
export function getSharedData(key: string): ArrayBuffer | null {
  const utf8 = String.UTF8.encode(key);
  resetReturnSlots();
  if (proxy_get_shared_data(changetype<usize>(utf8), utf8.byteLength, RETURN_PTR, RETURN_SIZE, RETURN_U64) != WasmResult.Ok) {
    return null;
  }
  const size = <i32>load<usize>(RETURN_SIZE);
  const value = new ArrayBuffer(size);
  if (takeReturnedBytes(changetype<usize>(value), size) < 0) return null;
  return value;
}

/** The compare-and-swap token of the value the last readSharedData call found (0: absent). */
export let sharedDataCas: u32 = 0;

/**
 * A reusable destination for shared values read often: `buffer` grows to the largest value
 * read (the only allocation), `length` is the last value's size in bytes.
 */
export class SharedValueBuffer {
  buffer: ArrayBuffer = new ArrayBuffer(64);
  length: i32 = 0;
}

/** What readSharedData found: the value, no such key, or a refusal (the value is then unknown). */
export const enum SharedRead { Found = 0, Absent = 1, Failed = 2 }

/**
 * Reads the shared value under `key` (UTF-8; callers that ask often keep it) into `into`,
 * Envoy writing it there directly when it fits; leaves the value's compare-and-swap token
 * in sharedDataCas for setSharedDataBytes. With Absent or Failed, `into.length` and the
 * token are 0: a caller about to write must not take Failed for Absent, since a write with
 * token 0 replaces whatever is there. The proxy-wasm ABI's proxy_get_shared_data.
 */
export function readSharedData(key: ArrayBuffer, into: SharedValueBuffer): SharedRead {
  sharedDataCas = 0;
  into.length = 0;
  resetReturnSlots();
  directTarget = changetype<usize>(into.buffer);
  directCapacity = <usize>into.buffer.byteLength;
  const result = proxy_get_shared_data(changetype<usize>(key), key.byteLength, RETURN_PTR, RETURN_SIZE, RETURN_U64);
  directTarget = 0;
  if (result == WasmResult.NotFound) return SharedRead.Absent;
  if (result != WasmResult.Ok) return SharedRead.Failed;
  const size = <i32>load<usize>(RETURN_SIZE);
  if (size > into.buffer.byteLength) {
    // Grown by another worker past this buffer: the host wrote it to the heap.
    const grown = new ArrayBuffer(size * 2);
    const ptr = load<usize>(RETURN_PTR);
    memory.copy(changetype<usize>(grown), ptr, <usize>size);
    heap.free(ptr);
    into.buffer = grown;
  } else if (takeReturnedBytes(changetype<usize>(into.buffer), <usize>size) < 0) {
    return SharedRead.Failed;
  }
  into.length = size;
  sharedDataCas = load<u32>(RETURN_U64);
  return SharedRead.Found;
}

/**
 * Stores `length` bytes at `data` as the shared value under `key` (UTF-8) if it is still
 * the one whose token `cas` a read returned (0: no check, last writer wins); false when
 * another VM wrote it in between (CasMismatch) or the host refused. proxy_set_shared_data.
 */
export function setSharedDataBytes(key: ArrayBuffer, data: usize, length: i32, cas: u32): bool {
  return proxy_set_shared_data(changetype<usize>(key), key.byteLength, data, <usize>length, cas) == WasmResult.Ok;
}

/** Stores a shared value without a compare-and-swap check (last writer wins). */
export function setSharedData(key: string, value: ArrayBuffer): bool {
  const utf8 = String.UTF8.encode(key);
  return proxy_set_shared_data(changetype<usize>(utf8), utf8.byteLength, changetype<usize>(value), value.byteLength, 0) == WasmResult.Ok;
}

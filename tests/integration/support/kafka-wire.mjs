// Hand-built Kafka requests and a raw client connection, for tests that must control
// every byte a real client would not send: frames cut into single bytes, pipelined
// requests, versions above the codec's range, unknown API keys, made-up topic ids.
// Layouts follow spec/kafka-4.3.1/*.json; nothing here comes from the code under test.
import crypto from "node:crypto";
import net from "node:net";

// ---- encoding ----

/**
 * Builds Kafka protocol primitives (https://kafka.apache.org/protocol#protocol_types),
 * big-endian; every method appends and returns `this`, build() concatenates. Method
 * names are the types: int8..int64 (int64 takes a number or BigInt), uvarint/varint
 * (32-bit; varint zigzag-encodes), string/compactString and compactBytes (null encodes
 * null), array/compactArray (items written by `each(encoder, item)`), uuid (16 bytes or
 * Java's base64 text), noTags (an empty tagged-field section).
 */
export class Encoder {
  constructor() { this.parts = []; }
  bytes(buffer) { this.parts.push(Buffer.from(buffer)); return this; }
  int8(v) { const b = Buffer.alloc(1); b.writeInt8(v); return this.bytes(b); }
  int16(v) { const b = Buffer.alloc(2); b.writeInt16BE(v); return this.bytes(b); }
  int32(v) { const b = Buffer.alloc(4); b.writeInt32BE(v); return this.bytes(b); }
  uint32(v) { const b = Buffer.alloc(4); b.writeUInt32BE(v); return this.bytes(b); }
  int64(v) { const b = Buffer.alloc(8); b.writeBigInt64BE(BigInt(v)); return this.bytes(b); }
  bool(v) { return this.int8(v ? 1 : 0); }
  uvarint(v) {
    const out = [];
    let n = v >>> 0;
    while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n >>>= 7; }
    out.push(n);
    return this.bytes(Buffer.from(out));
  }
  varint(v) { return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0); }
  /** Classic nullable string: int16 length, -1 for null. */
  string(s) {
    if (s === null) return this.int16(-1);
    const b = Buffer.from(s, "utf8");
    return this.int16(b.length).bytes(b);
  }
  /** Compact nullable string: uvarint length + 1, 0 for null. */
  compactString(s) {
    if (s === null) return this.uvarint(0);
    const b = Buffer.from(s, "utf8");
    return this.uvarint(b.length + 1).bytes(b);
  }
  compactBytes(b) { return b === null ? this.uvarint(0) : this.uvarint(b.length + 1).bytes(b); }
  /** Compact array of `items` written by `each(encoder, item)`; null for a null array. */
  compactArray(items, each) {
    if (items === null) return this.uvarint(0);
    this.uvarint(items.length + 1);
    for (const item of items) each(this, item);
    return this;
  }
  array(items, each) {
    if (items === null) return this.int32(-1);
    this.int32(items.length);
    for (const item of items) each(this, item);
    return this;
  }
  uuid(hexOrBuffer) { return this.bytes(typeof hexOrBuffer === "string" ? uuidBytes(hexOrBuffer) : hexOrBuffer); }
  noTags() { return this.uvarint(0); }
  build() { return Buffer.concat(this.parts); }
}

/** A Kafka topic id, as Java prints it (URL-safe base64 of the 16 bytes), to bytes. */
export function uuidBytes(text) {
  const bytes = Buffer.from(text, "base64url");
  if (bytes.length !== 16) throw new Error(`not a Kafka uuid: ${text}`);
  return bytes;
}

/**
 * One request frame, size field included. Header v1 (classic) or v2 (flexible: with an
 * empty tagged-field section) per `flexible`.
 */
export function requestFrame({ apiKey, apiVersion, correlationId, clientId = "acl-wire-test", flexible, body }) {
  const header = new Encoder().int16(apiKey).int16(apiVersion).int32(correlationId).string(clientId);
  if (flexible) header.noTags();
  const payload = Buffer.concat([header.build(), body]);
  const frame = Buffer.alloc(4 + payload.length);
  frame.writeInt32BE(payload.length, 0);
  payload.copy(frame, 4);
  return frame;
}

// ---- requests ----

/**
 * ApiVersions request frame: v3+ (flexible) names the client software "acl-wire-test" 1.0; earlier versions have an
 * empty body.
 */
export function apiVersionsRequest({ correlationId, version = 3 }) {
  const body = version >= 3 ? new Encoder().compactString("acl-wire-test").compactString("1.0").noTags().build() : Buffer.alloc(0);
  return requestFrame({ apiKey: 18, apiVersion: version, correlationId, flexible: version >= 3, body });
}

/** Metadata v1..v13; `topics` null asks for every topic. */
export function metadataRequest({ correlationId, version = 12, topics }) {
  const flexible = version >= 9;
  const e = new Encoder();
  if (flexible) {
    e.compactArray(topics, (x, name) => { if (version >= 10) x.uuid(Buffer.alloc(16)); x.compactString(name).noTags(); });
  } else {
    e.array(topics, (x, name) => x.string(name));
  }
  if (version >= 4) e.bool(false);
  if (version >= 8 && version <= 10) e.bool(false);
  if (version >= 8) e.bool(false);
  if (flexible) e.noTags();
  return requestFrame({ apiKey: 3, apiVersion: version, correlationId, flexible, body: e.build() });
}

/** Produce v9 (flexible, topics by name) of `recordsByTopic`: { topic: [value, ...] } to partition 0. */
export function produceRequest({ correlationId, recordsByTopic, acks = -1 }) {
  const e = new Encoder().compactString(null).int16(acks).int32(10000);
  e.compactArray(Object.entries(recordsByTopic), (x, [topic, values]) => {
    x.compactString(topic);
    x.compactArray([0], (y, partition) => { y.int32(partition).compactBytes(recordBatch(values)).noTags(); });
    x.noTags();
  });
  e.noTags();
  return requestFrame({ apiKey: 0, apiVersion: 9, correlationId, flexible: true, body: e.build() });
}

/** Fetch v13 (topics by id) of partition 0 of each id from `fetchOffset` (0 by default). */
export function fetchRequestByTopicId({ correlationId, topicIds, version = 13, fetchOffset = 0, clientId = undefined }) {
  const e = new Encoder();
  if (version <= 14) e.int32(-1);
  e.int32(100).int32(1).int32(1 << 20).int8(0).int32(0).int32(-1);
  e.compactArray(topicIds, (x, id) => {
    x.uuid(id);
    x.compactArray([0], (y, partition) => {
      y.int32(partition).int32(-1).int64(fetchOffset).int32(-1).int64(-1).int32(1 << 20).noTags();
    });
    x.noTags();
  });
  e.compactArray([], () => {}).compactString("").noTags();
  return requestFrame({ apiKey: 1, apiVersion: version, correlationId, clientId, flexible: true, body: e.build() });
}

/** A response frame: size field, correlation id, an empty tagged-field section (header v1), then `body`. */
function flexibleResponseFrame(correlationId, body) {
  const payload = Buffer.concat([new Encoder().int32(correlationId).noTags().build(), body]);
  const frame = Buffer.alloc(4 + payload.length);
  frame.writeInt32BE(payload.length, 0);
  payload.copy(frame, 4);
  return frame;
}

/**
 * A Metadata v12 response frame answering metadataRequest: one broker (`node` at
 * host:port), each of `topics` ({ name, id }: id as uuidBytes takes it) with no
 * partitions and no error. MetadataResponse.json.
 */
export function metadataResponse({ correlationId, topics, node = { nodeId: 1, host: "127.0.0.1", port: 9092 } }) {
  const e = new Encoder().int32(0);
  e.compactArray([node], (x, b) => { x.int32(b.nodeId).compactString(b.host).int32(b.port).compactString(null).noTags(); });
  e.compactString("cluster").int32(node.nodeId);
  e.compactArray(topics, (x, t) => {
    x.int16(0).compactString(t.name).uuid(t.id).bool(false).compactArray([], () => {}).int32(-2147483648).noTags();
  });
  e.noTags();
  return flexibleResponseFrame(correlationId, e.build());
}

/**
 * A Fetch v13–v15 response frame (size field and header v1 included) answering
 * fetchRequestByTopicId: partition 0 of each topic id, no error, `highWatermark` (and
 * LastStableOffset) as given, no records. FetchResponse.json.
 */
export function fetchResponseByTopicId({ correlationId, topicIds, highWatermark }) {
  const e = new Encoder().int32(correlationId).noTags();
  e.int32(0).int16(0).int32(0);
  e.compactArray(topicIds, (x, id) => {
    x.uuid(id);
    x.compactArray([0], (y, partition) => {
      y.int32(partition).int16(0).int64(highWatermark).int64(highWatermark).int64(0).uvarint(0).int32(-1).uvarint(1).noTags();
    });
    x.noTags();
  });
  e.noTags();
  const payload = e.build();
  const frame = Buffer.alloc(4 + payload.length);
  frame.writeInt32BE(payload.length, 0);
  payload.copy(frame, 4);
  return frame;
}

// ---- record batches (magic 2, uncompressed) ----

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli) of `buffer`, as an unsigned 32-bit number: a v2 record batch's CRC. */
export function crc32c(buffer) {
  let crc = 0xffffffff;
  for (const byte of buffer) crc = CRC32C_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * One uncompressed magic v2 record batch (base offset 0, no producer id) of `values`
 * (strings, UTF-8) as null-key records, timestamps now (ms); a Buffer.
 */
export function recordBatch(values) {
  const now = Date.now();
  const records = values.map((value, i) => {
    const v = Buffer.from(value, "utf8");
    const inner = new Encoder().int8(0).varint(0).varint(i).varint(-1).varint(v.length).bytes(v).varint(0).build();
    return new Encoder().varint(inner.length).bytes(inner).build();
  });
  const afterCrc = new Encoder().int16(0).int32(values.length - 1).int64(now).int64(now)
    .int64(-1).int16(-1).int32(-1).int32(values.length).bytes(Buffer.concat(records)).build();
  const afterLength = new Encoder().int32(-1).int8(2).uint32(crc32c(afterCrc)).bytes(afterCrc).build();
  return new Encoder().int64(0).int32(afterLength.length).bytes(afterLength).build();
}

// ---- decoding ----

/**
 * Reads Kafka protocol primitives from `buffer` at `pos`, big-endian, mirroring Encoder; int64
 * returns a BigInt, uuid Java's base64url text, null strings/bytes/arrays null. Fixed-size
 * reads past the end throw Buffer's RangeError; string and bytes reads are cut at the end,
 * and uvarint reads missing bytes as 0.
 */
export class Decoder {
  constructor(buffer) { this.buffer = buffer; this.pos = 0; }
  int8() { const v = this.buffer.readInt8(this.pos); this.pos += 1; return v; }
  int16() { const v = this.buffer.readInt16BE(this.pos); this.pos += 2; return v; }
  int32() { const v = this.buffer.readInt32BE(this.pos); this.pos += 4; return v; }
  int64() { const v = this.buffer.readBigInt64BE(this.pos); this.pos += 8; return v; }
  bool() { return this.int8() !== 0; }
  uvarint() {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.buffer[this.pos++];
      value |= (byte & 0x7f) << shift;
      if (!(byte & 0x80)) return value >>> 0;
    }
  }
  uuid() { const v = this.buffer.subarray(this.pos, this.pos + 16).toString("base64url"); this.pos += 16; return v; }
  string() {
    const n = this.int16();
    if (n < 0) return null;
    const s = this.buffer.toString("utf8", this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  compactString() {
    const n = this.uvarint() - 1;
    if (n < 0) return null;
    const s = this.buffer.toString("utf8", this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  skipCompactBytes() { const n = this.uvarint() - 1; if (n > 0) this.pos += n; }
  compactBytes() {
    const n = this.uvarint() - 1;
    if (n < 0) return null;
    const b = this.buffer.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  array(each) { const n = this.int32(); return n < 0 ? null : Array.from({ length: n }, () => each(this)); }
  compactArray(each) { const n = this.uvarint() - 1; return n < 0 ? null : Array.from({ length: n }, () => each(this)); }
  skipTags() {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint();
      // Not `this.pos += this.uvarint()`: that reads pos before the size's own bytes are consumed.
      const size = this.uvarint();
      this.pos += size;
    }
  }
}

/** ApiVersions response body (after the v0 response header): { errorCode, apiKeys: [{ apiKey, min, max }] }. */
export function parseApiVersionsResponse(body, version = 3) {
  const d = new Decoder(body);
  const errorCode = d.int16();
  const entry = (x) => {
    const item = { apiKey: x.int16(), min: x.int16(), max: x.int16() };
    if (version >= 3) x.skipTags();
    return item;
  };
  const apiKeys = version >= 3 ? d.compactArray(entry) : d.array(entry);
  return { errorCode, apiKeys };
}

/** Metadata response body (after the response header): { brokers, topics: [{ errorCode, name, topicId, partitions }] }. */
export function parseMetadataResponse(body, version) {
  const flexible = version >= 9;
  const d = new Decoder(body);
  const arr = (each) => (flexible ? d.compactArray(each) : d.array(each));
  const str = () => (flexible ? d.compactString() : d.string());
  const tags = () => { if (flexible) d.skipTags(); };
  if (version >= 3) d.int32();
  const brokers = arr(() => {
    const broker = { nodeId: d.int32(), host: str(), port: d.int32() };
    if (version >= 1) str();
    tags();
    return broker;
  });
  if (version >= 2) str();
  if (version >= 1) d.int32();
  const topics = arr(() => {
    const topic = { errorCode: d.int16(), name: str() };
    if (version >= 10) topic.topicId = d.uuid();
    if (version >= 1) d.bool();
    topic.partitions = arr(() => {
      const partition = { errorCode: d.int16(), partitionIndex: d.int32(), leaderId: d.int32() };
      if (version >= 7) d.int32();
      arr(() => d.int32());
      arr(() => d.int32());
      if (version >= 5) arr(() => d.int32());
      tags();
      return partition;
    });
    if (version >= 8) d.int32();
    tags();
    return topic;
  });
  return { brokers, topics };
}

/** Produce v9 response body: [{ name, partitions: [{ index, errorCode, baseOffset }] }]. */
export function parseProduceResponse(body) {
  const d = new Decoder(body);
  return d.compactArray(() => {
    const topic = { name: d.compactString() };
    topic.partitions = d.compactArray(() => {
      const partition = { index: d.int32(), errorCode: d.int16(), baseOffset: Number(d.int64()) };
      d.int64();
      d.int64();
      d.compactArray(() => { d.int32(); d.compactString(); d.skipTags(); });
      d.compactString();
      d.skipTags();
      return partition;
    });
    d.skipTags();
    return topic;
  });
}

/**
 * Fetch v13+ response body: { errorCode, topics: [{ topicId, partitions: [{ partitionIndex, errorCode, records }] }] };
 * `records` is the partition's record batches as they came (a Buffer view, or null).
 */
export function parseFetchResponse(body) {
  const d = new Decoder(body);
  d.int32();
  const errorCode = d.int16();
  d.int32();
  const topics = d.compactArray(() => {
    const topic = { topicId: d.uuid() };
    topic.partitions = d.compactArray(() => {
      const partition = { partitionIndex: d.int32(), errorCode: d.int16() };
      d.int64(); d.int64(); d.int64();
      d.compactArray(() => { d.int64(); d.int64(); d.skipTags(); });
      d.int32();
      partition.records = d.compactBytes();
      d.skipTags();
      return partition;
    });
    d.skipTags();
    return topic;
  });
  return { errorCode, topics };
}

/** Record batch codec names by the low three bits of a v2 batch's attributes (KIP-98, KIP-110). */
export const COMPRESSION_CODECS = ["none", "gzip", "snappy", "lz4", "zstd"];

/**
 * The record batches in `records` (magic 2, as Fetch returns them): [{ baseOffset,
 * records, compression }], `compression` named as in COMPRESSION_CODECS. A trailing
 * partial batch (Fetch may cut one) is left out.
 */
export function recordBatches(records) {
  const batches = [];
  let pos = 0;
  while (records && pos + 12 <= records.length) {
    const length = records.readInt32BE(pos + 8);
    if (pos + 12 + length > records.length) break;
    const magic = records.readInt8(pos + 16);
    if (magic !== 2) throw new Error(`record batch at ${pos} has magic ${magic}, not 2`);
    const attributes = records.readInt16BE(pos + 21);
    batches.push({
      baseOffset: Number(records.readBigInt64BE(pos)),
      records: records.readInt32BE(pos + 57),
      compression: COMPRESSION_CODECS[attributes & 7] ?? `unknown(${attributes & 7})`,
    });
    pos += 12 + length;
  }
  return batches;
}

// ---- a raw connection ----

/**
 * A TCP connection that collects response frames. `response()` resolves the next one
 * as { correlationId, frame } (frame: the bytes after the size field); `closed` resolves
 * when the peer closes.
 */
export class RawConnection {
  /** Connects to `bootstrap` ("host:port", IPv4 or a name); rejects when the connection fails. */
  static async open(bootstrap) {
    const [host, port] = bootstrap.split(":");
    const connection = new RawConnection(net.connect(Number(port), host));
    await new Promise((resolve, reject) => {
      connection.socket.once("connect", resolve);
      connection.socket.once("error", reject);
    });
    return connection;
  }

  constructor(socket) {
    this.socket = socket;
    this.pending = Buffer.alloc(0);
    this.frames = [];
    this.waiters = [];
    this.isClosed = false;
    this.closed = new Promise((resolve) => socket.once("close", () => { this.isClosed = true; resolve(); this.flushWaiters(); }));
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      this.pending = Buffer.concat([this.pending, chunk]);
      while (this.pending.length >= 4 && this.pending.length >= 4 + this.pending.readInt32BE(0)) {
        const size = this.pending.readInt32BE(0);
        this.frames.push(Buffer.from(this.pending.subarray(4, 4 + size)));
        this.pending = this.pending.subarray(4 + size);
      }
      this.flushWaiters();
    });
  }

  /** Hands queued frames to waiting response() calls; once closed, fails the waiters left. */
  flushWaiters() {
    while (this.waiters.length && (this.frames.length || this.isClosed)) {
      const waiter = this.waiters.shift();
      if (this.frames.length) waiter.resolve(this.frames.shift());
      else waiter.reject(new Error("the connection closed before a response arrived"));
    }
  }

  /** Writes `bytes`; resolves once they are handed to the OS. */
  write(bytes) { return new Promise((resolve) => this.socket.write(bytes, resolve)); }

  /** Writes `bytes` one byte per write, `delayMs` apart: TCP segments as small as they get. */
  async writeByteByByte(bytes, delayMs = 2) {
    this.socket.setNoDelay(true);
    for (let i = 0; i < bytes.length; i++) {
      await this.write(bytes.subarray(i, i + 1));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }

  /** The next response frame; `flexibleHeader` skips the v1 header's tagged fields. */
  async response({ flexibleHeader = false, timeoutMs = 10000 } = {}) {
    const frame = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ resolve: (f) => { clearTimeout(timer); resolve(f); }, reject: (e) => { clearTimeout(timer); reject(e); } });
      this.flushWaiters();
    });
    const d = new Decoder(frame);
    const correlationId = d.int32();
    if (flexibleHeader) d.skipTags();
    return { correlationId, frame, body: frame.subarray(d.pos) };
  }

  /** Destroys the socket at once (no FIN handshake wait); `closed` then resolves. */
  close() { this.socket.destroy(); }
}

/** A random 16-byte topic id (a Buffer), which no broker knows. */
export const randomTopicId = () => crypto.randomBytes(16);

/**
 * Connects to `address` ("host:port") in plain TCP, writes an ApiVersions v0 request and
 * resolves every byte that came back once the peer closes: for a TLS port, which must
 * close a plaintext Kafka client without answering it. Rejects when the peer keeps the
 * connection open past `timeoutMs`.
 */
export function plaintextKafkaUntilClosed(address, { timeoutMs = 15000 } = {}) {
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    const received = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`${address} did not close a plaintext Kafka connection`)); }, timeoutMs);
    socket.on("data", (data) => received.push(data));
    socket.on("error", () => {});
    socket.on("close", () => { clearTimeout(timer); resolve(Buffer.concat(received)); });
    socket.on("connect", () => socket.write(apiVersionsRequest({ correlationId: 7, version: 0 })));
  });
}

// An independent tally of per-topic traffic from whole captured frames, in plain
// JavaScript: what the filter's streaming walkers must agree with. Produce requests
// and Fetch responses are parsed in full (any version, flexible or not); records are
// counted from batch headers (magic 2) or one per legacy message; a batch cut by the
// end of its records field is not counted.

class Cursor {
  constructor(buffer, pos = 0) { this.b = buffer; this.pos = pos; }
  int8() { return this.b.readInt8(this.pos++); }
  int16() { const v = this.b.readInt16BE(this.pos); this.pos += 2; return v; }
  int32() { const v = this.b.readInt32BE(this.pos); this.pos += 4; return v; }
  skip(n) { if (n < 0 || this.pos + n > this.b.length) throw new Error(`skip ${n} at ${this.pos}`); this.pos += n; }
  uvarint() {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.b[this.pos++];
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new Error("varint too long");
  }
  length(flexible, classicBytes) {
    if (flexible) return this.uvarint() - 1;
    return classicBytes === 2 ? this.int16() : this.int32();
  }
  string(flexible) {
    const n = this.length(flexible, 2);
    if (n < 0) return null;
    const s = this.b.toString("latin1", this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  tags(flexible) {
    if (!flexible) return;
    for (let count = this.uvarint(); count > 0; count--) { this.uvarint(); this.skip(this.uvarint()); }
  }
}

function countRecords(buffer, start, length) {
  let records = 0;
  let at = start;
  const end = start + length;
  while (end - at >= 17) {
    const entry = buffer.readInt32BE(at + 8) + 12;
    if (entry > end - at) break;
    const magic = buffer.readInt8(at + 16);
    records += magic === 2 ? buffer.readInt32BE(at + 57) : 1;
    at += entry;
  }
  return records;
}

function topicOf(cursor, version, firstIdVersion, flexible) {
  if (version >= firstIdVersion) { cursor.skip(16); return "unknown_topic_id"; }
  return cursor.string(flexible);
}

function add(tally, topic, kind, bytes, records) {
  const entry = tally.get(topic) ?? { produced_bytes: 0, produced_records: 0, fetched_bytes: 0, fetched_records: 0 };
  entry[`${kind}_bytes`] += bytes;
  entry[`${kind}_records`] += records;
  tally.set(topic, entry);
}

function records(cursor, flexible, tally, topic, kind) {
  const n = cursor.length(flexible, 4);
  if (n < 0) return;
  if (typeof tally === "function") tally(topic, kind, cursor.b, cursor.pos, n);
  else add(tally, topic, kind, n, countRecords(cursor.b, cursor.pos, n));
  cursor.skip(n);
}

const CODECS = ["none", "gzip", "snappy", "lz4", "zstd", "unknown", "unknown", "unknown"];

/** Every complete v2 batch of a records field: { codec, logAppendTime, maxTimestamp, records, bytes }. */
function batchesOf(buffer, start, length) {
  const batches = [];
  let at = start;
  const end = start + length;
  while (end - at >= 17) {
    const entry = buffer.readInt32BE(at + 8) + 12;
    if (entry > end - at) break;
    if (buffer.readInt8(at + 16) === 2) {
      const attributes = buffer.readInt16BE(at + 21);
      batches.push({
        codec: CODECS[attributes & 7], logAppendTime: (attributes & 8) !== 0, maxTimestamp: Number(buffer.readBigInt64BE(at + 35)),
        records: buffer.readInt32BE(at + 57), bytes: entry,
      });
    }
    at += entry;
  }
  return batches;
}

/**
 * Every complete v2 batch in captured Produce requests and Fetch responses, as
 * { kind: "produced" | "fetched", topic, frame (its frame's index in `captured`, from 1), codec, logAppendTime,
 * maxTimestamp, records, bytes }.
 */
export function capturedBatches(captured) {
  const batches = [];
  let frameIndex = 0;
  const visit = (topic, kind, buffer, start, n) => {
    for (const b of batchesOf(buffer, start, n)) batches.push({ kind, topic, frame: frameIndex, ...b });
  };
  for (const { direction, apiKey, apiVersion, frame } of captured) {
    frameIndex += 1;
    if (direction === "request" && apiKey === 0) produceRequest(frame, apiVersion, visit);
    if (direction === "response" && apiKey === 1) fetchResponse(frame, apiVersion, visit);
  }
  return batches;
}

function produceRequest(frame, version, tally) {
  const flexible = version >= 9;
  const c = new Cursor(frame, 8); // api key, version, correlation id
  const clientIdLength = c.int16();
  if (clientIdLength > 0) c.skip(clientIdLength);
  c.tags(flexible);
  if (version >= 3) { const n = c.length(flexible, 2); if (n > 0) c.skip(n); }
  c.skip(6);
  for (let topics = c.length(flexible, 4); topics > 0; topics--) {
    const topic = topicOf(c, version, 13, flexible);
    for (let partitions = c.length(flexible, 4); partitions > 0; partitions--) {
      c.skip(4);
      records(c, flexible, tally, topic, "produced");
      c.tags(flexible);
    }
    c.tags(flexible);
  }
}

function fetchResponse(frame, version, tally) {
  const flexible = version >= 12;
  const c = new Cursor(frame, 4);
  c.tags(flexible);
  if (version >= 1) c.skip(4);
  if (version >= 7) c.skip(6);
  for (let topics = c.length(flexible, 4); topics > 0; topics--) {
    const topic = topicOf(c, version, 13, flexible);
    for (let partitions = c.length(flexible, 4); partitions > 0; partitions--) {
      c.skip(14 + (version >= 4 ? 8 : 0) + (version >= 5 ? 8 : 0));
      if (version >= 4) {
        for (let aborted = c.length(flexible, 4); aborted > 0; aborted--) { c.skip(16); c.tags(flexible); }
      }
      if (version >= 11) c.skip(4);
      records(c, flexible, tally, topic, "fetched");
      c.tags(flexible);
    }
    c.tags(flexible);
  }
}

/** Per topic: { produced_bytes, produced_records, fetched_bytes, fetched_records } from captured frames. */
export function tallyTopics(captured, tally = new Map()) {
  for (const { direction, apiKey, apiVersion, frame } of captured) {
    if (direction === "request" && apiKey === 0) produceRequest(frame, apiVersion, tally);
    if (direction === "response" && apiKey === 1) fetchResponse(frame, apiVersion, tally);
  }
  return tally;
}

/** The filter's per-topic counters from /stats/prometheus, as the same shape, by kafka_topic label. */
export function topicCounters(prometheusText, listener = "broker1") {
  const counters = new Map();
  const line = /^kafka_topic_(produced|fetched)_(bytes|records)\{([^}]*)\} (\d+)$/gm;
  for (const match of prometheusText.matchAll(line)) {
    const [, kind, unit, labelText, value] = match;
    const labels = Object.fromEntries([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
    if (labels.kafka_listener !== listener) continue;
    const topic = labels.kafka_topic;
    const entry = counters.get(topic) ?? { produced_bytes: 0, produced_records: 0, fetched_bytes: 0, fetched_records: 0 };
    entry[`${kind}_${unit}`] = Number(value);
    counters.set(topic, entry);
  }
  return counters;
}

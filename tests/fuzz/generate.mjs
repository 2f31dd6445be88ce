// Input generation for the fuzzer: a seeded PRNG, synthetic Kafka streams, corpus
// mutations, and the cutting of two byte streams into an interleaved sequence of
// data callbacks. Everything is derived from (seed, input index), so any input can be
// regenerated on its own.
import fs from "node:fs";
import path from "node:path";
import { kafkaApis } from "./api-names.mjs";
import { causalOrder, splitFrames } from "./frames.mjs";

// ---------------------------------------------------------------------------
// PRNG: xoshiro128** seeded through splitmix32 (both 32-bit, no BigInt on the hot path).

function splitmix32(state) {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [state, (z ^ (z >>> 16)) >>> 0];
}

/** Mixes a seed with further numbers into one 32-bit seed. */
export function mixSeed(...parts) {
  let h = 0x2545f491;
  for (const p of parts) {
    let v = Number(p) >>> 0;
    const hi = Math.floor(Number(p) / 4294967296) >>> 0;
    h = Math.imul(h ^ v, 0x9e3779b1) ^ Math.imul(hi + 0x7f4a7c15, 0x85ebca6b);
    h = (h ^ (h >>> 15)) >>> 0;
  }
  return h >>> 0;
}

const POOL_SIZE = 1 << 16;
const RANDOM_POOL = new Uint8Array(POOL_SIZE);
const ASCII_POOL = new Uint8Array(POOL_SIZE);

export class Rng {
  constructor(seed) {
    let s = seed >>> 0;
    let a, b, c, d;
    [s, a] = splitmix32(s);
    [s, b] = splitmix32(s);
    [s, c] = splitmix32(s);
    [s, d] = splitmix32(s);
    if ((a | b | c | d) === 0) a = 1;
    this.a = a; this.b = b; this.c = c; this.d = d;
  }

  u32() {
    const r = Math.imul(this.rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a; this.d ^= this.b; this.b ^= this.c; this.a ^= this.d;
    this.c ^= t;
    this.d = this.rotl(this.d, 11);
    return r;
  }

  rotl(x, k) { return (x << k) | (x >>> (32 - k)); }
  /** 0 <= n < limit (limit <= 2^32). */
  int(limit) { return limit <= 1 ? 0 : Math.floor((this.u32() / 4294967296) * limit); }
  /** lo <= n <= hi. */
  range(lo, hi) { return lo + this.int(hi - lo + 1); }
  chance(p) { return this.u32() < p * 4294967296; }
  pick(array) { return array[this.int(array.length)]; }
  /** Picks from [[weight, value], ...]. */
  weighted(table) {
    let total = 0;
    for (const [w] of table) total += w;
    let r = this.int(total);
    for (const [w, v] of table) { if (r < w) return v; r -= w; }
    return table[table.length - 1][1];
  }
  /** `n` random bytes: a view into a shared pool of random bytes (copy before changing them). */
  bytes(n) {
    if (n > POOL_SIZE / 2) {
      const out = new Uint8Array(n);
      for (let o = 0; o < n; o += POOL_SIZE / 2) out.set(RANDOM_POOL.subarray(0, Math.min(POOL_SIZE / 2, n - o)), o);
      return out;
    }
    const at = this.int(POOL_SIZE - n);
    return RANDOM_POOL.subarray(at, at + n);
  }
  /** `n` lower-case ASCII letters (a view into a shared pool). */
  ascii(n) {
    const at = this.int(POOL_SIZE - n);
    return ASCII_POOL.subarray(at, at + n);
  }
  /** Lengths skewed to small: mostly < 64, sometimes up to `max`. */
  length(max) {
    const k = this.int(100);
    if (k < 60) return this.int(Math.min(64, max + 1));
    if (k < 90) return this.int(Math.min(1024, max + 1));
    return this.int(max + 1);
  }
}

{
  const rng = new Rng(0x5eed);
  for (let i = 0; i < POOL_SIZE; i++) { const v = rng.u32(); RANDOM_POOL[i] = v; ASCII_POOL[i] = 0x61 + ((v >>> 8) % 26); }
}

// ---------------------------------------------------------------------------
// Corpus.

/** Loads NNN.request.bin / NNN.response.bin pairs; throws if the directory has none. */
export function loadCorpus(dir) {
  if (!fs.existsSync(dir)) throw new Error(`fuzz corpus directory ${dir} does not exist (run tests/fuzz/capture-corpus.mjs)`);
  const entries = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith(".request.bin")).sort()) {
    const id = name.slice(0, -".request.bin".length);
    const request = new Uint8Array(fs.readFileSync(path.join(dir, name)));
    const responseFile = path.join(dir, `${id}.response.bin`);
    const response = fs.existsSync(responseFile) ? new Uint8Array(fs.readFileSync(responseFile)) : new Uint8Array(0);
    entries.push({
      id, request, response,
      requestFrames: splitFrames(request).frames,
      responseFrames: splitFrames(response).frames,
      order: causalOrder(request, response),
    });
  }
  if (entries.length === 0) throw new Error(`fuzz corpus directory ${dir} has no *.request.bin files`);
  return entries;
}

// ---------------------------------------------------------------------------
// Byte building.

class Bytes {
  constructor() { this.buf = new Uint8Array(256); this.len = 0; }
  ensure(n) {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  u8(v) { this.ensure(1); this.buf[this.len++] = v; }
  i16(v) { this.ensure(2); this.buf[this.len++] = v >> 8; this.buf[this.len++] = v; }
  i32(v) { this.ensure(4); this.buf[this.len++] = v >> 24; this.buf[this.len++] = v >> 16; this.buf[this.len++] = v >> 8; this.buf[this.len++] = v; }
  uvarint(v) { v >>>= 0; while (v >= 0x80) { this.u8((v & 0x7f) | 0x80); v >>>= 7; } this.u8(v); }
  raw(bytes) { this.ensure(bytes.length); this.buf.set(bytes, this.len); this.len += bytes.length; }
  at(offset, v32) { this.buf[offset] = v32 >> 24; this.buf[offset + 1] = v32 >> 16; this.buf[offset + 2] = v32 >> 8; this.buf[offset + 3] = v32; }
  done() { return this.buf.slice(0, this.len); }
  reset() { this.len = 0; return this; }
}

// Scratch builders for synthetic connections (generation is single-threaded per worker).
const requestBuilder = new Bytes();
const responseBuilder = new Bytes();
const responseParts = new Bytes();

const INTERESTING_I16 = [-32768, -2, -1, 0, 1, 2, 3, 7, 8, 15, 16, 127, 128, 255, 256, 511, 512, 32767];
const INTERESTING_I32 = [-2147483648, -2147483647, -65536, -1, 0, 1, 2, 3, 4, 5, 7, 8, 12, 255, 511, 512, 513, 516,
  65535, 65536, 1048575, 1048576, 1048577, 104857600, 104857601, 0x3fffffff, 0x7ffffffe, 0x7fffffff];

let apiKeys = null;

/** Appends one synthetic request frame to `b`; returns whether its response header is flexible. */
function synthRequest(rng, b, correlationId) {
  const apis = kafkaApis();
  apiKeys ??= [...apis.keys()];
  const keyKind = rng.int(100);
  const apiKey = keyKind < 80 ? rng.pick(apiKeys) : keyKind < 92 ? rng.range(0, 99) : rng.pick(INTERESTING_I16);
  const api = apis.get(apiKey);
  const versionKind = rng.int(100);
  const apiVersion = api && versionKind < 75 ? rng.range(api.minVersion, Math.min(api.maxVersion, api.minVersion + 30))
    : versionKind < 95 ? rng.range(-1, 20) : rng.pick(INTERESTING_I16);
  let headerVersion = api ? (apiVersion >= api.flexibleSince ? 2 : 1) : rng.range(0, 2);
  if (apiKey === 7 && apiVersion === 0) headerVersion = 0;
  if (rng.chance(0.05)) headerVersion = rng.range(0, 2);

  const frameStart = b.len;
  b.i32(0); // size, patched below
  b.i16(apiKey);
  b.i16(apiVersion);
  b.i32(correlationId);
  if (headerVersion >= 1) {
    const clientKind = rng.int(100);
    if (clientKind < 75) { const n = rng.length(40); b.i16(n); b.raw(rng.ascii(n)); }
    else if (clientKind < 85) b.i16(-1);
    else if (clientKind < 92) { const n = rng.range(400, 700); b.i16(n); b.raw(rng.ascii(n)); } // crosses the 512-byte prefix
    else { b.i16(rng.pick(INTERESTING_I16)); b.raw(rng.bytes(rng.int(8))); } // length disagreeing with the bytes
  }
  if (headerVersion >= 2) {
    const tagKind = rng.int(100);
    if (tagKind < 75) b.u8(0);
    else if (tagKind < 92) {
      const n = rng.range(1, 3);
      b.uvarint(n);
      let tag = 0;
      for (let i = 0; i < n; i++) { tag += rng.range(0, 3); b.uvarint(tag); const len = rng.int(12); b.uvarint(len); b.raw(rng.bytes(len)); }
    } else {
      // Malformed varints: too long, or lengths past the end.
      const bad = rng.int(3);
      if (bad === 0) for (let i = 0; i < rng.range(5, 8); i++) b.u8(0xff);
      else if (bad === 1) { b.uvarint(1); b.uvarint(0); b.uvarint(rng.pick([0x7fffffff, 0xffffffff, 600, 100000])); }
      else b.uvarint(rng.pick([0x7fffffff, 0xffffffff, 1000000]));
    }
  }
  const bodyKind = rng.int(100);
  const bodyLength = bodyKind < 75 ? rng.int(64) : bodyKind < 96 ? rng.range(64, 700) : rng.range(700, 3000);
  b.raw(rng.bytes(bodyLength));
  let size = b.len - frameStart - 4;
  if (rng.chance(0.08)) size = rng.chance(0.5) ? size + rng.range(-8, 8) : rng.pick(INTERESTING_I32);
  b.at(frameStart, size);
  return api ? apiVersion >= api.flexibleSince && apiKey !== 18 : false;
}

/** Appends one synthetic response frame to `b`. */
function synthResponse(rng, b, correlationId, flexible) {
  const frameStart = b.len;
  b.i32(0);
  const shortKind = rng.int(100);
  if (shortKind < 3) {
    b.raw(rng.bytes(rng.int(4))); // shorter than a correlation id
  } else {
    b.i32(correlationId);
    if (flexible) b.u8(0);
    b.raw(rng.bytes(rng.chance(0.95) ? rng.int(96) : rng.range(96, 3000)));
  }
  let size = b.len - frameStart - 4;
  if (rng.chance(0.05)) size = rng.chance(0.5) ? size + rng.range(-8, 8) : rng.pick(INTERESTING_I32);
  b.at(frameStart, size);
}

/** A synthetic connection: some requests, and responses to most of them (some shuffled or spurious). */
function synthConnection(rng) {
  const n = rng.weighted([[30, 1], [40, rng.range(2, 6)], [25, rng.range(7, 40)], [5, rng.range(41, 300)]]);
  let correlationId = rng.chance(0.8) ? rng.int(1000) : rng.u32() | 0;
  const requests = requestBuilder.reset();
  const responses = responseBuilder.reset();
  const ends = [];
  for (let i = 0; i < n; i++) {
    const flexible = synthRequest(rng, requests, correlationId);
    const fate = rng.int(100);
    if (fate < 85) synthResponse(rng, responses, correlationId, flexible);
    else if (fate < 90) synthResponse(rng, responses, rng.u32() | 0, false); // answers nothing
    else if (fate < 93) { // answered twice
      synthResponse(rng, responses, correlationId, false);
      ends.push(responses.len);
      synthResponse(rng, responses, correlationId, false);
    } // else no response (acks=0)
    if (ends[ends.length - 1] !== responses.len) ends.push(responses.len);
    correlationId = rng.chance(0.95) ? (correlationId + 1) | 0 : rng.u32() | 0;
  }
  let response = responses.done();
  const frames = ends.filter((e, k) => e > (ends[k - 1] ?? 0));
  if (frames.length > 1 && rng.chance(0.1)) { // two responses out of order
    const i = rng.int(frames.length - 1);
    const a = [i === 0 ? 0 : frames[i - 1], frames[i]];
    const b = [frames[i], frames[i + 1]];
    const out = responseParts.reset();
    out.raw(response.subarray(0, a[0])); out.raw(response.subarray(b[0], b[1]));
    out.raw(response.subarray(a[0], a[1])); out.raw(response.subarray(b[1]));
    response = out.done();
  }
  return { request: requests.done(), response, causal: true };
}

function concat(arrays) {
  let n = 0;
  for (const a of arrays) n += a.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const a of arrays) { out.set(a, o); o += a.length; }
  return out;
}

// ---------------------------------------------------------------------------
// Mutations of one byte stream.

function frameStarts(bytes) {
  const starts = splitFrames(bytes).frames.map((f) => f.start);
  return starts.length > 0 ? starts : [0];
}

function writeI32(bytes, offset, v) {
  if (offset + 4 > bytes.length) return;
  bytes[offset] = v >> 24; bytes[offset + 1] = v >> 16; bytes[offset + 2] = v >> 8; bytes[offset + 3] = v;
}

function writeI16(bytes, offset, v) {
  if (offset + 2 > bytes.length) return;
  bytes[offset] = v >> 8; bytes[offset + 1] = v;
}

const MUTATIONS = [
  [10, "bitflip"], [6, "byteset"], [6, "insert"], [6, "delete"], [14, "size"], [10, "header"],
  [8, "truncate"], [6, "duplicate"], [6, "splice"], [3, "zeros"], [3, "swap"],
];

/** Applies one random mutation to `bytes` (a fresh array is returned); `other` feeds splices. */
function mutate(rng, bytes, other, maxFrameBytes, notes) {
  const kind = rng.weighted(MUTATIONS);
  const n = bytes.length;
  switch (kind) {
    case "bitflip": {
      const out = bytes.slice();
      const flips = rng.range(1, 8);
      for (let i = 0; i < flips && n > 0; i++) out[rng.int(n)] ^= 1 << rng.int(8);
      notes.push(`bitflip×${flips}`);
      return out;
    }
    case "byteset": {
      const out = bytes.slice();
      const count = rng.range(1, 4);
      for (let i = 0; i < count && n > 0; i++) out[rng.int(n)] = rng.pick([0x00, 0xff, 0x7f, 0x80, 0x01, rng.int(256)]);
      notes.push("byteset");
      return out;
    }
    case "insert": {
      const at = rng.int(n + 1);
      const ins = rng.chance(0.5) ? rng.bytes(rng.range(1, 16)) : new Uint8Array(rng.range(1, 4)).fill(rng.pick([0, 0xff]));
      notes.push(`insert ${ins.length}@${at}`);
      return concat([bytes.subarray(0, at), ins, bytes.subarray(at)]);
    }
    case "delete": {
      if (n === 0) return bytes;
      const at = rng.int(n);
      const len = Math.min(n - at, rng.range(1, rng.chance(0.8) ? 8 : 256));
      notes.push(`delete ${len}@${at}`);
      return concat([bytes.subarray(0, at), bytes.subarray(at + len)]);
    }
    case "size": {
      const out = bytes.slice();
      const at = rng.chance(0.85) ? rng.pick(frameStarts(bytes)) : rng.int(Math.max(1, n - 3));
      const v = rng.weighted([[30, rng.pick(INTERESTING_I32)], [10, maxFrameBytes], [10, (maxFrameBytes + 1) | 0],
        [10, -1], [10, 0], [10, -2147483648], [20, rng.u32() | 0]]);
      writeI32(out, at, v);
      notes.push(`size@${at}=${v}`);
      return out;
    }
    case "header": {
      // The request header's fixed fields and ClientId length: api key, version, correlation id, string length.
      const out = bytes.slice();
      const start = rng.pick(frameStarts(bytes));
      const field = rng.pick([4, 6, 8, 12, 14]);
      if (field === 8) writeI32(out, start + field, rng.pick(INTERESTING_I32)); else writeI16(out, start + field, rng.pick(INTERESTING_I16));
      notes.push(`header@${start}+${field}`);
      return out;
    }
    case "truncate": {
      const at = rng.int(n + 1);
      notes.push(`truncate@${at}`);
      return bytes.subarray(0, at);
    }
    case "duplicate": {
      const starts = frameStarts(bytes);
      const i = rng.int(starts.length);
      const from = starts[i];
      const to = i + 1 < starts.length && rng.chance(0.7) ? starts[i + 1] : Math.min(n, from + rng.range(1, 64));
      const at = rng.chance(0.5) ? to : rng.int(n + 1);
      const times = rng.range(1, 3);
      const parts = [bytes.subarray(0, at)];
      for (let t = 0; t < times; t++) parts.push(bytes.subarray(from, to));
      parts.push(bytes.subarray(at));
      notes.push(`duplicate ${from}-${to}×${times}@${at}`);
      return concat(parts);
    }
    case "splice": {
      const a = rng.chance(0.6) ? rng.pick(frameStarts(bytes)) : rng.int(n + 1);
      const b = rng.chance(0.6) ? rng.pick(frameStarts(other)) : rng.int(other.length + 1);
      notes.push(`splice ${a}|${b}`);
      return concat([bytes.subarray(0, a), other.subarray(b)]);
    }
    case "zeros": {
      const out = bytes.slice();
      const at = rng.int(n + 1);
      out.fill(0, at, Math.min(n, at + rng.range(1, 32)));
      notes.push(`zeros@${at}`);
      return out;
    }
    case "swap": {
      notes.push("swap-with-other");
      return other.slice();
    }
  }
  return bytes;
}

// ---------------------------------------------------------------------------
// From two streams to callbacks.

/**
 * An input: one connection's whole life. `events` are the data callbacks in order:
 * { down: bool, bytes: Uint8Array, eos: bool }. `clean` marks unmutated real or
 * synthetic-valid traffic delivered causally, where responses must all match.
 */
export class Input {
  constructor(kind, notes, events, clean) {
    this.kind = kind;
    this.notes = notes;
    this.events = events;
    this.clean = clean;
  }

  get bytes() {
    let n = 0;
    for (const e of this.events) n += e.bytes.length;
    return n;
  }

  toJSON() {
    return {
      kind: this.kind, notes: this.notes, clean: this.clean,
      events: this.events.map((e) => ({ dir: e.down ? "downstream" : "upstream", eos: e.eos, hex: Buffer.from(e.bytes).toString("hex") })),
    };
  }

  static fromJSON(json) {
    return new Input(json.kind, json.notes ?? [], json.events.map((e) => ({
      down: e.dir === "downstream", eos: !!e.eos, bytes: new Uint8Array(Buffer.from(e.hex, "hex")),
    })), !!json.clean);
  }
}

/**
 * How a direction's bytes are cut into reads. Frame bodies are skipped by the filter
 * in O(1), so fine cuts matter where size fields and header prefixes are: besides
 * evenly random cuts, "boundaries" cuts a few bytes around frame starts. The number
 * of callbacks per input stays bounded so that the fuzzer stays fast.
 */
function chunker(rng, budget) {
  const mode = rng.weighted([[12, "whole"], [30, "uniform"], [38, "boundaries"], [12, "tiny"], [8, "magic"]]);
  const small = rng.weighted([[30, 1], [30, 4], [40, 16]]);
  const cut = (bytes, start, end) => {
    const length = end - start;
    const cuts = [];
    if (mode === "whole" || length <= 1) return cuts;
    if (mode === "tiny" && length <= 64) { // every byte, or nearly
      for (let o = start + 1; o < end; o += rng.range(1, 2)) cuts.push(o);
      return cuts;
    }
    if (mode === "magic") {
      for (let o = start; o < end;) { o += rng.pick([1, 2, 3, 4, 5, 7, 8, 12, 13, 64, 511, 512, 513, 516, 517, 4096]); if (o < end) cuts.push(o); }
      if (cuts.length > 96) cuts.length = 96;
      return cuts;
    }
    if (mode === "uniform" || mode === "tiny") {
      const maxChunk = Math.max(small, Math.ceil((2 * length) / 48));
      for (let o = start; o < end;) { o += rng.range(1, maxChunk); if (o < end) cuts.push(o); }
      return cuts;
    }
    // boundaries: around up to 12 frame starts, plus a few random cuts.
    const { frames } = splitFrames(bytes.subarray(start, end));
    const picked = frames.length <= 12 ? frames : Array.from({ length: 12 }, () => rng.pick(frames));
    for (const f of picked) {
      const at = start + f.start;
      for (let k = rng.range(1, 4); k > 0; k--) { const o = at + rng.range(0, 20); if (o > start && o < end) cuts.push(o); }
    }
    if (frames.length === 0 || rng.chance(0.5)) {
      for (let k = rng.range(1, 8); k > 0; k--) cuts.push(start + 1 + rng.int(length - 1));
    }
    return cuts.sort((a, b) => a - b);
  };
  // At most `budget.perRun` cuts in one run, so that an input stays a bounded number of callbacks.
  return (bytes, start, end) => {
    const cuts = cut(bytes, start, end);
    if (cuts.length <= budget.perRun) return cuts;
    const kept = [];
    for (let k = 0; k < budget.perRun; k++) kept.push(cuts[rng.int(cuts.length)]);
    return kept.sort((a, b) => a - b);
  };
}

/** Cuts [start, end) of `bytes` into chunk events. */
function pushChunks(events, bytes, start, end, down, cut) {
  let o = start;
  for (const c of cut(bytes, start, end)) {
    if (c <= o || c >= end) continue;
    events.push({ down, bytes: bytes.subarray(o, c), eos: false });
    o = c;
  }
  if (o < end) events.push({ down, bytes: bytes.subarray(o, end), eos: false });
}

function buildEvents(rng, request, response, causal, knownOrder = null) {
  const budget = { perRun: 0 };
  const sizer = chunker(rng, budget);
  const callbacks = rng.weighted([[25, 8], [40, 32], [28, 96], [7, 400]]);
  const events = [];
  const order = causal ? "causal" : rng.weighted([[40, "random"], [30, "causal"], [15, "sequential"], [15, "responses-first"]]);
  if (order === "causal") {
    // Consecutive frames of one direction form one run (TCP coalesces them); requests may run
    // ahead of responses (pipelining) but a response never precedes its request.
    const runs = [];
    for (const step of knownOrder ?? causalOrder(request, response)) {
      const last = runs[runs.length - 1];
      if (last && last.dir === step.dir && last.end === step.start) last.end = step.end; else runs.push({ ...step });
    }
    budget.perRun = Math.max(0, Math.ceil(callbacks / runs.length) - 1);
    for (const run of runs) pushChunks(events, run.dir === "request" ? request : response, run.start, run.end, run.dir === "request", sizer);
  } else if (order === "sequential" || order === "responses-first") {
    budget.perRun = callbacks >> 1;
    const down = []; const up = [];
    pushChunks(down, request, 0, request.length, true, sizer);
    pushChunks(up, response, 0, response.length, false, sizer);
    events.push(...(order === "sequential" ? [...down, ...up] : [...up, ...down]));
  } else {
    budget.perRun = callbacks >> 1;
    const down = []; const up = [];
    pushChunks(down, request, 0, request.length, true, sizer);
    pushChunks(up, response, 0, response.length, false, sizer);
    let i = 0; let j = 0;
    const bias = rng.int(101) / 100;
    while (i < down.length || j < up.length) {
      if (j >= up.length || (i < down.length && rng.chance(bias))) events.push(down[i++]); else events.push(up[j++]);
    }
  }
  // Zero-byte callbacks without end_of_stream, now and then.
  if (events.length > 0 && rng.chance(0.03)) {
    const at = rng.int(events.length + 1);
    events.splice(at, 0, { down: rng.chance(0.5), bytes: new Uint8Array(0), eos: false });
  }
  // The end: nothing (the connection is just closed), or a half-close per direction,
  // on the last chunk of that direction or as its own zero-byte callback.
  const ending = rng.int(100);
  if (ending >= 40) {
    for (const down of [true, false]) {
      if (!rng.chance(ending >= 80 ? 0.9 : 0.5)) continue;
      let last = -1;
      for (let k = events.length - 1; k >= 0; k--) if (events[k].down === down) { last = k; break; }
      if (last >= 0 && events[last].bytes.length > 0 && rng.chance(0.5)) events[last] = { ...events[last], eos: true };
      else events.splice(last + 1 + (last < 0 ? events.length : 0), 0, { down, bytes: new Uint8Array(0), eos: true });
    }
  }
  return { events, order };
}

/**
 * Generates input number `index` of a run seeded with `seed`.
 * `corpus` is loadCorpus()'s result; `maxFrameBytes` feeds length-field mutations.
 */
export function generateInput(seed, index, corpus, maxFrameBytes) {
  const rng = new Rng(mixSeed(seed, index));
  const kind = rng.weighted([[8, "random"], [27, "synthetic"], [45, "corpus-mutated"], [12, "corpus"], [8, "special"]]);
  let request;
  let response;
  let causal = false;
  const notes = [];
  let clean = false;
  let knownOrder = null;
  switch (kind) {
    case "random": {
      request = rng.bytes(rng.length(rng.chance(0.1) ? 20000 : 600));
      response = rng.chance(0.6) ? rng.bytes(rng.length(600)) : new Uint8Array(0);
      if (rng.chance(0.5)) { // a plausible size field in front
        const b = new Bytes(); b.i32(rng.chance(0.5) ? request.length : rng.int(2000)); b.raw(request); request = b.done();
      }
      break;
    }
    case "synthetic": {
      ({ request, response, causal } = synthConnection(rng));
      if (rng.chance(0.4)) {
        const rounds = rng.range(1, 4);
        for (let r = 0; r < rounds; r++) {
          if (rng.chance(0.7)) request = mutate(rng, request, response, maxFrameBytes, notes);
          else response = mutate(rng, response, request, maxFrameBytes, notes);
        }
        causal = rng.chance(0.5);
      }
      break;
    }
    case "corpus":
    case "corpus-mutated": {
      const entry = rng.pick(corpus);
      notes.push(`corpus ${entry.id}`);
      request = entry.request;
      response = entry.response;
      causal = true;
      clean = kind === "corpus";
      knownOrder = entry.order;
      if (kind === "corpus-mutated") {
        knownOrder = null;
        const other = rng.pick(corpus);
        const rounds = rng.weighted([[50, 1], [30, 2], [15, 4], [5, 12]]);
        for (let r = 0; r < rounds; r++) {
          const target = rng.int(100);
          const donor = rng.chance(0.5) ? (rng.chance(0.5) ? other.request : other.response) : (target < 65 ? response : request);
          if (target < 65) request = mutate(rng, request, donor, maxFrameBytes, notes);
          else response = mutate(rng, response, donor, maxFrameBytes, notes);
        }
        causal = rng.chance(0.6);
      } else if (rng.chance(0.3)) {
        // Cut the connection short: a prefix of the causal order, ending mid-frame.
        const order = entry.order;
        const keep = rng.int(order.length + 1);
        const last = keep > 0 ? order[keep - 1] : null;
        const reqEnd = order.slice(0, keep).filter((s) => s.dir === "request").reduce((m, s) => Math.max(m, s.end), 0);
        const respEnd = order.slice(0, keep).filter((s) => s.dir === "response").reduce((m, s) => Math.max(m, s.end), 0);
        const cut = last ? last.start + rng.int(last.end - last.start + 1) : 0;
        request = request.subarray(0, last?.dir === "request" ? cut : reqEnd);
        response = response.subarray(0, last?.dir === "response" ? cut : respEnd);
        notes.push(`cut after ${keep} frames`);
        knownOrder = null;
      }
      break;
    }
    case "special": {
      const which = rng.int(7);
      notes.push(`special ${which}`);
      const sizes = () => { const b = new Bytes(); for (let i = rng.range(1, 50); i > 0; i--) b.i32(rng.pick([0, 0, 0, 1, 2, 3, 4, 8])); return b.done(); };
      if (which === 0) { request = new Uint8Array(0); response = new Uint8Array(0); }
      else if (which === 1) { request = sizes(); response = sizes(); } // runs of tiny frames
      else if (which === 2) { const b = new Bytes(); b.i32(rng.pick(INTERESTING_I32)); request = b.done(); response = new Uint8Array(0); }
      else if (which === 3) { request = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: kafka\r\n\r\n"); response = new Uint8Array(0); }
      else if (which === 4) { request = new TextEncoder().encode("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"); response = new Uint8Array(0); }
      else if (which === 5) { // one frame, byte by byte, exactly at the prefix limit boundaries
        const size = rng.pick([0, 1, 2, 3, 4, 7, 8, 9, 10, 511, 512, 513, 514]);
        const b = new Bytes(); b.i32(size); b.raw(rng.bytes(size)); request = b.done();
        const c = new Bytes(); c.i32(rng.pick([0, 3, 4, 5])); c.raw(rng.bytes(5)); response = c.done();
      } else { // many pipelined requests without responses: the in-flight ring overflows
        const b = new Bytes();
        for (let i = rng.range(100, 1100); i > 0; i--) {
          b.i32(12); b.i16(rng.pick([0, 1, 3, 18])); b.i16(rng.range(0, 3)); b.i32(i); b.i16(0);
        }
        request = b.done();
        response = new Uint8Array(0);
      }
      break;
    }
  }
  const { events, order } = buildEvents(rng, request, response, causal, knownOrder);
  if (notes.length > 24) notes.splice(24, notes.length - 24, "…");
  return new Input(kind, [order, ...notes], events, clean && order === "causal");
}

// Per-topic stats' labels: which topics get their own `kafka_topic` label, and the
// names behind topic ids.
//
// Walkers look topics up by the raw bytes they copied off the wire, so a lookup must
// not allocate: labels sit in an open-addressing table compared byte by byte, and a
// string is created only the first time a topic gets a label. The number of labels is
// bounded by configuration (a cap, or an allowlist); every other topic shares the
// overflow label. A label is a small integer; metrics.ts keeps the counters per label.

import { Message } from "./codec/message";
import { BoundedLabels, FNV_OFFSET, FNV_PRIME } from "./labels";
import { MetadataResponse } from "./codec/generated/MetadataResponse";
import { DescribeTopicPartitionsResponse } from "./codec/generated/DescribeTopicPartitionsResponse";
import { DESCRIBE_TOPIC_PARTITIONS, METADATA } from "./codec/generated/apis";

/** Kafka's limit on topic name length. */
export const MAX_TOPIC_NAME_LENGTH: i32 = 249;
/** Label for topics beyond max_topic_labels or off the topic_labels allowlist. */
export const OVERFLOW_TOPIC_LABEL = "_other";
/** Label for topics named by an id (Produce v13+, Fetch v13+) whose name is not known here. */
export const UNKNOWN_TOPIC_ID_LABEL = "unknown_topic_id";
/** Returned by lookups when per-topic stats are off. */
export const NO_TOPIC_LABEL: i32 = -1;

/** The per-topic counters, in the order metrics.ts names them. */
export const enum TopicStat {
  ProducedBytes = 0,
  ProducedRecords = 1,
  FetchedBytes = 2,
  FetchedRecords = 3,
}


/** True for the characters Kafka allows in topic names, all of them safe in a stat name. */
@inline function isTopicChar(c: u32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2e || c == 0x5f || c == 0x2d;
}

/** True when `name` is a legal Kafka topic name (and so a legal label). */
export function isTopicName(name: string): bool {
  const length = name.length;
  if (length == 0 || length > MAX_TOPIC_NAME_LENGTH || name == "." || name == "..") return false;
  for (let i = 0; i < length; i++) {
    if (!isTopicChar(<u32>name.charCodeAt(i))) return false;
  }
  return true;
}

/** Receives (topic id, name) pairs found in responses. */
export abstract class TopicIdLearner {
  abstract learn(hi: u64, lo: u64, name: string): void;
}


/** Whether responses of this API name topics both by id and by name. */
export function teachesTopicIds(apiKey: i16): bool {
  return apiKey == METADATA || apiKey == DESCRIBE_TOPIC_PARTITIONS;
}

/**
 * Hands `learner` every (id, name) pair of a decoded Metadata or DescribeTopicPartitions
 * response whose topic has no error; other responses, and versions before topic ids
 * (their ids are zero), teach nothing.
 */
export function learnTopicIds(learner: TopicIdLearner, apiKey: i16, response: Message): void {
  if (apiKey == METADATA) {
    const topics = changetype<MetadataResponse>(response).topics;
    for (let i = 0; i < topics.length; i++) {
      const topic = unchecked(topics[i]);
      const name = topic.name;
      if (name != null && topic.errorCode == 0 && !topic.topicId.isZero()) learner.learn(topic.topicId.hi, topic.topicId.lo, name);
    }
  } else if (apiKey == DESCRIBE_TOPIC_PARTITIONS) {
    const topics = changetype<DescribeTopicPartitionsResponse>(response).topics;
    for (let i = 0; i < topics.length; i++) {
      const topic = unchecked(topics[i]);
      const name = topic.name;
      if (name != null && topic.errorCode == 0 && !topic.topicId.isZero()) learner.learn(topic.topicId.hi, topic.topicId.lo, name);
    }
  }
}

/**
 * Topic names by topic id, learned from responses that carry both (Metadata v10+,
 * DescribeTopicPartitions). Bounded: once `capacity` ids are known, new ones are not
 * added. Lookups allocate nothing. The per-topic stats keep one per VM; the ACL
 * enforcer's TopicIds (acl/topic-ids.ts) uses one as its local copy of shared data.
 */
export class TopicNames extends TopicIdLearner {
  private readonly slotHi: StaticArray<u64>;
  private readonly slotLo: StaticArray<u64>;
  private readonly slotNames: StaticArray<string | null>;
  private readonly mask: i32;
  private count: i32 = 0;

  /** `capacity`: ids kept at most; the table has at least twice as many slots, so probing always ends. */
  constructor(private readonly capacity: i32 = 4096) {
    super();
    let slots = 16;
    while (slots < capacity * 2) slots <<= 1;
    this.slotHi = new StaticArray<u64>(slots);
    this.slotLo = new StaticArray<u64>(slots);
    this.slotNames = new StaticArray<string | null>(slots);
    this.mask = slots - 1;
  }

  /** Ids learned so far (at most `capacity`). */
  get size(): i32 {
    return this.count;
  }

  /** Remembers (or renames) the topic behind an id. The zero id means "none" in Kafka and is ignored. */
  learn(hi: u64, lo: u64, name: string): void {
    if ((hi | lo) == 0 || !isTopicName(name)) return;
    const slot = this.slotOf(hi, lo);
    const known = unchecked(this.slotNames[slot]);
    if (known != null) {
      if (known != name) unchecked(this.slotNames[slot] = name);
      return;
    }
    if (this.count >= this.capacity) return;
    unchecked(this.slotHi[slot] = hi);
    unchecked(this.slotLo[slot] = lo);
    unchecked(this.slotNames[slot] = name);
    this.count++;
  }

  /** The name learned for the id (`hi`: its first 8 bytes, `lo`: the last 8), or null; null for the zero id. */
  nameOf(hi: u64, lo: u64): string | null {
    if ((hi | lo) == 0) return null;
    return unchecked(this.slotNames[this.slotOf(hi, lo)]);
  }

  /** The id's slot, or the empty slot where it would go (the table is never full: slots >= 2 * capacity). */
  private slotOf(hi: u64, lo: u64): i32 {
    const mixed = (hi ^ (lo * 0x9e3779b97f4a7c15)) * 0xff51afd7ed558ccd;
    let slot = <i32>(mixed >>> 40) & this.mask;
    while (true) {
      if (unchecked(this.slotNames[slot]) == null) return slot;
      if (unchecked(this.slotHi[slot]) == hi && unchecked(this.slotLo[slot]) == lo) return slot;
      slot = (slot + 1) & this.mask;
    }
    return slot;
  }
}

/**
 * Where the VMs of one Envoy (one per worker) share topic id → name pairs: proxy-wasm
 * shared data in the filter (acl/topic-ids.ts, the same entries the ACL enforcer's
 * TopicIds uses); tests use a map.
 */
export abstract class SharedTopicIdStore {
  /** The name another VM (or this one) published for the id, or null. */
  abstract lookup(hi: u64, lo: u64): string | null;
  /** Publishes a pair learned from a response. */
  abstract publish(hi: u64, lo: u64, name: string): void;
}

// An id no VM has published is asked for again only after this many more lookups of it:
// a client fetching by an id whose Metadata passed no worker (or was too large to read)
// must not cost a shared-data read per request.
const SHARED_MISS_SKIPS: u8 = 255;
const MISS_SLOTS: i32 = 64;

/**
 * The per-topic stats' id table when the workers share what they learn: a pair learned
 * here is published to `store`, and an id this worker has not learned is looked up there
 * (then kept here), so traffic by id is labelled by topic name on every worker once any
 * worker saw a Metadata or DescribeTopicPartitions response naming it. An id the store
 * lacks too is asked for again only every SHARED_MISS_SKIPS lookups (a 64-slot table
 * of recent misses). Hits allocate nothing; a store lookup may.
 */
export class SharedTopicNames extends TopicNames {
  private readonly missHi: StaticArray<u64> = new StaticArray<u64>(MISS_SLOTS);
  private readonly missLo: StaticArray<u64> = new StaticArray<u64>(MISS_SLOTS);
  private readonly missSkips: StaticArray<u8> = new StaticArray<u8>(MISS_SLOTS);

  /** `capacity` as TopicNames'. */
  constructor(private readonly store: SharedTopicIdStore, capacity: i32 = 4096) {
    super(capacity);
  }

  learn(hi: u64, lo: u64, name: string): void {
    const known = super.nameOf(hi, lo);
    super.learn(hi, lo, name);
    if (known != name && super.nameOf(hi, lo) == name) this.store.publish(hi, lo, name);
  }

  nameOf(hi: u64, lo: u64): string | null {
    const local = super.nameOf(hi, lo);
    if (local != null || (hi | lo) == 0) return local;
    const slot = <i32>(((hi ^ lo) * 0x9e3779b97f4a7c15) >>> 58);
    if (unchecked(this.missHi[slot]) == hi && unchecked(this.missLo[slot]) == lo && unchecked(this.missSkips[slot]) > 0) {
      unchecked(this.missSkips[slot] = unchecked(this.missSkips[slot]) - 1);
      return null;
    }
    const name = this.store.lookup(hi, lo);
    if (name == null || !isTopicName(name)) {
      unchecked(this.missHi[slot] = hi);
      unchecked(this.missLo[slot] = lo);
      unchecked(this.missSkips[slot] = SHARED_MISS_SKIPS);
      return null;
    }
    super.learn(hi, lo, name);
    return name;
  }
}

/** The topic labels of one VM. A label is an index below slotCount; lookups never allocate. */
export class TopicLabels extends BoundedLabels {
  /**
   * `maxLabels` 0 turns per-topic stats off. With an allowlist, only its topics get a
   * label (it must not list more than maxLabels); otherwise the first maxLabels topics
   * seen do.
   */
  constructor(maxLabels: i32, allowlist: string[] | null = null,
    readonly topicNames: TopicNames = new TopicNames()) {
    super(maxLabels, allowlist != null, maxLabels + 2, OVERFLOW_TOPIC_LABEL, UNKNOWN_TOPIC_ID_LABEL);
    if (allowlist != null) {
      for (let i = 0; i < allowlist.length && this.labelled < maxLabels; i++) {
        const name = allowlist[i];
        if (!isTopicName(name)) continue;
        const hash = hashOfString(name);
        const slot = this.slotOfString(name, hash);
        if (unchecked(this.names[slot]) != null) continue;
        this.claim(slot, hash, name);
      }
    }
  }

  /** The label of topic ids no Metadata response has named yet (`unknown_topic_id`). */
  private get unknownIdLabel(): i32 {
    return this.secondFixedLabel;
  }

  /** False when max_topic_labels is 0: every topic then reports NO_TOPIC_LABEL. */
  get enabled(): bool {
    return this.maxLabels > 0;
  }

  /** The label for a topic name given as `length` bytes at `data`. */
  labelOfBytes(data: usize, length: i32): i32 {
    if (!this.enabled) return NO_TOPIC_LABEL;
    if (length <= 0 || length > MAX_TOPIC_NAME_LENGTH) return this.overflowLabel;
    let hash = FNV_OFFSET;
    for (let i = 0; i < length; i++) {
      const c = <u32>load<u8>(data + <usize>i);
      if (!isTopicChar(c)) return this.overflowLabel;
      hash = (hash ^ c) * FNV_PRIME;
    }
    let slot = <i32>hash & this.mask;
    while (true) {
      const name = unchecked(this.names[slot]);
      if (name == null) break;
      if (unchecked(this.hashes[slot]) == hash && sameBytes(name, data, length)) return slot;
      slot = (slot + 1) & this.mask;
    }
    if (!this.mayLabelMore) return this.overflowLabel;
    const name = String.UTF8.decodeUnsafe(data, <usize>length);
    if (name == "." || name == "..") return this.overflowLabel;
    return this.claim(slot, hash, name);
  }

  /** The label for a topic given by id: its name's label when known, else unknown_topic_id. */
  labelOfId(hi: u64, lo: u64): i32 {
    if (!this.enabled) return NO_TOPIC_LABEL;
    const name = this.topicNames.nameOf(hi, lo);
    if (name == null) return this.unknownIdLabel;
    return this.labelOfString(name);
  }

  /** The label for a topic name held as a string (already checked by TopicNames.learn or isTopicName). */
  labelOfString(name: string): i32 {
    if (!this.enabled) return NO_TOPIC_LABEL;
    if (!isTopicName(name)) return this.overflowLabel;
    const hash = hashOfString(name);
    const slot = this.slotOfString(name, hash);
    if (unchecked(this.names[slot]) != null) return slot;
    if (!this.mayLabelMore) return this.overflowLabel;
    return this.claim(slot, hash, name);
  }

  private slotOfString(name: string, hash: u32): i32 {
    let slot = <i32>hash & this.mask;
    while (true) {
      const held = unchecked(this.names[slot]);
      if (held == null) return slot;
      if (unchecked(this.hashes[slot]) == hash && held == name) return slot;
      slot = (slot + 1) & this.mask;
    }
    return slot;
  }
}

function hashOfString(name: string): u32 {
  let hash = FNV_OFFSET;
  for (let i = 0; i < name.length; i++) hash = (hash ^ <u32>name.charCodeAt(i)) * FNV_PRIME;
  return hash;
}

/** Compares an ASCII string with raw bytes without decoding them. */
function sameBytes(name: string, data: usize, length: i32): bool {
  if (name.length != length) return false;
  for (let i = 0; i < length; i++) {
    if (<u32>name.charCodeAt(i) != <u32>load<u8>(data + <usize>i)) return false;
  }
  return true;
}

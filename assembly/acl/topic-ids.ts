// Topic id ↔ name pairs, learned from the Metadata and DescribeTopicPartitions
// responses that pass through, and shared by every connection and Envoy worker
// through proxy-wasm shared data. Requests that name topics by id (Fetch v13+,
// Produce v13, ...) are authorized by name, so an id must be resolved first; an id
// never seen is unresolved and gates deny it (failing closed).
//
// A topic's id never changes and is never reused, so a learned pair stays true; a
// deleted topic's pair is merely never asked for again. Each VM keeps a bounded,
// allocation-free local copy (a TopicNames table) so a lookup seldom crosses into the host.
import { Uuid } from "../codec/types";
import { Message } from "../codec/message";
import { SharedRead, SharedValueBuffer, readSharedData, setSharedDataBytes } from "../proxy/host";
import { TopicIdNames } from "./authorizer";
import { SharedTopicIdStore, TopicIdLearner, TopicNames, learnTopicIds, teachesTopicIds } from "../topics";

const SHARED_KEY_PREFIX = "kafka_filter.topic_id.";
/** Characters of an id in its key: Uuid.toString's 8-4-4-4-12 lowercase hex. */
const ID_TEXT_LENGTH: i32 = 36;

// The key of the id being looked up, rebuilt in place (the prefix never changes), and the
// value read: a lookup, hit or miss, allocates nothing until a name is decoded.
const sharedKey: ArrayBuffer = keyBuffer();
const sharedValue = new SharedValueBuffer();

function keyBuffer(): ArrayBuffer {
  const prefix = String.UTF8.encode(SHARED_KEY_PREFIX);
  const key = new ArrayBuffer(prefix.byteLength + ID_TEXT_LENGTH);
  memory.copy(changetype<usize>(key), changetype<usize>(prefix), <usize>prefix.byteLength);
  return key;
}

/** Writes the id into sharedKey as Uuid.toString spells it (the key publish and lookups share). */
function fillKey(hi: u64, lo: u64): void {
  let at = changetype<usize>(sharedKey) + <usize>(sharedKey.byteLength - ID_TEXT_LENGTH);
  for (let nibble = 0; nibble < 32; nibble++) {
    if (nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20) store<u8>(at++, 0x2d);
    const word = nibble < 16 ? hi : lo;
    const digit = <u32>((word >>> (<u64>(60 - 4 * (nibble & 15)))) & 0xf);
    store<u8>(at++, <u8>(digit < 10 ? 0x30 + digit : 0x57 + digit));
  }
}

/** The name some VM published for the id, or null; allocates only the name it returns. */
function sharedNameOf(hi: u64, lo: u64): string | null {
  fillKey(hi, lo);
  if (readSharedData(sharedKey, sharedValue) != SharedRead.Found || sharedValue.length == 0) return null;
  return String.UTF8.decodeUnsafe(changetype<usize>(sharedValue.buffer), <usize>sharedValue.length);
}

/** Publishes a pair for every VM of this Envoy (last writer wins: a topic's id never changes). */
function publishSharedName(hi: u64, lo: u64, name: string): void {
  fillKey(hi, lo);
  const value = String.UTF8.encode(name);
  setSharedDataBytes(sharedKey, changetype<usize>(value), value.byteLength, 0);
}
/** Pairs kept locally per VM; beyond this, lookups of further ids go to shared data each time. */
const LOCAL_PAIRS: i32 = 8192;

/** Publishes each pair a response teaches to shared data, and to a second table if given. */
class PairPublisher extends TopicIdLearner {
  also: TopicNames | null = null;
  constructor(private readonly ids: TopicIds) { super(); }

  learn(hi: u64, lo: u64, name: string): void {
    this.ids.publish(hi, lo, name);
    const also = this.also;
    if (also != null) also.learn(hi, lo, name);
  }
}

/**
 * Topic id → name pairs shared by every connection and worker of the plugin (see the
 * file comment); `learned` counts pairs this VM published.
 */
export class TopicIds extends TopicIdNames {
  private readonly local: TopicNames = new TopicNames(LOCAL_PAIRS);
  private readonly publisher: PairPublisher = new PairPublisher(this);
  learned: i64 = 0;

  /** The name for `id`, or null when no response has shown it yet. */
  nameOf(id: Uuid): string | null {
    const known = this.local.nameOf(id.hi, id.lo);
    if (known != null || id.isZero()) return known;
    const name = sharedNameOf(id.hi, id.lo);
    if (name == null) return null;
    this.local.learn(id.hi, id.lo, name);
    return name;
  }

  /** Records a pair seen in a response, in shared data unless this VM already knows it. */
  publish(hi: u64, lo: u64, name: string): void {
    if ((hi | lo) == 0 || name.length == 0 || this.local.nameOf(hi, lo) != null) return;
    publishSharedName(hi, lo, name);
    this.local.learn(hi, lo, name);
    this.learned++;
  }

  /**
   * Learns every pair a decoded response carries (other APIs teach nothing), and hands
   * them to `labels` too: the per-topic stats' own table of this worker.
   */
  learnFrom(apiKey: i16, response: Message, labels: TopicNames | null): void {
    const publisher = this.publisher;
    publisher.also = labels;
    learnTopicIds(publisher, apiKey, response);
    publisher.also = null;
  }

  /** Whether responses of this API carry pairs worth decoding for. */
  static teaches(apiKey: i16): bool {
    return teachesTopicIds(apiKey);
  }
}

/**
 * The per-topic stats' view of the same shared entries TopicIds keeps
 * ("kafka_filter.topic_id.<id>" → name): SharedTopicNames publishes what a worker learns
 * and looks up what it has not.
 */
export class HostTopicIdStore extends SharedTopicIdStore {
  lookup(hi: u64, lo: u64): string | null {
    return sharedNameOf(hi, lo);
  }

  publish(hi: u64, lo: u64, name: string): void {
    publishSharedName(hi, lo, name);
  }
}

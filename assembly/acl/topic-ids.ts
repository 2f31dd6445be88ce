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
import { getSharedData, setSharedData } from "../proxy/host";
import { TopicIdNames } from "./authorizer";
import { SharedTopicIdStore, TopicIdLearner, TopicNames, learnTopicIds, teachesTopicIds } from "../topics";

const SHARED_KEY_PREFIX = "kafka_filter.topic_id.";
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
    const shared = getSharedData(SHARED_KEY_PREFIX + id.toString());
    if (shared == null || shared.byteLength == 0) return null;
    const name = String.UTF8.decode(shared);
    this.local.learn(id.hi, id.lo, name);
    return name;
  }

  /** Records a pair seen in a response, in shared data unless this VM already knows it. */
  publish(hi: u64, lo: u64, name: string): void {
    if ((hi | lo) == 0 || name.length == 0 || this.local.nameOf(hi, lo) != null) return;
    setSharedData(SHARED_KEY_PREFIX + new Uuid(hi, lo).toString(), String.UTF8.encode(name));
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
    const shared = getSharedData(SHARED_KEY_PREFIX + new Uuid(hi, lo).toString());
    if (shared == null || shared.byteLength == 0) return null;
    return String.UTF8.decode(shared);
  }

  publish(hi: u64, lo: u64, name: string): void {
    setSharedData(SHARED_KEY_PREFIX + new Uuid(hi, lo).toString(), String.UTF8.encode(name));
  }
}

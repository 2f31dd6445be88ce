// Topic id ↔ name pairs, learned from the Metadata and DescribeTopicPartitions
// responses that pass through, and shared by every connection and Envoy worker
// through proxy-wasm shared data. Requests that name topics by id (Fetch v13+,
// Produce v13, ...) are authorized by name, so an id must be resolved first; an id
// never seen is unresolved and gates deny it (failing closed).
//
// A topic's id never changes and is never reused, so a learned pair stays true; a
// deleted topic's pair is merely never asked for again. Each VM keeps a bounded
// local copy so a lookup seldom crosses into the host.
import { Uuid } from "../codec/types";
import { Message } from "../codec/message";
import { MetadataResponse } from "../codec/generated/MetadataResponse";
import { DescribeTopicPartitionsResponse } from "../codec/generated/DescribeTopicPartitionsResponse";
import { getSharedData, setSharedData } from "../proxy/host";
import { TopicIdNames } from "./authorizer";
import { TopicNames } from "../topics";

const METADATA: i16 = 3;
const DESCRIBE_TOPIC_PARTITIONS: i16 = 75;
const SHARED_KEY_PREFIX = "kafka_filter.topic_id.";
/** Local copies kept per VM; beyond this, lookups go to shared data each time. */
const LOCAL_CACHE_LIMIT: i32 = 100000;

export class TopicIds extends TopicIdNames {
  private readonly local: Map<string, string> = new Map<string, string>();
  learned: i64 = 0;

  /** The name for `id`, or null when no response has shown it yet. */
  nameOf(id: Uuid): string | null {
    if (id.isZero()) return null;
    const key = id.toString();
    if (this.local.has(key)) return this.local.get(key);
    const shared = getSharedData(SHARED_KEY_PREFIX + key);
    if (shared == null || shared.byteLength == 0) return null;
    const name = String.UTF8.decode(shared);
    this.remember(key, name);
    return name;
  }

  /** Records a pair seen in a response. */
  learn(id: Uuid, name: string | null): void {
    if (id.isZero() || name == null || name.length == 0) return;
    const key = id.toString();
    if (this.local.has(key)) return;
    setSharedData(SHARED_KEY_PREFIX + key, String.UTF8.encode(name));
    this.remember(key, name);
    this.learned++;
  }

  /**
   * Learns every pair a decoded response carries (other APIs teach nothing), and hands
   * them to `labels` too: the per-topic stats' own table of this worker.
   */
  learnFrom(apiKey: i16, response: Message, labels: TopicNames | null): void {
    if (apiKey == METADATA) {
      const topics = changetype<MetadataResponse>(response).topics;
      for (let i = 0; i < topics.length; i++) {
        const topic = unchecked(topics[i]);
        if (topic.errorCode == 0) this.learnPair(topic.topicId, topic.name, labels);
      }
    } else if (apiKey == DESCRIBE_TOPIC_PARTITIONS) {
      const topics = changetype<DescribeTopicPartitionsResponse>(response).topics;
      for (let i = 0; i < topics.length; i++) {
        const topic = unchecked(topics[i]);
        if (topic.errorCode == 0) this.learnPair(topic.topicId, topic.name, labels);
      }
    }
  }

  private learnPair(id: Uuid, name: string | null, labels: TopicNames | null): void {
    this.learn(id, name);
    if (labels != null && name != null) labels.learn(id.hi, id.lo, name);
  }

  /** Whether responses of this API carry pairs worth decoding for. */
  static teaches(apiKey: i16): bool {
    return apiKey == METADATA || apiKey == DESCRIBE_TOPIC_PARTITIONS;
  }

  private remember(key: string, name: string): void {
    if (this.local.size >= LOCAL_CACHE_LIMIT) return;
    this.local.set(key, name);
  }
}

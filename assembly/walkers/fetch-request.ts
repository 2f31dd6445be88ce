// Streams through a consumer's Fetch requests (versions 4-18) for consumer lag: the
// isolation level, the fetch session epoch and each partition's FetchOffset, without
// holding the request. ForgottenTopicsData and RackId after the topics are not read:
// forgotten partitions age out of the lag table instead (lag/consumer-lag.ts).
//
// Body (FetchRequest.json): ReplicaId int32 (v0-14), MaxWaitMs int32, MinBytes int32,
// MaxBytes int32 (v3+), IsolationLevel int8 (v4+), SessionId int32 (v7+), SessionEpoch
// int32 (v7+), Topics [Topic string (v0-12) | TopicId uuid (v13+), Partitions
// [Partition int32, CurrentLeaderEpoch int32 (v9+), FetchOffset int64, LastFetchedEpoch
// int32 (v12+), LogStartOffset int64 (v5+), PartitionMaxBytes int32, tags], tags], ...
// Flexible from v12 (ClusterId and ReplicaState are tagged fields of the body).
import { KafkaBodyWalker, PARTITION_WALKED, WALK_DONE, int32At, int64At } from "./body-walker";
import { NO_TOPIC_LABEL, TopicLabels } from "../topics";
import { FETCH, requestFlexibleSince } from "../codec/generated/apis";

const FLEXIBLE_SINCE: i16 = requestFlexibleSince(FETCH);
const FIRST_VERSION_WITH_TOPIC_ID: i16 = 13;
/** Lowest Fetch request version walked: Kafka 4.3.1's oldest (FetchRequest.json validVersions 4-18), the first with IsolationLevel. */
export const FETCH_REQUEST_MIN_WALKED_VERSION: i16 = 4;
/** Highest Fetch request version walked: Kafka 4.3.1's newest. Fetches outside the range do not feed consumer lag. */
export const FETCH_REQUEST_MAX_WALKED_VERSION: i16 = 18;

const FIXED_FIELDS: i32 = 1;
const PARTITION: i32 = 2;
const PARTITION_FIELDS: i32 = 3;

/** Receives what a Fetch request asks for. */
export abstract class FetchRequestSink {
  /** `labels` resolves each walked topic to its stats label. */
  constructor(readonly labels: TopicLabels) {}
  /**
   * The request's head: `readCommitted` (IsolationLevel 1), and whether it starts a
   * fetch session or fetches without one (SessionEpoch 0 or -1, KIP-227: the request
   * lists every partition the consumer wants), rather than adding to a session.
   */
  abstract fetchStarted(readCommitted: bool, full: bool): void;
  /** One partition's FetchOffset: the consumer's position. Topic keys as in KafkaBodyWalker. */
  abstract fetchOffset(label: i32, topicKeyHi: u64, topicKeyLo: u64, partition: i32, offset: i64): void;
  /** A walk met data it could not follow and stopped (once per frame). */
  abstract walkFailed(): void;
}

/**
 * Walks one Fetch request body at a time (versions FETCH_REQUEST_MIN_WALKED_VERSION to
 * FETCH_REQUEST_MAX_WALKED_VERSION) as its bytes pass, without holding or copying the
 * request: hands the sink the head (isolation level, full or incremental fetch) once,
 * then each partition's topic label and key, partition index and FetchOffset (the
 * consumer's position, an int64 offset). Fed by the frame scanner like every
 * FrameWalker; call prepare() before each frame. A version outside the range, or bytes
 * it cannot follow, fails the walk: the sink hears walkFailed() once, at the frame's end,
 * and the request passes on untouched. One instance per connection, reused per frame;
 * it allocates nothing per frame. Its sink, in connection.ts, feeds lag/consumer-lag.ts.
 */
export class FetchRequestWalker extends KafkaBodyWalker {
  constructor(private readonly sink: FetchRequestSink) { super(); }

  /** Prepares a walk of a Fetch request of `version` whose body starts `bodyOffset` bytes into the frame. */
  prepare(version: i16, bodyOffset: i32): void {
    this.prepareWalk(version, FLEXIBLE_SINCE, bodyOffset);
  }

  protected begin(): void {
    this.topicLabel = NO_TOPIC_LABEL;
    const version = this.version;
    if (version < FETCH_REQUEST_MIN_WALKED_VERSION || version > FETCH_REQUEST_MAX_WALKED_VERSION) {
      this.fail();
      return;
    }
    this.readThen(this.fixedBytes(), FIXED_FIELDS);
  }

  /** ReplicaId (to v14), MaxWaitMs, MinBytes, MaxBytes, IsolationLevel, then SessionId and SessionEpoch (v7+). */
  private fixedBytes(): i32 {
    return (this.version <= 14 ? 4 : 0) + 13 + (this.version >= 7 ? 8 : 0);
  }

  protected onState(state: i32, data: usize, length: i32): void {
    const version = this.version;
    switch (state) {
      case FIXED_FIELDS: {
        const isolationAt = (version <= 14 ? 4 : 0) + 12;
        const epoch = version >= 7 ? int32At(data, isolationAt + 5) : -1;
        this.sink.fetchStarted(load<u8>(data + <usize>isolationAt) == 1, epoch <= 0);
        this.walkTopicsThen(this.sink.labels, version >= FIRST_VERSION_WITH_TOPIC_ID, PARTITION, WALK_DONE);
        break;
      }
      case PARTITION:
        this.readThen(4 + (version >= 9 ? 4 : 0) + 8 + (version >= 12 ? 4 : 0) + (version >= 5 ? 8 : 0) + 4, PARTITION_FIELDS);
        break;
      case PARTITION_FIELDS:
        this.sink.fetchOffset(this.topicLabel, this.topicKeyHi, this.topicKeyLo, int32At(data, 0),
          int64At(data, version >= 9 ? 8 : 4));
        this.continueAt(PARTITION_WALKED);
        break;
      default:
        this.fail();
    }
  }

  /** Reports a failed walk, once per frame. */
  frameEnded(): void {
    if (this.failed) this.sink.walkFailed();
  }
}

// Streams through Fetch responses (versions 0-18) to count fetched bytes and records
// per topic, the top-level and per-partition error codes, the throttle time and each
// complete batch's header (for record age), without holding the
// response: a 50 MB response costs the same memory as a small one.
//
// Header: CorrelationId (already read by the handler), then tags in flexible versions.
// Body: ThrottleTimeMs int32 (v1+), ErrorCode int16 (v7+), SessionId int32 (v7+),
// Responses [Topic string (v0-12) | TopicId uuid (v13+), Partitions [PartitionIndex
// int32, ErrorCode int16, HighWatermark int64, LastStableOffset int64 (v4+),
// LogStartOffset int64 (v5+), AbortedTransactions nullable [ProducerId int64,
// FirstOffset int64, tags] (v4+), PreferredReadReplica int32 (v11+), Records nullable
// bytes, tags], tags], tags. Flexible from v12; in flexible partitions the tagged
// fields (DivergingEpoch, CurrentLeader, SnapshotId) come after Records.
import { KafkaBodyWalker, LengthKind, PARTITION_WALKED, WALK_DONE, int16At, int32At, int64At } from "./body-walker";
import { NO_TOPIC_LABEL, TopicStat } from "../topics";
import { WalkSink } from "./sink";
import { FETCH, responseFlexibleSince } from "../codec/generated/apis";

const FLEXIBLE_SINCE: i16 = responseFlexibleSince(FETCH);
const FIRST_VERSION_WITH_TOPIC_ID: i16 = 13;
/** Highest Fetch response version walked: Kafka 4.3.1's newest (FetchResponse.json validVersions 4-18). */
export const FETCH_MAX_WALKED_VERSION: i16 = 18;
/** Where the walk starts: right after the correlation id. */
export const FETCH_WALK_START: i32 = 4;
const ABORTED_TRANSACTION_BYTES: i64 = 16;

const HEADER_DONE: i32 = 1;
const TOP_LEVEL: i32 = 2;
const PARTITION: i32 = 3;
const PARTITION_FIXED: i32 = 4;
const ABORTED_COUNT: i32 = 5;
const NEXT_ABORTED: i32 = 6;
const ABORTED_SKIPPED: i32 = 7;
const AFTER_ABORTED: i32 = 8;
const PREFERRED_READ_REPLICA: i32 = 9;
const TOPICS_WALKED: i32 = 10;

/**
 * Streams one Fetch response at a time (layout above) into its WalkSink: per-topic
 * fetched bytes and records, error codes, throttle time, each complete batch's header,
 * and each partition's high watermark and last stable offset (for consumer lag). A
 * version above FETCH_MAX_WALKED_VERSION or bytes it cannot follow fail the walk
 * (walkFailed once, at the frame's end); the response passes untouched either way.
 */
export class FetchResponseWalker extends KafkaBodyWalker {
  private countErrors: bool = true;
  private abortedLeft: i32 = 0;
  private findTail: bool = false;
  /**
   * Where the top-level tagged fields begin (bytes into the frame), once a walk asked to
   * find them got there; -1 otherwise. They end the frame: `tailLength` bytes.
   */
  tailOffset: i32 = -1;
  tailLength: i32 = 0;

  /** One per connection, reused for every Fetch response. */
  constructor(private readonly sink: WalkSink) { super(); }

  /**
   * Prepares a walk of a Fetch response of `version`; `countErrors` false leaves error
   * codes alone; `findTail` stops the walk where the top-level tagged fields begin
   * (flexible versions), noting tailOffset and tailLength.
   */
  prepare(version: i16, countErrors: bool, findTail: bool = false): void {
    this.prepareWalk(version, FLEXIBLE_SINCE, FETCH_WALK_START);
    this.countErrors = countErrors;
    this.findTail = findTail && this.flexible;
    this.tailOffset = -1;
    this.tailLength = 0;
  }

  protected begin(): void {
    this.topicLabel = NO_TOPIC_LABEL;
    this.recordBytes = 0;
    this.recordCount = 0;
    if (this.version < 0 || this.version > FETCH_MAX_WALKED_VERSION) {
      this.fail();
      return;
    }
    this.skipTaggedFieldsThen(HEADER_DONE);
  }

  protected onState(state: i32, data: usize, length: i32): void {
    const version = this.version;
    switch (state) {
      case HEADER_DONE:
        this.readThen((version >= 1 ? 4 : 0) + (version >= 7 ? 6 : 0), TOP_LEVEL);
        break;
      case TOP_LEVEL:
        if (version >= 1) this.sink.throttleTime(FETCH, int32At(data, 0));
        if (version >= 7) this.noteError(int16At(data, 4));
        this.walkTopicsThen(this.sink.labels, version >= FIRST_VERSION_WITH_TOPIC_ID, PARTITION,
          this.findTail ? TOPICS_WALKED : WALK_DONE);
        break;
      case TOPICS_WALKED:
        this.tailOffset = <i32>this.walked;
        this.tailLength = <i32>this.frameLeft();
        this.finish();
        break;
      case PARTITION:
        // PartitionIndex, ErrorCode, HighWatermark, then the offsets later versions added.
        this.readThen(14 + (version >= 4 ? 8 : 0) + (version >= 5 ? 8 : 0), PARTITION_FIXED);
        break;
      case PARTITION_FIXED:
        this.noteError(int16At(data, 4));
        this.sink.fetchedPartition(this.topicLabel, this.topicKeyHi, this.topicKeyLo, int32At(data, 0), int16At(data, 4),
          int64At(data, 6), version >= 4 ? int64At(data, 14) : -1);
        if (version >= 4) {
          this.readLengthThen(LengthKind.Array, true, ABORTED_COUNT);
        } else {
          this.continueAt(AFTER_ABORTED);
        }
        break;
      case ABORTED_COUNT:
        if (this.length <= 0) {
          this.continueAt(AFTER_ABORTED);
        } else if (this.flexible) {
          this.abortedLeft = this.length;
          this.continueAt(NEXT_ABORTED);
        } else {
          this.skipThen(<i64>this.length * ABORTED_TRANSACTION_BYTES, AFTER_ABORTED);
        }
        break;
      case NEXT_ABORTED:
        if (this.abortedLeft == 0) {
          this.continueAt(AFTER_ABORTED);
          break;
        }
        this.abortedLeft--;
        this.skipThen(ABORTED_TRANSACTION_BYTES, ABORTED_SKIPPED);
        break;
      case ABORTED_SKIPPED:
        this.skipTaggedFieldsThen(NEXT_ABORTED);
        break;
      case AFTER_ABORTED:
        if (version >= 11) {
          this.readThen(4, PREFERRED_READ_REPLICA);
        } else {
          this.walkRecordsFieldThen(PARTITION_WALKED);
        }
        break;
      case PREFERRED_READ_REPLICA:
        this.walkRecordsFieldThen(PARTITION_WALKED);
        break;
      default:
        this.fail();
    }
  }

  /** Flushes the last topic's totals, reports a failed walk, and ends the lag update. */
  frameEnded(): void {
    this.flushTopic();
    if (this.failed) this.sink.walkFailed();
    this.sink.fetchEnded();
  }

  protected onBatch(attributes: i16, maxTimestamp: i64, records: i32, bytes: i32): void {
    this.sink.fetchedBatch(this.topicLabel, attributes, maxTimestamp);
  }

  private noteError(code: i16): void {
    if (code != 0 && this.countErrors) this.sink.errorCode(FETCH, code);
  }

  protected flushTopic(): void {
    this.sink.addTopic(this.topicLabel, TopicStat.FetchedBytes, this.recordBytes);
    this.sink.addTopic(this.topicLabel, TopicStat.FetchedRecords, this.recordCount);
    this.recordBytes = 0;
    this.recordCount = 0;
  }
}

// Streams through Produce requests (versions 0-13) to count produced bytes and
// records per topic, and batches and their bytes by compression codec. Only the lengths, topic names (or ids) and batch headers are
// copied; record data is skipped.
//
// Body: TransactionalId (v3+, nullable string), Acks int16, TimeoutMs int32,
// TopicData [Name string (v0-12) | TopicId uuid (v13+), PartitionData [Index int32,
// Records nullable bytes, tags], tags], tags. Flexible from v9.
import { KafkaBodyWalker, LengthKind, NULL_LENGTH, PARTITION_WALKED, WALK_DONE } from "./body-walker";
import { NO_TOPIC_LABEL, TopicStat } from "../topics";
import { CODEC_COUNT, WalkSink, codecOf } from "./sink";
import { PRODUCE, requestFlexibleSince } from "../codec/generated/apis";

const FLEXIBLE_SINCE: i16 = requestFlexibleSince(PRODUCE);
const FIRST_VERSION_WITH_TRANSACTIONAL_ID: i16 = 3;
const FIRST_VERSION_WITH_TOPIC_ID: i16 = 13;
/** Highest Produce request version walked: Kafka 4.3.1's newest (ProduceRequest.json validVersions 3-13). */
export const PRODUCE_MAX_WALKED_VERSION: i16 = 13;

const TRANSACTIONAL_ID_LENGTH: i32 = 1;
const TRANSACTIONAL_ID_SKIPPED: i32 = 2;
const ACKS_AND_TIMEOUT: i32 = 3;
const PARTITION: i32 = 4;
const PARTITION_INDEX: i32 = 5;

/**
 * Streams one Produce request at a time (layout above) into its WalkSink: per-topic
 * produced bytes and records, and batches by codec. A version above
 * PRODUCE_MAX_WALKED_VERSION or bytes it cannot follow fail the walk (walkFailed once, at
 * the frame's end); the request passes untouched either way.
 */
export class ProduceRequestWalker extends KafkaBodyWalker {
  /** The current topic's batches and bytes by codec (CODEC_NAMES, then unknown ids), reported with its totals. */
  private readonly codecBatches: StaticArray<i64> = new StaticArray<i64>(CODEC_COUNT + 1);
  private readonly codecBytes: StaticArray<i64> = new StaticArray<i64>(CODEC_COUNT + 1);

  /** One per connection, reused for every Produce request. */
  constructor(private readonly sink: WalkSink) { super(); }

  /** Prepares a walk of a Produce request of `version` whose body starts `bodyOffset` bytes into the frame. */
  prepare(version: i16, bodyOffset: i32): void {
    this.prepareWalk(version, FLEXIBLE_SINCE, bodyOffset);
  }

  protected begin(): void {
    this.topicLabel = NO_TOPIC_LABEL;
    this.recordBytes = 0;
    this.recordCount = 0;
    this.clearCodecs();
    if (this.version < 0 || this.version > PRODUCE_MAX_WALKED_VERSION) {
      this.fail();
      return;
    }
    if (this.version >= FIRST_VERSION_WITH_TRANSACTIONAL_ID) {
      this.readLengthThen(LengthKind.String, true, TRANSACTIONAL_ID_LENGTH);
    } else {
      this.continueAt(TRANSACTIONAL_ID_SKIPPED);
    }
  }

  protected onState(state: i32, data: usize, length: i32): void {
    switch (state) {
      case TRANSACTIONAL_ID_LENGTH:
        this.skipThen(this.length == NULL_LENGTH ? 0 : this.length, TRANSACTIONAL_ID_SKIPPED);
        break;
      case TRANSACTIONAL_ID_SKIPPED:
        this.readThen(6, ACKS_AND_TIMEOUT);
        break;
      case ACKS_AND_TIMEOUT:
        this.walkTopicsThen(this.sink.labels, this.version >= FIRST_VERSION_WITH_TOPIC_ID, PARTITION, WALK_DONE);
        break;
      case PARTITION:
        this.readThen(4, PARTITION_INDEX);
        break;
      case PARTITION_INDEX:
        this.walkRecordsFieldThen(PARTITION_WALKED);
        break;
      default:
        this.fail();
    }
  }

  /** Flushes the last topic's totals and reports a failed walk. */
  frameEnded(): void {
    this.flushTopic();
    if (this.failed) this.sink.walkFailed();
  }

  protected onBatch(attributes: i16, maxTimestamp: i64, records: i32, bytes: i32): void {
    const codec = codecOf(attributes);
    unchecked(this.codecBatches[codec]++);
    unchecked(this.codecBytes[codec] += bytes);
    this.sink.producedBatch(this.topicLabel, records);
  }

  protected flushTopic(): void {
    const sink = this.sink;
    const label = this.topicLabel;
    sink.addTopic(label, TopicStat.ProducedBytes, this.recordBytes);
    sink.addTopic(label, TopicStat.ProducedRecords, this.recordCount);
    for (let codec = 0; codec <= CODEC_COUNT; codec++) {
      const batches = unchecked(this.codecBatches[codec]);
      if (batches != 0) sink.producedBatches(label, codec, batches, unchecked(this.codecBytes[codec]));
    }
    this.recordBytes = 0;
    this.recordCount = 0;
    this.clearCodecs();
  }

  private clearCodecs(): void {
    for (let codec = 0; codec <= CODEC_COUNT; codec++) {
      unchecked(this.codecBatches[codec] = 0);
      unchecked(this.codecBytes[codec] = 0);
    }
  }
}

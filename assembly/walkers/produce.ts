// Streams through Produce requests (versions 0-13) to count produced bytes and
// records per topic. Only the lengths, topic names (or ids) and batch headers are
// copied; record data is skipped.
//
// Body: TransactionalId (v3+, nullable string), Acks int16, TimeoutMs int32,
// TopicData [Name string (v0-12) | TopicId uuid (v13+), PartitionData [Index int32,
// Records nullable bytes, tags], tags], tags. Flexible from v9.
import { KafkaBodyWalker, LengthKind, NULL_LENGTH, uint64At } from "./body-walker";
import { NO_TOPIC_LABEL, TopicStat } from "../topics";
import { WalkSink } from "./sink";
import { WALK_READ_LIMIT } from "../framing";

const FIRST_FLEXIBLE_VERSION: i16 = 9;
const FIRST_VERSION_WITH_TRANSACTIONAL_ID: i16 = 3;
const FIRST_VERSION_WITH_TOPIC_ID: i16 = 13;
export const PRODUCE_MAX_WALKED_VERSION: i16 = 13;

const TRANSACTIONAL_ID_LENGTH: i32 = 1;
const TRANSACTIONAL_ID_SKIPPED: i32 = 2;
const ACKS_AND_TIMEOUT: i32 = 3;
const TOPIC_COUNT: i32 = 4;
const NEXT_TOPIC: i32 = 5;
const TOPIC_NAME_LENGTH: i32 = 6;
const TOPIC_NAME: i32 = 7;
const TOPIC_ID: i32 = 8;
const PARTITION_COUNT: i32 = 9;
const NEXT_PARTITION: i32 = 10;
const PARTITION_INDEX: i32 = 11;
const RECORDS_LENGTH: i32 = 12;
const RECORDS_DONE: i32 = 13;

export class ProduceRequestWalker extends KafkaBodyWalker {
  private version: i16 = 0;
  private topicsLeft: i32 = 0;
  private partitionsLeft: i32 = 0;
  private label: i32 = NO_TOPIC_LABEL;
  private bytes: i64 = 0;
  private records: i64 = 0;

  constructor(private readonly sink: WalkSink) { super(); }

  /** Prepares a walk of a Produce request of `version` whose body starts `bodyOffset` bytes into the frame. */
  prepare(version: i16, bodyOffset: i32): void {
    this.version = version;
    this.flexible = version >= FIRST_FLEXIBLE_VERSION;
    this.startOffset = bodyOffset;
  }

  protected begin(): void {
    this.label = NO_TOPIC_LABEL;
    this.bytes = 0;
    this.records = 0;
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
        this.readLengthThen(LengthKind.Array, false, TOPIC_COUNT);
        break;
      case TOPIC_COUNT:
        this.topicsLeft = this.length;
        this.continueAt(NEXT_TOPIC);
        break;
      case NEXT_TOPIC:
        if (this.topicsLeft == 0) {
          this.finish();
          break;
        }
        this.topicsLeft--;
        if (this.version >= FIRST_VERSION_WITH_TOPIC_ID) {
          this.readThen(16, TOPIC_ID);
        } else {
          this.readLengthThen(LengthKind.String, false, TOPIC_NAME_LENGTH);
        }
        break;
      case TOPIC_NAME_LENGTH:
        if (this.length > WALK_READ_LIMIT) {
          this.fail();
          break;
        }
        this.readThen(this.length, TOPIC_NAME);
        break;
      case TOPIC_NAME:
        this.label = this.sink.labels.labelOfBytes(data, length);
        this.readLengthThen(LengthKind.Array, false, PARTITION_COUNT);
        break;
      case TOPIC_ID:
        this.label = this.sink.labels.labelOfId(uint64At(data, 0), uint64At(data, 8));
        this.readLengthThen(LengthKind.Array, false, PARTITION_COUNT);
        break;
      case PARTITION_COUNT:
        this.partitionsLeft = this.length;
        this.continueAt(NEXT_PARTITION);
        break;
      case NEXT_PARTITION:
        if (this.partitionsLeft == 0) {
          this.flushTopic();
          this.skipTaggedFieldsThen(NEXT_TOPIC);
          break;
        }
        this.partitionsLeft--;
        this.readThen(4, PARTITION_INDEX);
        break;
      case PARTITION_INDEX:
        this.readLengthThen(LengthKind.Bytes, true, RECORDS_LENGTH);
        break;
      case RECORDS_LENGTH:
        if (this.length == NULL_LENGTH) {
          this.recordsCounted = 0;
          this.continueAt(RECORDS_DONE);
          break;
        }
        if (<i64>this.length > this.frameLeft()) {
          this.fail();
          break;
        }
        this.bytes += this.length;
        this.walkRecordsThen(this.length, RECORDS_DONE);
        break;
      case RECORDS_DONE:
        this.records += this.recordsCounted;
        this.skipTaggedFieldsThen(NEXT_PARTITION);
        break;
      default:
        this.fail();
    }
  }

  frameEnded(): void {
    this.flushTopic();
    if (this.failed) this.sink.walkFailed();
  }

  private flushTopic(): void {
    this.sink.addTopic(this.label, TopicStat.ProducedBytes, this.bytes);
    this.sink.addTopic(this.label, TopicStat.ProducedRecords, this.records);
    this.bytes = 0;
    this.records = 0;
  }
}

// The Kafka primitives a streaming walker needs, as steps of a FrameWalker: varints,
// array/string/bytes lengths (classic or compact), tagged-field sections, the record
// batches of a records field (counted from their headers, never decompressed), and the
// topics-then-partitions arrays that Produce and Fetch share.
//
// A subclass is a flat state machine over positive state numbers; the primitives here
// use negative ones and resume the subclass at the state it named. Every transition
// goes through a step (a zero-length skip when no bytes are needed), so the scanner
// drives the walk iteratively and a hostile frame cannot deepen the call stack.
import { FrameWalker, WALK_READ_LIMIT } from "../framing";
import { NO_TOPIC_LABEL, TopicLabels } from "../topics";

const S_VARINT_BYTE: i32 = -1;
const S_LENGTH_INT16: i32 = -2;
const S_LENGTH_INT32: i32 = -3;
const S_LENGTH_VARINT: i32 = -4;
const S_TAGGED_COUNT: i32 = -5;
const S_TAGGED_NEXT: i32 = -6;
const S_TAGGED_TAG: i32 = -7;
const S_TAGGED_SIZE: i32 = -8;
const S_BATCH_START: i32 = -9;
const S_BATCH_HEAD: i32 = -10;
const S_BATCH_REST: i32 = -12;
const S_RECORDS_LENGTH: i32 = -13;
const S_RECORDS_WALKED: i32 = -14;
const S_TOPIC_COUNT: i32 = -15;
const S_NEXT_TOPIC: i32 = -16;
const S_TOPIC_NAME_LENGTH: i32 = -17;
const S_TOPIC_NAME: i32 = -18;
const S_TOPIC_ID: i32 = -19;
const S_PARTITION_COUNT: i32 = -20;
const S_NEXT_PARTITION: i32 = -21;
/**
 * Where a subclass continues once a partition's own fields are walked (see walkTopicsThen):
 * the partition's tagged fields, then the next partition.
 */
export const PARTITION_WALKED: i32 = -22;
/** A state that ends the walk successfully, for a walk whose last field is walked by a primitive. */
export const WALK_DONE: i32 = -23;

const TOPIC_ID_BYTES: i32 = 16;

/** Bytes up to and including the magic byte, the same in message sets v0/v1 and batches v2. */
const ENTRY_HEAD_BYTES: i32 = 17;
/** baseOffset + batchLength (or offset + messageSize): not counted by the length field. */
const LOG_OVERHEAD: i32 = 12;
/** A v2 batch's fixed header; the record count is its last field, at offset 57. */
const BATCH_HEADER_BYTES: i32 = 61;
/**
 * The rest of a v2 batch header after the magic byte, read in one copy: crc (17),
 * attributes (21), lastOffsetDelta (23), baseTimestamp (27), maxTimestamp (35),
 * producerId (43), producerEpoch (51), baseSequence (53), records count (57); offsets
 * into the batch, from Kafka's DefaultRecordBatch.
 */
const BATCH_REST_BYTES: i32 = BATCH_HEADER_BYTES - ENTRY_HEAD_BYTES;
const REST_ATTRIBUTES: i32 = 21 - ENTRY_HEAD_BYTES;
const REST_MAX_TIMESTAMP: i32 = 35 - ENTRY_HEAD_BYTES;
const REST_COUNT: i32 = 57 - ENTRY_HEAD_BYTES;
/** The smallest legacy message after its size field: crc, magic, attributes, key and value lengths. */
const MIN_LEGACY_MESSAGE_SIZE: i32 = 14;

/** Kafka's null for nullable arrays, strings and bytes. */
export const NULL_LENGTH: i32 = -1;

@inline export function int16At(data: usize, offset: i32): i16 {
  return bswap<i16>(load<i16>(data + <usize>offset));
}

@inline export function int32At(data: usize, offset: i32): i32 {
  return bswap<i32>(load<i32>(data + <usize>offset));
}

@inline export function int64At(data: usize, offset: i32): i64 {
  return bswap<i64>(load<i64>(data + <usize>offset));
}

@inline export function uint64At(data: usize, offset: i32): u64 {
  return bswap<u64>(load<u64>(data + <usize>offset));
}

/**
 * The length prefixes a walker reads: classic (int16/int32, -1 = null) or, in flexible versions, compact (varint
 * n+1, 0 = null).
 */
export const enum LengthKind {
  /** int32 classic, unsigned varint (n+1) compact. */
  Array = 0,
  /** int16 classic, unsigned varint (n+1) compact. */
  String = 1,
  /** int32 classic, unsigned varint (n+1) compact. */
  Bytes = 2,
}

/**
 * A FrameWalker over one Kafka message body (see the file comment): subclasses name
 * their states and use the primitives here; any malformed length or count fails the walk
 * (`failed`), never traps or recurses.
 */
export abstract class KafkaBodyWalker extends FrameWalker {
  /** The version of the message being walked, as prepareWalk() set it. */
  protected version: i16 = 0;
  /** Compact lengths and tagged fields (the message's flexible versions). */
  protected flexible: bool = false;
  private state: i32 = 0;

  /**
   * Readies the walk of one frame of `version` whose walked part starts `startOffset`
   * bytes into the frame (after its size field). `flexibleSince` is the message's first
   * flexible version, from the generated codec's tables (requestFlexibleSince or
   * responseFlexibleSince in codec/generated/apis.ts; -1 for none), so the walkers and the
   * codec cannot disagree on where compact encodings begin.
   */
  protected prepareWalk(version: i16, flexibleSince: i16, startOffset: i32): void {
    this.version = version;
    this.flexible = flexibleSince >= 0 && version >= flexibleSince;
    this.startOffset = startOffset;
  }

  private varintValue: u32 = 0;
  private varintShift: i32 = 0;
  private varintThen: i32 = 0;

  /** The last length read: -1 for null (only where nullable), else >= 0. */
  protected length: i32 = 0;
  private lengthNullable: bool = false;
  private lengthThen: i32 = 0;

  private taggedLeft: i32 = 0;
  private taggedThen: i32 = 0;

  private recordsLeft: i32 = 0;
  private recordsThen: i32 = 0;
  /** The v2 batch being walked: its whole size, log overhead included. */
  private batchBytes: i32 = 0;
  private fieldRecords: i64 = 0;
  private recordsFieldThen: i32 = 0;
  /** Bytes of the records fields walked, each added once its length is read; the subclass resets it. */
  protected recordBytes: i64 = 0;
  /** Records of the records fields walked, each field's added once it is walked through; the subclass resets it. */
  protected recordCount: i64 = 0;

  private topicLabels: TopicLabels | null = null;
  private topicsById: bool = false;
  private topicsLeft: i32 = 0;
  private topicsThen: i32 = 0;
  private partitionsLeft: i32 = 0;
  private partitionState: i32 = 0;
  /** The label of the topic walkTopicsThen is in; the subclass resets it for each frame. */
  protected topicLabel: i32 = NO_TOPIC_LABEL;
  /**
   * Identifies the topic walkTopicsThen is in, whatever its label: its topic id, or a
   * 64-bit hash of its name (and the name's length, with the top bit set). Requests and
   * responses of one version name topics alike, so their keys match.
   */
  protected topicKeyHi: u64 = 0;
  protected topicKeyLo: u64 = 0;

  /**
   * Called for each complete v2 record batch of a records field, once its header is
   * read: `attributes` (low 3 bits the compression codec, bit 3 the timestamp type),
   * `maxTimestamp` (ms since the epoch; -1 when none), its record count and its size in
   * bytes (log overhead included). Legacy (magic 0/1) entries and batches cut by the end
   * of the field are not reported.
   */
  protected onBatch(attributes: i16, maxTimestamp: i64, records: i32, bytes: i32): void {}

  /** Continues the subclass's machine at `state`, with the bytes it asked for. */
  protected abstract onState(state: i32, data: usize, length: i32): void;

  /**
   * Reports and resets the totals of `topicLabel`: walkTopicsThen calls it after each
   * topic's last partition; a subclass also calls it for the topic a frame ends in.
   */
  protected flushTopic(): void {}

  /** Runs the state the last step was asked for over the `length` bytes at `data` (0 for a skip). */
  advance(data: usize, length: i32): void {
    const state = this.state;
    if (state >= 0) {
      this.onState(state, data, length);
      return;
    }
    switch (state) {
      case S_VARINT_BYTE: this.varintByte(<u32>load<u8>(data)); break;
      case S_LENGTH_INT16: this.lengthRead(<i32>int16At(data, 0)); break;
      case S_LENGTH_INT32: this.lengthRead(int32At(data, 0)); break;
      case S_LENGTH_VARINT: this.lengthRead(this.varintValue > <u32>i32.MAX_VALUE ? i32.MIN_VALUE : <i32>this.varintValue - 1); break;
      case S_TAGGED_COUNT: this.taggedCountRead(); break;
      case S_TAGGED_NEXT: this.nextTaggedField(); break;
      case S_TAGGED_TAG: this.readUnsignedVarintThen(S_TAGGED_SIZE); break;
      case S_TAGGED_SIZE: this.skipThen(<i64>this.varintValue, S_TAGGED_NEXT); break;
      case S_BATCH_START: this.nextBatch(); break;
      case S_BATCH_HEAD: this.batchHead(data); break;
      case S_BATCH_REST: this.batchRest(data); break;
      case S_RECORDS_LENGTH: this.recordsLengthRead(); break;
      case S_RECORDS_WALKED: this.recordsFieldWalked(); break;
      case S_TOPIC_COUNT: this.topicsLeft = this.length; this.nextTopic(); break;
      case S_NEXT_TOPIC: this.nextTopic(); break;
      case S_TOPIC_NAME_LENGTH: this.topicNameLengthRead(); break;
      case S_TOPIC_NAME: this.topicNamed(data, length); break;
      case S_TOPIC_ID: this.topicIdentified(uint64At(data, 0), uint64At(data, 8)); break;
      case S_PARTITION_COUNT: this.partitionsLeft = this.length; this.nextPartition(); break;
      case S_NEXT_PARTITION: this.nextPartition(); break;
      case PARTITION_WALKED: this.skipTaggedFieldsThen(S_NEXT_PARTITION); break;
      case WALK_DONE: this.finish(); break;
      default: this.fail();
    }
  }

  protected readThen(length: i32, state: i32): void {
    this.state = state;
    this.read(length);
  }

  protected skipThen(length: i64, state: i32): void {
    this.state = state;
    this.skip(length);
  }

  /** Moves to `state` without consuming bytes. */
  protected continueAt(state: i32): void {
    this.skipThen(0, state);
  }

  /** Reads an unsigned varint into `varintValue`, then continues at `state`. */
  protected readUnsignedVarintThen(state: i32): void {
    this.varintValue = 0;
    this.varintShift = 0;
    this.varintThen = state;
    this.readThen(1, S_VARINT_BYTE);
  }

  private varintByte(b: u32): void {
    if (this.varintShift == 28 && (b & 0xf0) != 0) {
      this.fail();
      return;
    }
    this.varintValue |= (b & 0x7f) << <u32>this.varintShift;
    if ((b & 0x80) != 0) {
      this.varintShift += 7;
      this.readThen(1, S_VARINT_BYTE);
      return;
    }
    this.continueAt(this.varintThen);
  }

  /** Reads an array, string or bytes length into `length`, then continues at `state`. */
  protected readLengthThen(kind: LengthKind, nullable: bool, state: i32): void {
    this.lengthNullable = nullable;
    this.lengthThen = state;
    if (this.flexible) {
      this.readUnsignedVarintThen(S_LENGTH_VARINT);
    } else {
      this.readThen(kind == LengthKind.String ? 2 : 4, kind == LengthKind.String ? S_LENGTH_INT16 : S_LENGTH_INT32);
    }
  }

  private lengthRead(value: i32): void {
    if (value < NULL_LENGTH || (value == NULL_LENGTH && !this.lengthNullable)) {
      this.fail();
      return;
    }
    this.length = value;
    this.continueAt(this.lengthThen);
  }

  /** Steps over a tagged-field section in flexible versions (nothing otherwise), then continues at `state`. */
  protected skipTaggedFieldsThen(state: i32): void {
    this.taggedThen = state;
    if (!this.flexible) {
      this.continueAt(state);
      return;
    }
    this.readUnsignedVarintThen(S_TAGGED_COUNT);
  }

  private taggedCountRead(): void {
    if (this.varintValue > <u32>i32.MAX_VALUE) {
      this.fail();
      return;
    }
    this.taggedLeft = <i32>this.varintValue;
    this.nextTaggedField();
  }

  private nextTaggedField(): void {
    if (this.taggedLeft == 0) {
      this.continueAt(this.taggedThen);
      return;
    }
    this.taggedLeft--;
    this.readUnsignedVarintThen(S_TAGGED_TAG);
  }

  /**
   * Walks a nullable records field: adds its length to `recordBytes` once read (a length
   * past the frame fails the walk), then its records to `recordCount` once walked through,
   * then continues at `state`. v2 batches count their header's record count; legacy
   * (magic 0/1) messages count one each, a compressed wrapper included. A batch cut by
   * the end of the field (normal at the end of a Fetch response) is stepped over, not counted.
   */
  protected walkRecordsFieldThen(state: i32): void {
    this.recordsFieldThen = state;
    this.readLengthThen(LengthKind.Bytes, true, S_RECORDS_LENGTH);
  }

  private recordsLengthRead(): void {
    const length = this.length;
    if (length == NULL_LENGTH) {
      this.continueAt(this.recordsFieldThen);
      return;
    }
    if (<i64>length > this.frameLeft()) {
      this.fail();
      return;
    }
    this.recordBytes += length;
    this.recordsLeft = length;
    this.recordsThen = S_RECORDS_WALKED;
    this.fieldRecords = 0;
    this.nextBatch();
  }

  private recordsFieldWalked(): void {
    this.recordCount += this.fieldRecords;
    this.continueAt(this.recordsFieldThen);
  }

  private nextBatch(): void {
    const left = this.recordsLeft;
    if (left < ENTRY_HEAD_BYTES) {
      this.recordsLeft = 0;
      this.skipThen(left, this.recordsThen);
      return;
    }
    this.readThen(ENTRY_HEAD_BYTES, S_BATCH_HEAD);
  }

  private batchHead(data: usize): void {
    const sizeField = int32At(data, 8);
    const magic = load<i8>(data + 16);
    const entrySize = <i64>sizeField + LOG_OVERHEAD;
    if (sizeField < 0 || (magic == 2 && entrySize < BATCH_HEADER_BYTES) || (magic < 2 && sizeField < MIN_LEGACY_MESSAGE_SIZE) ||
        magic < 0 || magic > 2) {
      this.fail();
      return;
    }
    const left = this.recordsLeft - ENTRY_HEAD_BYTES;
    if (entrySize > <i64>this.recordsLeft) {
      this.recordsLeft = 0;
      this.skipThen(left, this.recordsThen);
      return;
    }
    this.recordsLeft -= <i32>entrySize;
    if (magic < 2) {
      this.fieldRecords++;
      this.skipThen(entrySize - ENTRY_HEAD_BYTES, S_BATCH_START);
      return;
    }
    this.batchBytes = <i32>entrySize;
    this.readThen(BATCH_REST_BYTES, S_BATCH_REST);
  }

  private batchRest(data: usize): void {
    const count = int32At(data, REST_COUNT);
    if (count < 0) {
      this.fail();
      return;
    }
    this.fieldRecords += count;
    this.onBatch(int16At(data, REST_ATTRIBUTES), int64At(data, REST_MAX_TIMESTAMP), count, this.batchBytes);
    this.skipThen(this.batchBytes - BATCH_HEADER_BYTES, S_BATCH_START);
  }

  /**
   * Walks an array of topics, each a name (or, with `byId`, a topic id), an array of
   * partitions and tags, labelling each topic through `labels` into `topicLabel`. Each
   * partition continues the subclass at `partitionState`; the subclass walks the
   * partition's own fields and continues at PARTITION_WALKED. After a topic's last
   * partition comes flushTopic(); after the last topic the walk continues at `state`.
   */
  protected walkTopicsThen(labels: TopicLabels, byId: bool, partitionState: i32, state: i32): void {
    this.topicLabels = labels;
    this.topicsById = byId;
    this.partitionState = partitionState;
    this.topicsThen = state;
    this.readLengthThen(LengthKind.Array, false, S_TOPIC_COUNT);
  }

  private nextTopic(): void {
    if (this.topicsLeft == 0) {
      this.continueAt(this.topicsThen);
      return;
    }
    this.topicsLeft--;
    if (this.topicsById) {
      this.readThen(TOPIC_ID_BYTES, S_TOPIC_ID);
    } else {
      this.readLengthThen(LengthKind.String, false, S_TOPIC_NAME_LENGTH);
    }
  }

  private topicNameLengthRead(): void {
    if (this.length > WALK_READ_LIMIT) {
      this.fail();
      return;
    }
    this.readThen(this.length, S_TOPIC_NAME);
  }

  private topicNamed(data: usize, length: i32): void {
    let hash: u64 = 0xcbf29ce484222325;
    for (let i = 0; i < length; i++) hash = (hash ^ <u64>load<u8>(data + <usize>i)) * 0x100000001b3;
    this.topicKeyHi = hash;
    this.topicKeyLo = (<u64>1 << 63) | <u64>length;
    const labels = this.topicLabels;
    this.topicLabel = labels != null ? labels.labelOfBytes(data, length) : NO_TOPIC_LABEL;
    this.readLengthThen(LengthKind.Array, false, S_PARTITION_COUNT);
  }

  private topicIdentified(hi: u64, lo: u64): void {
    this.topicKeyHi = hi;
    this.topicKeyLo = lo;
    const labels = this.topicLabels;
    this.topicLabel = labels != null ? labels.labelOfId(hi, lo) : NO_TOPIC_LABEL;
    this.readLengthThen(LengthKind.Array, false, S_PARTITION_COUNT);
  }

  private nextPartition(): void {
    if (this.partitionsLeft == 0) {
      this.flushTopic();
      this.skipTaggedFieldsThen(S_NEXT_TOPIC);
      return;
    }
    this.partitionsLeft--;
    this.continueAt(this.partitionState);
  }
}

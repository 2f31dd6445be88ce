// Where walkers report what they find. The filter forwards to its stats; tests record.
import { TopicLabels, TopicStat } from "../topics";

/** Kafka's compression codecs, by the low 3 bits of a v2 batch's attributes (CompressionType.java). */
export const CODEC_COUNT: i32 = 5;
/** Codec label values, by codec index. */
export const CODEC_NAMES: StaticArray<string> = ["none", "gzip", "snappy", "lz4", "zstd"];
/** Codec id 5-7 are not defined by Kafka; such batches are counted under this index. */
export const UNKNOWN_CODEC: i32 = CODEC_COUNT;

/** The codec index of a v2 batch's attributes; UNKNOWN_CODEC for ids Kafka does not define. */
@inline export function codecOf(attributes: i16): i32 {
  const id = <i32>attributes & 0x7;
  return id < CODEC_COUNT ? id : UNKNOWN_CODEC;
}

/** Bit 3 of a v2 batch's attributes: the batch's timestamps are the broker's LogAppendTime. */
@inline export function isLogAppendTime(attributes: i16): bool {
  return (<i32>attributes & 0x8) != 0;
}

/**
 * Receives what the Produce and Fetch walkers find (walkers/produce.ts, walkers/fetch.ts);
 * the filter's is MetricsWalkSink (stats-sinks.ts). Labels are `labels`' topic labels.
 */
export abstract class WalkSink {
  constructor(readonly labels: TopicLabels) {}

  /** Adds to a topic label's counter; labels come from `labels` (NO_TOPIC_LABEL: per-topic stats are off). */
  abstract addTopic(label: i32, stat: TopicStat, delta: i64): void;
  /** A non-zero error code found in a response of `apiKey`. */
  abstract errorCode(apiKey: i32, code: i16): void;
  /** A walk met data it could not follow and stopped (once per frame). */
  abstract walkFailed(): void;

  /**
   * Produced v2 batches of one topic in one request, compressed with `codec` (an index
   * of CODEC_NAMES, or UNKNOWN_CODEC): how many, and their bytes (log overhead included).
   */
  producedBatches(label: i32, codec: i32, batches: i64, bytes: i64): void {}
  /** One produced v2 batch of `records` records. */
  producedBatch(label: i32, records: i32): void {}
  /**
   * One complete fetched v2 batch: its attributes (codec, timestamp type) and its
   * maxTimestamp in ms since the epoch (-1: the batch has none).
   */
  fetchedBatch(label: i32, attributes: i16, maxTimestamp: i64): void {}
  /**
   * One partition of a Fetch response, before its records: its error code, and the
   * broker's high watermark and last stable offset (-1 before v4) for it. Topic keys as
   * in KafkaBodyWalker (matching the request's).
   */
  fetchedPartition(label: i32, topicKeyHi: u64, topicKeyLo: u64, partition: i32, errorCode: i16, highWatermark: i64,
    lastStableOffset: i64): void {}
  /** A Fetch response's walk ended (completed or not). */
  fetchEnded(): void {}
  /** The ThrottleTimeMs of a response of `apiKey` (0 when not throttled). */
  throttleTime(apiKey: i32, ms: i32): void {}
}

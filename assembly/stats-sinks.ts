// What the walkers and response decoding find, handed to the stats with the
// connection's client labels: per-topic bytes and records, produced batches, record age,
// consumer lag, error codes and throttle times.
import { ErrorCodeSink } from "./codec/message";
import { WalkSink } from "./walkers/sink";
import { FetchRequestSink } from "./walkers/fetch-request";
import { TopicLabels, TopicStat } from "./topics";
import { FilterStat, KafkaMetrics } from "./metrics";
import { Exchanges } from "./exchanges";
import { nowNanoseconds } from "./proxy/host";

/** Hands what the walkers find to the stats, with the connection's client labels. */
export class MetricsWalkSink extends WalkSink {
  /** Wall-clock ms at the start of the response being walked, for record age. */
  nowMs: i64 = 0;
  /** False while the response editor decodes the walked response whole: it counts the throttle time then. */
  countThrottle: bool = true;

  /** Labels come from the connection's exchanges (client software, client id) at each report. */
  constructor(private readonly metrics: KafkaMetrics, private readonly exchanges: Exchanges) { super(metrics.topics); }

  producedBatches(label: i32, codec: i32, batches: i64, bytes: i64): void {
    this.metrics.addProducedBatches(label, this.clientSoftware(), codec, batches, bytes);
  }

  producedBatch(label: i32, records: i32): void {
    if (this.metrics.insight.batchSizeHistograms) this.metrics.recordBatchSize(label, this.clientSoftware(), records);
  }

  /** Records the batch's age (now - maxTimestamp, ms) when it carries a timestamp. */
  fetchedBatch(label: i32, attributes: i16, maxTimestamp: i64): void {
    // NO_TIMESTAMP (-1): the batch's records carry no timestamp (message format v0).
    if (maxTimestamp >= 0 && this.nowMs > 0) this.metrics.recordAge(label, this.nowMs - maxTimestamp);
  }

  fetchedPartition(label: i32, topicKeyHi: u64, topicKeyLo: u64, partition: i32, errorCode: i16, highWatermark: i64,
    lastStableOffset: i64): void {
    const lag = this.exchanges.lag;
    if (lag != null) lag.fetchedPartition(topicKeyHi, topicKeyLo, partition, errorCode, highWatermark, lastStableOffset, this.nowMs);
  }

  fetchEnded(): void {
    const lag = this.exchanges.lag;
    if (lag != null) lag.update(this.nowMs);
  }

  /** Adds a non-zero throttle (ms) under the client id label, unless the editor counts it (countThrottle). */
  throttleTime(apiKey: i32, ms: i32): void {
    if (ms > 0 && this.countThrottle) this.metrics.addThrottle(apiKey, this.exchanges.clientIdLabel, ms);
  }

  private clientSoftware(): i32 {
    const label = this.exchanges.clientSoftwareLabel;
    return label >= 0 ? label : this.metrics.unknownClientSoftware;
  }

  addTopic(label: i32, stat: TopicStat, delta: i64): void {
    this.metrics.addTopic(label, stat, delta);
  }

  errorCode(apiKey: i32, code: i16): void {
    this.metrics.countError(apiKey, code);
  }

  walkFailed(): void {
    this.metrics.count(FilterStat.WalkErrors);
  }
}

/** Hands what a consumer's Fetch requests ask for to the connection's lag. */
export class LagRequestSink extends FetchRequestSink {
  constructor(labels: TopicLabels, private readonly exchanges: Exchanges, private readonly metrics: KafkaMetrics) { super(labels); }

  /** Opens a lag update at the host's wall clock, in ms. */
  fetchStarted(readCommitted: bool, full: bool): void {
    const lag = this.exchanges.lag;
    if (lag != null) lag.fetchStarted(readCommitted, full, <i64>(nowNanoseconds() / 1000000));
  }

  fetchOffset(label: i32, topicKeyHi: u64, topicKeyLo: u64, partition: i32, offset: i64): void {
    const lag = this.exchanges.lag;
    if (lag != null) lag.fetchOffset(label, topicKeyHi, topicKeyLo, partition, offset);
  }

  walkFailed(): void {
    this.metrics.count(FilterStat.WalkErrors);
  }
}

/** Counts the error codes of one decoded response under its API. */
export class ErrorCounter extends ErrorCodeSink {
  apiKey: i32 = 0;
  constructor(private readonly metrics: KafkaMetrics, private readonly exchanges: Exchanges) { super(); }

  /** Counts a non-zero code under `apiKey` at once (responses decoded whole; walks hold theirs in WalkedErrorCodes). */
  errorCode(code: i16): void {
    if (code != 0) this.metrics.countError(this.apiKey, code);
  }

  throttleTime(ms: i32): void {
    if (ms > 0) this.metrics.addThrottle(this.apiKey, this.exchanges.clientIdLabel, ms);
  }
}

/**
 * Holds the non-zero error codes a walk finds until the whole body has been read, so a
 * response that turns out malformed counts as ResponseBodyErrors only, as when it was
 * decoded whole first. The list is reused: it allocates only to grow.
 */
export class WalkedErrorCodes extends ErrorCodeSink {
  private readonly codes: Array<i16> = new Array<i16>();
  private throttleMs: i32 = 0;

  /** Holds a non-zero code until countAll. */
  errorCode(code: i16): void {
    if (code != 0) this.codes.push(code);
  }

  /** Holds the throttle time (ms) until countAll. */
  throttleTime(ms: i32): void {
    this.throttleMs = ms;
  }

  /** Forgets the codes held for a walk that will not be counted. */
  clear(): void {
    this.codes.length = 0;
    this.throttleMs = 0;
  }

  /** Counts the codes, and the throttle time under the connection's client id label. */
  countAll(metrics: KafkaMetrics, apiKey: i32, clientIdLabel: i32): void {
    const codes = this.codes;
    for (let i = 0, n = codes.length; i < n; i++) metrics.countError(apiKey, unchecked(codes[i]));
    codes.length = 0;
    if (this.throttleMs > 0) metrics.addThrottle(apiKey, clientIdLabel, this.throttleMs);
    this.throttleMs = 0;
  }
}

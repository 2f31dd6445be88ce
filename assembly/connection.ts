// One proxied Kafka connection: frames in both directions, headers decoded with
// the codec, responses matched to requests, stats counted.
//
// The filter only observes, so it always returns Continue and Envoy forwards every
// byte as it arrives. Envoy then drains its buffer after each callback, so a
// callback's buffer holds exactly the bytes not seen before (see README,
// "How Envoy hands data to the filter").
import { DecodeError, Reader } from "./codec/reader";
import { RequestHeader, ResponseHeader } from "./codec/header";
import { requestHeaderVersion, responseHeaderVersion } from "./codec/generated/apis";
import { decodeResponseBody } from "./codec/generated/index";
import { ErrorCodeSink } from "./codec/message";
import { ApiVersionsRequest } from "./codec/generated/ApiVersionsRequest";
import { SaslHandshakeRequest } from "./codec/generated/SaslHandshakeRequest";
import { ByteSource, FrameHandler, FrameScanner, FrameWalker, FramingError, framingErrorName } from "./framing";
import { PRODUCE_MAX_WALKED_VERSION, ProduceRequestWalker } from "./walkers/produce";
import { FETCH_MAX_WALKED_VERSION, FetchResponseWalker } from "./walkers/fetch";
import { MetadataResponse } from "./codec/generated/MetadataResponse";
import { DescribeTopicPartitionsResponse } from "./codec/generated/DescribeTopicPartitionsResponse";
import { Message } from "./codec/message";
import { TopicNames, TopicStat } from "./topics";
import { WalkSink } from "./walkers/sink";
import { InFlightRequests, PendingRequest } from "./correlation";
import { LegacySaslExchange } from "./sasl";
import { ApiStat, FilterStat, KafkaMetrics, isTrackedApi } from "./metrics";
import { expectsResponse } from "./requests";
import { FilterConfig } from "./config/filter-config";
import { ConnectionContext, RootContext } from "./proxy/context";
import { BufferType, FilterStatus, LogLevel, closeDownstream, copyBufferBytes, log, nowNanoseconds } from "./proxy/host";

// Enough for the request header of any real client (client ids are short) and the
// first body fields the filter reads; a longer header is still matched by its fixed fields.
const REQUEST_PREFIX_BYTES: i32 = 512;
// A response's head: the correlation id (plus tagged fields in v1); the SaslHandshake
// v0 error code right after it decides whether raw tokens follow. Responses up to
// max_inspected_response_bytes are then collected whole to read their error codes.
const RESPONSE_HEAD_BYTES: i32 = 8;
const SIZE_FIELD_BYTES: i64 = 4;
/** Marks a pending request whose (API, version) gets no per-API stats. */
const UNTRACKED_API: i16 = -1;

// Contexts of one VM run on one thread, one callback at a time: frames are decoded
// with these shared instances so that no allocation happens per frame.
const reader = new Reader();
const requestHeader = new RequestHeader();
const responseHeader = new ResponseHeader();
const apiVersionsRequest = new ApiVersionsRequest();
const saslHandshakeRequest = new SaslHandshakeRequest();
const PRODUCE: i16 = 0;
const FETCH: i16 = 1;
const METADATA: i16 = 3;
const API_VERSIONS: i16 = 18;
const SASL_HANDSHAKE: i16 = 17;
const DESCRIBE_TOPIC_PARTITIONS: i16 = 75;
/** Metadata v10 added topic ids. */
const FIRST_METADATA_WITH_TOPIC_IDS: i16 = 10;
/** ApiVersions v3 added ClientSoftwareName and ClientSoftwareVersion. */
const FIRST_API_VERSIONS_WITH_CLIENT_SOFTWARE: i16 = 3;

class HostBuffer extends ByteSource {
  constructor(private readonly bufferType: BufferType) { super(); }

  copy(offset: u32, length: u32, dest: usize): bool {
    return copyBufferBytes(this.bufferType, offset, length, dest) == <i32>length;
  }
}

const downstreamBuffer = new HostBuffer(BufferType.DownstreamData);
const upstreamBuffer = new HostBuffer(BufferType.UpstreamData);

/** Pending requests and their stats, shared by both directions of one connection. */
class Exchanges {
  readonly pending: InFlightRequests;
  readonly sasl: LegacySaslExchange = new LegacySaslExchange();

  constructor(readonly metrics: KafkaMetrics, maxInFlight: i32) {
    this.pending = new InFlightRequests(maxInFlight);
  }

  requestStarted(correlationId: i32, apiKey: i16, apiVersion: i16, frameSize: i32, awaitsResponse: bool): void {
    const tracked = isTrackedApi(apiKey, apiVersion);
    if (tracked) {
      this.metrics.addApi(apiKey, apiVersion, ApiStat.Requests, 1);
      this.metrics.addApi(apiKey, apiVersion, ApiStat.RequestBytes, <i64>frameSize + SIZE_FIELD_BYTES);
    }
    if (!awaitsResponse) return;
    if (this.pending.full) {
      this.metrics.count(FilterStat.InFlightOverflow);
      this.forgetOldest();
    }
    this.pending.push(correlationId, tracked ? apiKey : UNTRACKED_API, apiVersion);
    if (tracked) this.metrics.addApi(apiKey, apiVersion, ApiStat.InFlight, 1);
  }

  requestCompleted(): void {
    if (this.pending.size > 0 && this.pending.newest().completedAtNanos == 0) {
      this.pending.newest().completedAtNanos = nowNanoseconds();
    }
  }

  /**
   * Counts a response whose request sits at `position` in the pending queue (-1: none),
   * dropping the older, unanswered ones. Returns the request, or null when nothing
   * matched; the object is only valid until the next request is queued.
   */
  responseStarted(position: i32, frameSize: i32): PendingRequest | null {
    if (position < 0) {
      this.metrics.count(FilterStat.UnmatchedResponses);
      return null;
    }
    for (let i = 0; i < position; i++) this.forgetOldest();
    this.metrics.count(FilterStat.UnansweredRequests, position);
    const request = this.pending.oldest();
    const apiKey = request.apiKey;
    if (apiKey != UNTRACKED_API) {
      const apiVersion = request.apiVersion;
      this.metrics.addApi(apiKey, apiVersion, ApiStat.Responses, 1);
      this.metrics.addApi(apiKey, apiVersion, ApiStat.ResponseBytes, <i64>frameSize + SIZE_FIELD_BYTES);
      this.metrics.addApi(apiKey, apiVersion, ApiStat.InFlight, -1);
      if (request.completedAtNanos != 0) {
        const now = nowNanoseconds();
        if (now > request.completedAtNanos) this.metrics.recordLatency(apiKey, apiVersion, (now - request.completedAtNanos) / 1000);
      }
    }
    this.pending.dropOldest();
    return request;
  }

  /** Drops every pending request, keeping the in-flight gauges true when a connection ends. */
  forgetAll(): void {
    while (this.pending.size > 0) this.forgetOldest();
  }

  private forgetOldest(): void {
    const request = this.pending.oldest();
    if (request.apiKey != UNTRACKED_API) this.metrics.addApi(request.apiKey, request.apiVersion, ApiStat.InFlight, -1);
    this.pending.dropOldest();
  }
}

/** Hands what the walkers find to the stats. */
class MetricsWalkSink extends WalkSink {
  constructor(private readonly metrics: KafkaMetrics) { super(metrics.topics); }

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

class RequestFrames extends FrameHandler {
  private clientSoftwareNoted: bool = false;
  /** Streams Produce requests for per-topic stats; null when those are off. */
  private readonly produceWalker: ProduceRequestWalker | null;
  private walkThisFrame: bool = false;

  constructor(private readonly exchanges: Exchanges) {
    super();
    const metrics = exchanges.metrics;
    this.produceWalker = metrics.topics.enabled ? new ProduceRequestWalker(new MetricsWalkSink(metrics)) : null;
  }

  walkerFor(frameSize: i32): FrameWalker | null {
    if (!this.walkThisFrame) return null;
    this.walkThisFrame = false;
    return this.produceWalker;
  }

  onFrameStart(frameSize: i32, frame: ArrayBuffer, prefixStart: i32, prefixEnd: i32): void {
    const metrics = this.exchanges.metrics;
    this.walkThisFrame = false;
    reader.reset(frame, prefixStart, prefixEnd);
    // The key and version lead every header version; they decide which version this one is.
    const apiKey = reader.readInt16();
    const apiVersion = reader.readInt16();
    const headerVersion = requestHeaderVersion(apiKey, apiVersion);
    reader.reset(frame, prefixStart, prefixEnd);
    if (this.isRawSaslToken(headerVersion)) return;
    if (headerVersion < 0) {
      // Still track it by the fixed fields, so that its response is not counted as unmatched.
      metrics.count(FilterStat.UnknownApiRequests);
      if (requestHeader.decode(reader, 0)) {
        this.exchanges.requestStarted(requestHeader.correlationId, apiKey, apiVersion, frameSize, true);
      }
      return;
    }
    if (!requestHeader.decode(reader, headerVersion)) {
      // A header longer than the copied prefix is cut by us, not malformed.
      const cutByPrefix = reader.errorCode == DecodeError.Truncated && frameSize > prefixEnd - prefixStart;
      if (!cutByPrefix) {
        metrics.count(FilterStat.RequestHeaderErrors);
        return;
      }
      this.exchanges.requestStarted(requestHeader.correlationId, apiKey, apiVersion, frameSize, true);
      return;
    }
    if (apiKey == SASL_HANDSHAKE && apiVersion == 0) {
      const bodyStart = reader.pos;
      if (saslHandshakeRequest.decode(reader, 0)) this.exchanges.sasl.handshakeRequested(saslHandshakeRequest.mechanism);
      reader.pos = bodyStart;
    }
    if (apiKey == API_VERSIONS && apiVersion >= FIRST_API_VERSIONS_WITH_CLIENT_SOFTWARE) {
      this.noteClientSoftware(apiVersion, frameSize, prefixEnd - prefixStart);
    }
    const produceWalker = this.produceWalker;
    if (apiKey == PRODUCE && produceWalker != null && apiVersion <= PRODUCE_MAX_WALKED_VERSION) {
      produceWalker.prepare(apiVersion, reader.pos - prefixStart);
      this.walkThisFrame = true;
    }
    this.exchanges.requestStarted(requestHeader.correlationId, apiKey, apiVersion, frameSize,
      expectsResponse(apiKey, apiVersion, reader));
  }

  /** Steps over a legacy SASL token (see sasl.ts) instead of reading it as a request. */
  private isRawSaslToken(headerVersion: i16): bool {
    const sasl = this.exchanges.sasl;
    if (sasl.rawRequestsLeft == 0) return false;
    if (sasl.unboundedTokens && headerVersion >= 0) {
      sasl.realRequestSeen();
      return false;
    }
    sasl.takeRawRequest();
    this.exchanges.metrics.count(FilterStat.SaslTokens);
    return true;
  }

  /** Once per connection at most: clients send ApiVersions first, and usually once. */
  private noteClientSoftware(apiVersion: i16, frameSize: i32, prefixLength: i32): void {
    if (this.clientSoftwareNoted || frameSize > prefixLength) return;
    const bodyStart = reader.pos;
    if (apiVersionsRequest.decode(reader, apiVersion)) {
      this.clientSoftwareNoted = true;
      this.exchanges.metrics.clientSoftwareSeen(apiVersionsRequest.clientSoftwareName, apiVersionsRequest.clientSoftwareVersion);
    }
    reader.pos = bodyStart;
  }

  onFrameEnd(frameSize: i32): void {
    this.exchanges.requestCompleted();
  }
}

/** Counts the error codes of one decoded response under its API. */
class ErrorCounter extends ErrorCodeSink {
  apiKey: i32 = 0;
  constructor(private readonly metrics: KafkaMetrics) { super(); }

  errorCode(code: i16): void {
    if (code != 0) this.metrics.countError(this.apiKey, code);
  }
}

class ResponseFrames extends FrameHandler {
  private readonly errors: ErrorCounter;
  /** Where the current response's request sits in the pending queue, found once per frame; -1: nowhere. */
  private requestPosition: i32 = -1;
  /**
   * Streams every Fetch response, whatever its size, for per-topic stats and its error
   * codes; Fetch responses are never collected whole. Null when neither is wanted.
   */
  private readonly fetchWalker: FetchResponseWalker | null;
  private walkThisFrame: bool = false;

  constructor(private readonly exchanges: Exchanges, private readonly inspectLimit: i32) {
    super();
    const metrics = exchanges.metrics;
    this.errors = new ErrorCounter(metrics);
    this.fetchWalker = metrics.topics.enabled || inspectLimit > 0 ? new FetchResponseWalker(new MetricsWalkSink(metrics)) : null;
  }

  walkerFor(frameSize: i32): FrameWalker | null {
    if (!this.walkThisFrame) return null;
    this.walkThisFrame = false;
    return this.fetchWalker;
  }

  /**
   * The scanner asks this once per frame, before onFrameStart: finds the request the
   * response answers, and wants the whole frame when it answers a known request and is
   * small enough to decode; else the head.
   */
  prefixWanted(frameSize: i32, frame: ArrayBuffer, prefixStart: i32, prefixEnd: i32): i32 {
    this.requestPosition = -1;
    if (this.exchanges.sasl.rawResponsesLeft != 0) return 0;
    // Only the correlation id identifies the request, and it leads every header version.
    reader.reset(frame, prefixStart, prefixEnd);
    const correlationId = reader.readInt32();
    if (!reader.ok) return 0;
    const pending = this.exchanges.pending;
    const position = pending.positionOf(correlationId);
    this.requestPosition = position;
    if (position < 0 || frameSize > this.inspectLimit) return 0;
    const apiKey = pending.at(position).apiKey;
    if (apiKey == UNTRACKED_API || (apiKey == FETCH && this.fetchWalker != null)) return 0;
    return frameSize;
  }

  onFrameStart(frameSize: i32, frame: ArrayBuffer, prefixStart: i32, prefixEnd: i32): void {
    const exchanges = this.exchanges;
    this.walkThisFrame = false;
    if (exchanges.sasl.takeRawResponse()) {
      exchanges.metrics.count(FilterStat.SaslTokens);
      return;
    }
    const request = exchanges.responseStarted(this.requestPosition, frameSize);
    if (request == null || request.apiKey == UNTRACKED_API) return;
    const apiKey = request.apiKey;
    const apiVersion = request.apiVersion;
    if (apiKey == SASL_HANDSHAKE && apiVersion == 0) {
      // SaslHandshake responses use header v0, so the error code follows the correlation id.
      reader.reset(frame, prefixStart + 4, prefixEnd);
      const errorCode = reader.readInt16();
      exchanges.sasl.handshakeAnswered(reader.ok ? errorCode : -1);
    }
    const fetchWalker = this.fetchWalker;
    if (apiKey == FETCH && fetchWalker != null && apiVersion <= FETCH_MAX_WALKED_VERSION) {
      fetchWalker.prepare(apiVersion, this.inspectLimit > 0);
      this.walkThisFrame = true;
      return;
    }
    if (prefixEnd - prefixStart < frameSize) {
      exchanges.metrics.count(FilterStat.ResponsesNotInspected);
      return;
    }
    this.countErrorCodes(apiKey, apiVersion, frame, prefixStart, prefixEnd);
  }

  private countErrorCodes(apiKey: i16, apiVersion: i16, frame: ArrayBuffer, start: i32, end: i32): void {
    reader.reset(frame, start, end);
    const message = responseHeader.decode(reader, responseHeaderVersion(apiKey, apiVersion))
      ? decodeResponseBody(apiKey, apiVersion, reader)
      : null;
    if (message == null) {
      this.exchanges.metrics.count(FilterStat.ResponseBodyErrors);
      return;
    }
    this.errors.apiKey = apiKey;
    message.collectErrorCodes(this.errors);
    const topics = this.exchanges.metrics.topics;
    if (topics.enabled) learnTopicIds(topics.topicNames, apiKey, apiVersion, message);
  }

  onFrameEnd(frameSize: i32): void {}
}

/** Feeds the topic-id table from responses that name topics both ways, for Produce and Fetch v13+. */
function learnTopicIds(names: TopicNames, apiKey: i16, apiVersion: i16, message: Message): void {
  if (apiKey == METADATA && apiVersion >= FIRST_METADATA_WITH_TOPIC_IDS) {
    const topics = changetype<MetadataResponse>(message).topics;
    for (let i = 0; i < topics.length; i++) {
      const topic = unchecked(topics[i]);
      const name = topic.name;
      if (name != null && topic.errorCode == 0) names.learn(topic.topicId.hi, topic.topicId.lo, name);
    }
  } else if (apiKey == DESCRIBE_TOPIC_PARTITIONS) {
    const topics = changetype<DescribeTopicPartitionsResponse>(message).topics;
    for (let i = 0; i < topics.length; i++) {
      const topic = unchecked(topics[i]);
      const name = topic.name;
      if (name != null && topic.errorCode == 0) names.learn(topic.topicId.hi, topic.topicId.lo, name);
    }
  }
}

export class KafkaConnection extends ConnectionContext {
  private readonly metrics: KafkaMetrics;
  private readonly exchanges: Exchanges;
  private readonly requests: FrameScanner;
  private readonly responses: FrameScanner;
  private closedByFilter: bool = false;
  private opened: bool = false;

  constructor(contextId: u32, root: RootContext, config: FilterConfig, metrics: KafkaMetrics) {
    super(contextId, root);
    this.metrics = metrics;
    const exchanges = new Exchanges(metrics, config.maxInFlightRequests);
    this.exchanges = exchanges;
    this.requests = new FrameScanner(config.maxFrameBytes, REQUEST_PREFIX_BYTES, new RequestFrames(exchanges));
    this.responses = new FrameScanner(config.maxFrameBytes, RESPONSE_HEAD_BYTES,
      new ResponseFrames(exchanges, config.maxInspectedResponseBytes), max(config.maxInspectedResponseBytes, RESPONSE_HEAD_BYTES));
  }

  onNewConnection(): FilterStatus {
    this.opened = true;
    this.metrics.connectionOpened();
    return FilterStatus.Continue;
  }

  onDownstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    if (this.closedByFilter) return FilterStatus.StopIteration;
    this.requests.feed(downstreamBuffer, dataSize);
    this.metrics.noteMemory();
    return this.checkStream(this.requests, "request");
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    if (this.closedByFilter) return FilterStatus.StopIteration;
    this.responses.feed(upstreamBuffer, dataSize);
    this.metrics.noteMemory();
    return this.checkStream(this.responses, "response");
  }

  onDelete(): void {
    if (!this.closedByFilter) {
      if (this.requests.midFrame) this.metrics.count(FilterStat.ClosedMidRequest);
      if (this.responses.midFrame) this.metrics.count(FilterStat.ClosedMidResponse);
    }
    this.exchanges.forgetAll();
    if (this.opened) this.metrics.connectionClosed();
    this.opened = false;
  }

  /** A stream that broke framing cannot be followed any further: close it rather than guess. */
  private checkStream(scanner: FrameScanner, direction: string): FilterStatus {
    if (scanner.error == FramingError.None) return FilterStatus.Continue;
    this.closedByFilter = true;
    this.metrics.count(FilterStat.FramingErrors);
    this.metrics.count(FilterStat.ConnectionsClosed);
    log(LogLevel.Warn, "kafka filter: closing connection: " + direction + " stream is not Kafka framing (" +
      framingErrorName(scanner.error) + ", size field " + scanner.errorSize.toString() + ")");
    closeDownstream();
    return FilterStatus.StopIteration;
  }
}

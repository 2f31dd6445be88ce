// One proxied Kafka connection: frames in both directions, headers decoded with
// the codec, responses matched to requests, stats counted.
//
// Without ACLs the filter only observes: it returns Continue and Envoy forwards every
// byte as it arrives, then drains its buffer, so a callback's buffer holds exactly
// the bytes not seen before (see README, "How Envoy hands data to the filter"). With
// ACLs, frames the enforcer must decide or edit are held (StopIteration) until
// complete, and rewritten in Envoy's buffer (held-stream.ts, acl/enforcer.ts). With
// broker_addresses, responses that carry broker addresses are held and edited too
// (editing/response-editor.ts), and the node endpoints at the end of a streamed Fetch
// response are edited in place (rewrite/fetch-tail.ts).
import { DecodeError, Reader } from "./codec/reader";
import { RequestHeader, ResponseHeader } from "./codec/header";
import { API_VERSIONS, CONSUMER_GROUP_HEARTBEAT, DESCRIBE_TOPIC_PARTITIONS, FETCH, HEARTBEAT, JOIN_GROUP, LEAVE_GROUP, METADATA, OFFSET_COMMIT, OFFSET_FETCH, PRODUCE, SASL_HANDSHAKE, SYNC_GROUP, apiName, requestHeaderVersion, responseHeaderVersion } from "./codec/generated/apis";
import { collectResponseErrorCodes, decodeResponseBody } from "./codec/generated/index";
import { ApiVersionsRequest } from "./codec/generated/ApiVersionsRequest";
import { SaslHandshakeRequest } from "./codec/generated/SaslHandshakeRequest";
import { FrameHandler, FrameScanner, FrameWalker, FramingError, framingErrorName } from "./framing";
import { HeldStream, memoryNearLimit } from "./held-stream";
import { AclEnforcer, PendingEnforcement } from "./acl/enforcer";
import { FrameDecision, FrameEdit } from "./editing/frame-edit";
import { ResponseEditor } from "./editing/response-editor";
import { FetchTailEdit } from "./editing/fetch-tail-edit";
import { PRODUCE_MAX_WALKED_VERSION, ProduceRequestWalker } from "./walkers/produce";
import { FETCH_MAX_WALKED_VERSION, FetchResponseWalker } from "./walkers/fetch";
import { learnTopicIds } from "./topics";
import { FETCH_REQUEST_MAX_WALKED_VERSION, FETCH_REQUEST_MIN_WALKED_VERSION, FetchRequestWalker } from "./walkers/fetch-request";
import { ConnectionLag } from "./lag/consumer-lag";
import { PendingRequest } from "./correlation";
import { ApiStat, FilterStat, KafkaMetrics, isTrackedApi } from "./metrics";
import { expectsResponse } from "./requests";
import { Exchanges, UNTRACKED_API, isSaslRequest } from "./exchanges";
import { ErrorCounter, LagRequestSink, MetricsWalkSink, WalkedErrorCodes } from "./stats-sinks";
import { FilterConfig } from "./config/filter-config";
import { ConnectionContext, RootContext } from "./proxy/context";
import { BufferType, FilterStatus, LogLevel, closeDownstream, log, nowNanoseconds } from "./proxy/host";

// Enough for the request header of any real client (client ids are short) and the
// first body fields the filter reads; a longer header is still matched by its fixed fields.
const REQUEST_PREFIX_BYTES: i32 = 512;
// A response's head: the correlation id (plus tagged fields in v1); the SaslHandshake
// v0 error code right after it decides whether raw tokens follow. Responses up to
// max_inspected_response_bytes are then collected whole to read their error codes.
const RESPONSE_HEAD_BYTES: i32 = 8;
const SIZE_FIELD_BYTES: i64 = 4;

// Contexts of one VM run on one thread, one callback at a time: frames are decoded
// with these shared instances so that no allocation happens per frame.
const reader = new Reader();
const requestHeader = new RequestHeader();
const responseHeader = new ResponseHeader();
const apiVersionsRequest = new ApiVersionsRequest();
const saslHandshakeRequest = new SaslHandshakeRequest();
/** Metadata v10 added topic ids. */
const FIRST_METADATA_WITH_TOPIC_IDS: i16 = 10;
/** ApiVersions v3 added ClientSoftwareName and ClientSoftwareVersion. */
const FIRST_API_VERSIONS_WITH_CLIENT_SOFTWARE: i16 = 3;

/**
 * Carries out, for either direction's frame handler, what the ACL enforcer or the
 * response editor decided about the current frame: replace it in Envoy's buffer, or
 * stop the stream.
 */
class FrameActions {
  /** Set when the filter must close the connection; the reason is logged once. */
  closeReason: string | null = null;
  /** Whether the close is ACL enforcement failing closed (else address rewriting or Envoy). */
  closedByAcl: bool = true;
  scanner: FrameScanner | null = null;

  constructor(readonly stream: HeldStream) {}

  apply(decision: FrameDecision, edit: FrameEdit, frameSize: i32): void {
    if (decision == FrameDecision.Forward) return;
    if (decision == FrameDecision.Replace) {
      if (this.stream.replaceFrame(<u32>frameSize + <u32>SIZE_FIELD_BYTES, edit.replacement)) return;
      this.stop("Envoy refused to rewrite a frame", edit.closedByAcl);
      return;
    }
    this.stop(edit.closeReason, edit.closedByAcl);
  }

  stop(reason: string, byAcl: bool = true): void {
    if (this.closeReason == null) {
      this.closeReason = reason;
      this.closedByAcl = byAcl;
    }
    const scanner = this.scanner;
    if (scanner != null) scanner.halt();
  }
}

/** OffsetFetch v8 moved GroupId into a Groups array. */
const LAST_OFFSET_FETCH_WITH_GROUP_ID: i16 = 7;

/** Requests a group member sends to its coordinator whose body starts with its GroupId. */
function namesGroupMember(apiKey: i16, apiVersion: i16): bool {
  return apiKey == JOIN_GROUP || apiKey == SYNC_GROUP || apiKey == HEARTBEAT || apiKey == OFFSET_COMMIT || apiKey == LEAVE_GROUP ||
    apiKey == CONSUMER_GROUP_HEARTBEAT || (apiKey == OFFSET_FETCH && apiVersion <= LAST_OFFSET_FETCH_WITH_GROUP_ID);
}

class RequestFrames extends FrameHandler {
  private clientSoftwareNoted: bool = false;
  /** The current request is collected whole (ACLs decide it) rather than by its head. */
  private heldWhole: bool = false;
  /** ACLs allowed the current request on its head: it streams through like any unheld frame. */
  private decidedOnHead: bool = false;
  /** Streams Produce requests for per-topic stats; null when those are off. */
  private readonly produceWalker: ProduceRequestWalker | null;
  /** Streams consumers' Fetch requests for consumer lag; null without consumer_lag. */
  private readonly fetchWalker: FetchRequestWalker | null;
  private walkThisFrame: bool = false;
  private walker: FrameWalker | null = null;

  constructor(
    private readonly exchanges: Exchanges,
    private readonly acl: AclEnforcer | null,
    private readonly actions: FrameActions,
    private readonly maxHeldFrameBytes: i32,
    /** Broker addresses are rewritten: a request whose response the filter could not read must not pass. */
    private readonly rewriting: bool,
  ) {
    super();
    const metrics = exchanges.metrics;
    this.produceWalker = metrics.topics.enabled ? new ProduceRequestWalker(new MetricsWalkSink(metrics, exchanges)) : null;
    this.fetchWalker = metrics.lag != null && metrics.topics.enabled
      ? new FetchRequestWalker(new LagRequestSink(metrics.topics, exchanges, metrics)) : null;
  }

  /**
   * With ACLs, a request is decided whole, unless its head already decides it (a
   * single-topic Produce that is allowed: AclEnforcer.forwardsOnHead); without, its
   * head is enough.
   */
  prefixWanted(frameSize: i32, frame: ArrayBuffer, prefixStart: i32, prefixEnd: i32): i32 {
    const acl = this.acl;
    this.decidedOnHead = acl != null && frameSize > prefixEnd - prefixStart && !this.exchanges.saslUnanswered &&
      acl.forwardsOnHead(frame, prefixStart, prefixEnd);
    this.heldWhole = acl != null && !this.decidedOnHead && frameSize <= this.maxHeldFrameBytes && !memoryNearLimit();
    return this.heldWhole ? frameSize : prefixEnd - prefixStart;
  }

  /** With ACLs, a request frame is held in Envoy's buffer from its first byte until it is decided. */
  get holdsPartialFrames(): bool {
    return this.acl != null;
  }

  /** Held until its head is in, then until complete when it is decided whole. */
  holdsCurrentFrame(decided: bool): bool {
    return !decided || this.heldWhole;
  }

  walkerFor(frameSize: i32): FrameWalker | null {
    if (!this.walkThisFrame) return null;
    this.walkThisFrame = false;
    return this.walker;
  }

  onFrameStart(frameSize: i32, frame: ArrayBuffer, prefixStart: i32, prefixEnd: i32): void {
    this.walkThisFrame = false;
    let acl = this.acl;
    if (acl != null && !this.heldWhole && !this.decidedOnHead) {
      const reason = frameSize > this.maxHeldFrameBytes
        ? "a request of " + frameSize.toString() + " bytes exceeds max_held_frame_bytes (" +
          this.maxHeldFrameBytes.toString() + "), and ACLs decide requests whole"
        : "Wasm memory is near its limit: cannot hold a request to decide it";
      if (!acl.authorizer.dryRun) {
        this.actions.stop(reason);
        return;
      }
      log(LogLevel.Warn, "kafka filter: dry run: would close the connection: " + reason);
      acl = null;
    }
    reader.reset(frame, prefixStart, prefixEnd);
    // The key and version lead every header version; they decide which version this one is.
    const apiKey = reader.readInt16();
    const apiVersion = reader.readInt16();
    const headerVersion = requestHeaderVersion(apiKey, apiVersion);
    reader.reset(frame, prefixStart, prefixEnd);
    if (this.rewriting && headerVersion < 0 && apiKey != API_VERSIONS && this.exchanges.sasl.rawRequestsLeft == 0) {
      // Clients learn the versions the filter reads from the capped ApiVersions answer;
      // anything else could carry broker addresses the filter cannot find.
      this.actions.stop("a request the filter cannot read (api_key " + apiKey.toString() + ", version " +
        apiVersion.toString() + "): its response could carry broker addresses", false);
      return;
    }
    if (this.isRawSaslToken(headerVersion)) {
      if (acl != null) acl.rawClientToken(frame, prefixStart, prefixEnd);
      return;
    }
    if (acl != null && !isSaslRequest(apiKey) && this.exchanges.saslUnanswered) {
      const reason = acl.pipelinedBehindSasl(apiKey);
      if (reason != null) {
        this.actions.stop(reason);
        return;
      }
    }
    const slot = this.observe(apiKey, apiVersion, headerVersion, frameSize, frame, prefixStart, prefixEnd);
    if (acl == null || this.decidedOnHead) return;
    const decision = acl.request(frame, prefixStart, prefixEnd);
    if (slot != null) slot.attachment = acl.pending;
    // Per-topic stats count what reaches the broker as sent; a rewritten or denied request is not walked.
    if (decision != FrameDecision.Forward) this.walkThisFrame = false;
    this.actions.apply(decision, acl, frameSize);
  }

  /** Counts the request and queues it for its response; returns its queue slot, if any. */
  private observe(apiKey: i16, apiVersion: i16, headerVersion: i16, frameSize: i32, frame: ArrayBuffer,
    prefixStart: i32, prefixEnd: i32): PendingRequest | null {
    const metrics = this.exchanges.metrics;
    if (headerVersion < 0) {
      // Still track it by the fixed fields, so that its response is not counted as unmatched.
      metrics.count(FilterStat.UnknownApiRequests);
      if (requestHeader.decode(reader, 0)) {
        return this.exchanges.requestStarted(requestHeader.correlationId, apiKey, apiVersion, frameSize, true);
      }
      return null;
    }
    if (!requestHeader.decode(reader, headerVersion)) {
      // A header longer than the copied prefix is cut by us, not malformed.
      const cutByPrefix = reader.errorCode == DecodeError.Truncated && frameSize > prefixEnd - prefixStart;
      if (!cutByPrefix) {
        metrics.count(FilterStat.RequestHeaderErrors);
        return null;
      }
      return this.exchanges.requestStarted(requestHeader.correlationId, apiKey, apiVersion, frameSize, true);
    }
    if (this.exchanges.clientIdLabel < 0 && metrics.insight.throttle) this.noteClientId();
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
      this.walker = produceWalker;
      this.walkThisFrame = true;
    }
    const lagTable = metrics.lag;
    if (lagTable != null) {
      const fetchWalker = this.fetchWalker;
      if (apiKey == FETCH && fetchWalker != null && apiVersion >= FETCH_REQUEST_MIN_WALKED_VERSION &&
          apiVersion <= FETCH_REQUEST_MAX_WALKED_VERSION) {
        this.startLag();
        fetchWalker.prepare(apiVersion, reader.pos - prefixStart);
        this.walker = fetchWalker;
        this.walkThisFrame = true;
      } else if (namesGroupMember(apiKey, apiVersion)) {
        this.learnGroupMember(headerVersion >= 2);
      }
    }
    return this.exchanges.requestStarted(requestHeader.correlationId, apiKey, apiVersion, frameSize,
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

  /** A consumer's first Fetch request gives its connection a lag table, and its client id. */
  private startLag(): void {
    const exchanges = this.exchanges;
    let lag = exchanges.lag;
    if (lag != null) return;
    const table = exchanges.metrics.lag;
    if (table == null) return;
    lag = new ConnectionLag(table);
    exchanges.lag = lag;
    const buffer = requestHeader.clientIdBuffer;
    if (buffer != null) lag.noteClientId(changetype<usize>(buffer) + <usize>requestHeader.clientIdOffset, requestHeader.clientIdLength);
  }

  /** A group membership request ties its client id to its group (GroupId is the body's first field). */
  private learnGroupMember(flexible: bool): void {
    const table = this.exchanges.metrics.lag;
    const buffer = requestHeader.clientIdBuffer;
    if (table == null || buffer == null) return;
    const bodyStart = reader.pos;
    const offset = reader.readStringView(flexible, false);
    if (reader.ok) {
      table.learnMember(changetype<usize>(buffer) + <usize>requestHeader.clientIdOffset, requestHeader.clientIdLength,
        changetype<usize>(reader.buffer) + <usize>offset, reader.lastLength);
    }
    reader.pos = bodyStart;
  }

  /** The client id of the connection's first request labels its throttling stats; clients keep one per connection. */
  private noteClientId(): void {
    const buffer = requestHeader.clientIdBuffer;
    const length = buffer == null ? -1 : requestHeader.clientIdLength;
    const data: usize = buffer == null ? 0 : changetype<usize>(buffer) + <usize>requestHeader.clientIdOffset;
    this.exchanges.clientIdLabel = this.exchanges.metrics.clientIds.labelOfBytes(data, length);
  }

  /** Once per connection at most: clients send ApiVersions first, and usually once. */
  private noteClientSoftware(apiVersion: i16, frameSize: i32, prefixLength: i32): void {
    if (this.clientSoftwareNoted || frameSize > prefixLength) return;
    const bodyStart = reader.pos;
    if (apiVersionsRequest.decode(reader, apiVersion)) {
      this.clientSoftwareNoted = true;
      this.exchanges.clientSoftwareLabel =
        this.exchanges.metrics.clientSoftwareSeen(apiVersionsRequest.clientSoftwareName, apiVersionsRequest.clientSoftwareVersion);
    }
    reader.pos = bodyStart;
  }

  onFrameEnd(frameSize: i32): void {
    this.exchanges.requestCompleted();
  }
}

class ResponseFrames extends FrameHandler {
  private readonly errors: ErrorCounter;
  private readonly walkedErrors: WalkedErrorCodes = new WalkedErrorCodes();
  /** Where the current response's request sits in the pending queue, found once per frame; -1: nowhere. */
  private requestPosition: i32 = -1;
  /** The current response must reach the response editor whole before any of it may pass. */
  private heldForEnforcer: bool = false;
  private readonly acl: AclEnforcer | null;
  /** Edits the node endpoints at the end of streamed Fetch responses; null without rewriting. */
  private readonly fetchTail: FetchTailEdit | null;
  /**
   * Streams every Fetch response, whatever its size, for per-topic stats and its error
   * codes; Fetch responses are only collected whole when the ACL enforcer must edit one.
   * Null when neither is wanted.
   */
  private readonly fetchWalker: FetchResponseWalker | null;
  private readonly fetchSink: MetricsWalkSink;
  private walkThisFrame: bool = false;

  constructor(
    private readonly exchanges: Exchanges,
    private readonly inspectLimit: i32,
    private readonly editor: ResponseEditor | null,
    private readonly actions: FrameActions,
    private readonly maxHeldFrameBytes: i32,
  ) {
    super();
    const metrics = exchanges.metrics;
    this.errors = new ErrorCounter(metrics, exchanges);
    this.acl = editor != null ? editor.acl : null;
    const rewriting = editor != null && editor.rewriter != null;
    const fetchSink = new MetricsWalkSink(metrics, exchanges);
    this.fetchSink = fetchSink;
    const fetchWalker = metrics.topics.enabled || inspectLimit > 0 || rewriting || metrics.insight.throttle
      ? new FetchResponseWalker(fetchSink) : null;
    this.fetchWalker = fetchWalker;
    this.fetchTail = rewriting && fetchWalker != null
      ? new FetchTailEdit(changetype<ResponseEditor>(editor), fetchWalker, maxHeldFrameBytes) : null;
  }

  walkerFor(frameSize: i32): FrameWalker | null {
    if (!this.walkThisFrame) return null;
    this.walkThisFrame = false;
    return this.fetchWalker;
  }

  /**
   * The scanner asks this once per frame, before onFrameStart: finds the request the
   * response answers, and wants the whole frame when it answers a known request and is
   * small enough to decode, or when the ACL enforcer must edit or read it; else the head.
   */
  prefixWanted(frameSize: i32, frame: ArrayBuffer, prefixStart: i32, prefixEnd: i32): i32 {
    this.requestPosition = -1;
    this.heldForEnforcer = false;
    const fetchTail = this.fetchTail;
    if (fetchTail != null) fetchTail.active = false;
    if (this.exchanges.sasl.rawResponsesLeft != 0) return 0;
    // Only the correlation id identifies the request, and it leads every header version.
    reader.reset(frame, prefixStart, prefixEnd);
    const correlationId = reader.readInt32();
    if (!reader.ok) return 0;
    const pending = this.exchanges.pending;
    const position = pending.positionOf(correlationId);
    this.requestPosition = position;
    if (position < 0) return 0;
    const request = pending.at(position);
    const apiKey = request.apiKey;
    if (apiKey == UNTRACKED_API) return 0;
    const editor = this.editor;
    if (editor != null && editor.holdsResponse(apiKey, request.apiVersion, enforcementOf(request))) {
      // Too large to hold: onFrameStart says whether that is fatal.
      this.heldForEnforcer = frameSize <= this.maxHeldFrameBytes && !memoryNearLimit();
      if (this.heldForEnforcer) return frameSize;
    }
    if (frameSize > this.inspectLimit || (apiKey == FETCH && this.fetchWalker != null)) return 0;
    return frameSize;
  }

  /**
   * With ACLs or address rewriting, a response is held from its first byte until its
   * head shows whether the editor needs it; those it needs are held until complete, and
   * a streamed Fetch response whose node endpoints it edits is held from the start of
   * its top-level tagged fields (the last bytes of the frame) to its end.
   */
  get holdsPartialFrames(): bool {
    return this.editor != null;
  }

  holdsCurrentFrame(decided: bool): bool {
    const fetchTail = this.fetchTail;
    return !decided || this.heldForEnforcer || (fetchTail != null && fetchTail.holding);
  }

  /**
   * After each read: a streamed Fetch response whose walk failed before reaching its
   * tagged fields cannot have its node endpoints found, so it must not pass further.
   */
  checkTailWalk(): void {
    const fetchTail = this.fetchTail;
    if (fetchTail != null) this.actions.apply(fetchTail.lost(), changetype<ResponseEditor>(this.editor), 0);
  }

  onFrameStart(frameSize: i32, frame: ArrayBuffer, prefixStart: i32, prefixEnd: i32): void {
    const exchanges = this.exchanges;
    const acl = this.acl;
    this.walkThisFrame = false;
    if (exchanges.sasl.takeRawResponse()) {
      exchanges.metrics.count(FilterStat.SaslTokens);
      if (acl != null) acl.rawServerToken();
      return;
    }
    const position = this.requestPosition;
    // Read before responseStarted, which frees the request's slot (and its attachment).
    const enforcement = position >= 0 ? enforcementOf(exchanges.pending.at(position)) : null;
    const request = exchanges.responseStarted(position, frameSize);
    if (request == null || request.apiKey == UNTRACKED_API) return;
    const apiKey = request.apiKey;
    const apiVersion = request.apiVersion;
    if (apiKey == SASL_HANDSHAKE && apiVersion == 0) {
      // SaslHandshake responses use header v0, so the error code follows the correlation id.
      reader.reset(frame, prefixStart + 4, prefixEnd);
      const errorCode = reader.readInt16();
      exchanges.sasl.handshakeAnswered(reader.ok ? errorCode : -1);
    }
    const editor = this.editor;
    const heldForEnforcer = editor != null && this.heldForEnforcer;
    if (heldForEnforcer) {
      // The editor decodes it anyway, and counts the error codes the client will see.
      this.errors.apiKey = apiKey;
      const held = changetype<ResponseEditor>(editor);
      this.actions.apply(held.edit(frame, prefixStart, prefixEnd, apiKey, apiVersion, enforcement, this.errors),
        held, frameSize);
    }
    const fetchWalker = this.fetchWalker;
    if (apiKey == FETCH && fetchWalker != null && apiVersion <= FETCH_MAX_WALKED_VERSION &&
      (enforcement == null || !enforcement.answeredByProbe)) {
      const fetchTail = this.fetchTail;
      const findTail = fetchTail != null && fetchTail.start(apiVersion, heldForEnforcer);
      fetchWalker.prepare(apiVersion, this.inspectLimit > 0 && !heldForEnforcer, findTail);
      // proxy_get_current_time_nanoseconds is Envoy's wall clock, as batch timestamps are.
      this.fetchSink.nowMs = exchanges.metrics.insight.recordAge || exchanges.lag != null ? <i64>(nowNanoseconds() / 1000000) : 0;
      this.fetchSink.countThrottle = !heldForEnforcer;
      this.walkThisFrame = true;
      return;
    }
    if (heldForEnforcer) return;
    if (prefixEnd - prefixStart < frameSize) {
      exchanges.metrics.count(FilterStat.ResponsesNotInspected);
      if (this.acl != null && enforcement != null) {
        this.actions.stop("a " + apiName(apiKey) + " response of " + frameSize.toString() +
          " bytes that ACLs must edit cannot be held (max_held_frame_bytes " + this.maxHeldFrameBytes.toString() +
          ", or Wasm memory near its limit)");
      } else if (editor != null && editor.holdsResponse(apiKey, apiVersion, null)) {
        this.actions.stop("a " + apiName(apiKey) + " response of " + frameSize.toString() +
          " bytes that may carry broker addresses cannot be held (max_held_frame_bytes " +
          this.maxHeldFrameBytes.toString() + ", or Wasm memory near its limit)", false);
      }
      return;
    }
    this.countErrorCodes(apiKey, apiVersion, frame, prefixStart, prefixEnd);
  }

  private countErrorCodes(apiKey: i16, apiVersion: i16, frame: ArrayBuffer, start: i32, end: i32): void {
    const metrics = this.exchanges.metrics;
    reader.reset(frame, start, end);
    if (!responseHeader.decode(reader, responseHeaderVersion(apiKey, apiVersion))) {
      metrics.count(FilterStat.ResponseBodyErrors);
      return;
    }
    const topics = metrics.topics;
    if (topics.enabled && namesTopicIds(apiKey, apiVersion)) {
      // The topic-id table needs the names and ids, so this one is decoded whole.
      const message = decodeResponseBody(apiKey, apiVersion, reader);
      if (message == null) {
        metrics.count(FilterStat.ResponseBodyErrors);
        return;
      }
      this.errors.apiKey = apiKey;
      message.collectErrorCodes(this.errors);
      learnTopicIds(topics.topicNames, apiKey, message);
      return;
    }
    // Walked off the wire rather than decoded: counting needs only the codes.
    const walked = this.walkedErrors;
    walked.clear();
    if (!collectResponseErrorCodes(apiKey, apiVersion, reader, walked)) {
      walked.clear();
      metrics.count(FilterStat.ResponseBodyErrors);
      return;
    }
    walked.countAll(metrics, apiKey, this.exchanges.clientIdLabel);
  }

  onFrameEnd(frameSize: i32): void {
    this.heldForEnforcer = false;
    const fetchTail = this.fetchTail;
    if (fetchTail != null) this.actions.apply(fetchTail.frameEnded(this.actions.stream), changetype<ResponseEditor>(this.editor), 0);
  }
}

function enforcementOf(request: PendingRequest): PendingEnforcement | null {
  const attachment = request.attachment;
  return attachment == null ? null : changetype<PendingEnforcement>(attachment);
}

/** Whether learnTopicIds reads this response (so it must be decoded whole). */
function namesTopicIds(apiKey: i16, apiVersion: i16): bool {
  return (apiKey == METADATA && apiVersion >= FIRST_METADATA_WITH_TOPIC_IDS) || apiKey == DESCRIBE_TOPIC_PARTITIONS;
}

/**
 * One downstream connection's proxy-wasm context: wires the two FrameScanners, held
 * streams, exchanges (request ↔ response), ACL enforcer and response editor together.
 * Each data callback returns Continue, or StopIteration while a frame is held; a
 * framing error or a fail-closed decision closes the connection (Envoy close_stream).
 */
export class KafkaConnection extends ConnectionContext {
  private readonly metrics: KafkaMetrics;
  private readonly exchanges: Exchanges;
  private readonly requests: FrameScanner;
  private readonly responses: FrameScanner;
  private readonly requestStream: HeldStream;
  private readonly responseStream: HeldStream;
  private readonly requestActions: FrameActions;
  private readonly responseActions: FrameActions;
  private readonly requestFrames: RequestFrames;
  private readonly responseFrames: ResponseFrames;
  private closedByFilter: bool = false;
  private opened: bool = false;

  /** `acl` null without topic ACLs; `editor` null when neither ACLs nor broker_addresses edit responses. */
  constructor(contextId: u32, root: RootContext, config: FilterConfig, metrics: KafkaMetrics, private readonly acl: AclEnforcer | null,
    editor: ResponseEditor | null) {
    super(contextId, root);
    this.metrics = metrics;
    const exchanges = new Exchanges(metrics, config.maxInFlightRequests);
    this.exchanges = exchanges;
    const held = config.maxHeldFrameBytes;
    const requestStream = new HeldStream(BufferType.DownstreamData);
    const responseStream = new HeldStream(BufferType.UpstreamData);
    this.requestStream = requestStream;
    this.responseStream = responseStream;
    const requestActions = new FrameActions(requestStream);
    const responseActions = new FrameActions(responseStream);
    this.requestActions = requestActions;
    this.responseActions = responseActions;
    const requestFrames = new RequestFrames(exchanges, acl, requestActions, held, editor != null && editor.rewriter != null);
    const responseFrames = new ResponseFrames(exchanges, config.maxInspectedResponseBytes, editor, responseActions, held);
    this.requestFrames = requestFrames;
    this.responseFrames = responseFrames;
    const requestPrefixLimit = acl != null ? max(held, REQUEST_PREFIX_BYTES) : REQUEST_PREFIX_BYTES;
    let responsePrefixLimit = max(config.maxInspectedResponseBytes, RESPONSE_HEAD_BYTES);
    if (editor != null) responsePrefixLimit = max(responsePrefixLimit, held);
    const requests = new FrameScanner(config.maxFrameBytes, REQUEST_PREFIX_BYTES, requestFrames, requestPrefixLimit);
    const responses = new FrameScanner(config.maxFrameBytes, RESPONSE_HEAD_BYTES, responseFrames, responsePrefixLimit);
    this.requests = requests;
    this.responses = responses;
    requestActions.scanner = requests;
    responseActions.scanner = responses;
  }

  /** Envoy accepted the socket (before any TLS handshake ends): counts the connection. */
  onNewConnection(): FilterStatus {
    this.opened = true;
    this.metrics.connectionOpened();
    return FilterStatus.Continue;
  }

  /** `dataSize` bytes are buffered from the client (held bytes included); scans the new ones as requests. */
  onDownstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    if (this.closedByFilter) return FilterStatus.StopIteration;
    // Not at onNewConnection: on a TLS listener the handshake has not ended then.
    const acl = this.acl;
    if (acl != null) acl.learnConnection();
    const stream = this.requestStream;
    const scanner = this.requests;
    scanner.feed(stream, stream.begin(dataSize));
    this.metrics.noteMemory();
    const frames = this.requestFrames;
    const hold = frames.holdsPartialFrames && scanner.midFrame && frames.holdsCurrentFrame(scanner.frameDecided);
    return this.finish(stream, dataSize, hold, scanner, this.requestActions, "request");
  }

  /** `dataSize` bytes are buffered from the broker (held bytes included); scans the new ones as responses. */
  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    if (this.closedByFilter) return FilterStatus.StopIteration;
    const stream = this.responseStream;
    const scanner = this.responses;
    scanner.feed(stream, stream.begin(dataSize));
    this.metrics.noteMemory();
    const frames = this.responseFrames;
    frames.checkTailWalk();
    const hold = frames.holdsPartialFrames && scanner.midFrame && frames.holdsCurrentFrame(scanner.frameDecided);
    return this.finish(stream, dataSize, hold, scanner, this.responseActions, "response");
  }

  /**
   * The context is gone: counts a close mid-frame (unless the filter closed it), forgets pending requests, counts
   * the close.
   */
  onDelete(): void {
    if (!this.closedByFilter) {
      if (this.requests.midFrame) this.metrics.count(FilterStat.ClosedMidRequest);
      if (this.responses.midFrame) this.metrics.count(FilterStat.ClosedMidResponse);
    }
    this.exchanges.forgetAll();
    if (this.opened) this.metrics.connectionClosed();
    this.opened = false;
  }

  /**
   * Ends a data callback: forwards what Envoy buffered, or holds it while a frame the
   * filter must decide is incomplete, or closes the connection when the stream cannot
   * be followed (broken framing) or the ACL enforcer fails closed.
   */
  private finish(stream: HeldStream, dataSize: u32, hold: bool, scanner: FrameScanner, actions: FrameActions, direction: string): FilterStatus {
    if (scanner.error == FramingError.None) {
      stream.end(dataSize, hold);
      return hold ? FilterStatus.StopIteration : FilterStatus.Continue;
    }
    this.closedByFilter = true;
    this.metrics.count(FilterStat.ConnectionsClosed);
    const reason = actions.closeReason;
    if (scanner.error == FramingError.Halted && reason != null) {
      this.metrics.count(actions.closedByAcl ? FilterStat.AclConnectionsClosed : FilterStat.AddressRewriteConnectionsClosed);
      log(LogLevel.Warn, "kafka filter: closing connection: " + reason);
    } else {
      this.metrics.count(FilterStat.FramingErrors);
      log(LogLevel.Warn, "kafka filter: closing connection: " + direction + " stream is not Kafka framing (" +
        framingErrorName(scanner.error) + ", size field " + scanner.errorSize.toString() + ")");
    }
    closeDownstream();
    return FilterStatus.StopIteration;
  }
}

// Topic ACLs on one connection: decides each whole request frame and says how the
// frame, and later its response, must change on the wire.
//
// The connection holds every request frame until it is complete (see held-stream.ts),
// then asks `request()`: forward it, replace it, or close the connection. A request
// the policy partly denies is re-encoded without the denied entries; one that is
// wholly denied is swapped for an ApiVersions v0 probe with the same correlation id,
// so the broker never sees it yet still answers in order, and the probe's answer is
// later replaced by the synthesized response. Responses whose request left a merger
// (or a synthesized answer) are held whole and re-encoded by `response()`.
//
// Fail closed: a request the codec cannot read (unknown API key or version, a body
// that does not decode) or no gate knows closes the connection, counted and logged.
import { Reader } from "../codec/reader";
import { Writer } from "../codec/writer";
import { ErrorCodeSink, Message } from "../codec/message";
import { RequestHeader, ResponseHeader } from "../codec/header";
import { apiName, isSupportedVersion, requestHeaderVersion, responseHeaderVersion } from "../codec/generated/apis";
import { decodeRequestBody, decodeResponseBody } from "../codec/generated/index";
import { FetchRequest } from "../codec/generated/FetchRequest";
import { ApiVersionsResponse } from "../codec/generated/ApiVersionsResponse";
import { SaslAuthenticateRequest } from "../codec/generated/SaslAuthenticateRequest";
import { SaslAuthenticateResponse } from "../codec/generated/SaslAuthenticateResponse";
import { SaslHandshakeRequest } from "../codec/generated/SaslHandshakeRequest";
import { GateResult, ResponseMerger, Verdict } from "./model";
import { gateRequest } from "./gate";
import { capApiVersions } from "./api-versions";
import { TopicIds } from "./topic-ids";
import { TopicNames } from "../topics";
import { ConnectionAuthorizer } from "./authorizer";
import { PrincipalResolver, PropertySource, SaslPrincipalTracker } from "./principal";
import { RequestAttachment } from "../correlation";
import { LogLevel, log } from "../proxy/host";

export const enum FrameDecision {
  Forward = 0,
  /** Put `replacement` (a whole frame, or nothing) where the frame was. */
  Replace = 1,
  /** Fail closed: close the connection (`closeReason` says why). */
  Close = 2,
}

const FETCH: i16 = 1;
const SASL_HANDSHAKE: i16 = 17;
const API_VERSIONS: i16 = 18;
const SASL_AUTHENTICATE: i16 = 36;
const FIRST_FETCH_WITH_MAX_BYTES: i16 = 3;
/** Bytes an ApiVersions v0 probe needs: size field, key, version, correlation id, null client id. */
const PROBE_FRAME_BYTES: i32 = 14;
const EMPTY = new ArrayBuffer(0);

/** What the enforcer remembers of one forwarded request until its response. */
export class PendingEnforcement extends RequestAttachment {
  constructor(
    /** The request's API and version (the probe's response is answered as this API). */
    readonly apiKey: i16,
    readonly apiVersion: i16,
    readonly gate: GateResult | null,
  ) { super(); }
}

/** Counters the enforcer moves; the connection backs them with stats. */
export abstract class EnforcementStats {
  abstract requestRewritten(): void;
  abstract requestDenied(): void;
  abstract responseRewritten(): void;
}

export class AclEnforcer {
  /** The frame to put in place of the current one, after Replace. */
  replacement: ArrayBuffer = EMPTY;
  /** Why, after Close. */
  closeReason: string = "";

  private readonly reader: Reader = new Reader();
  private readonly writer: Writer = new Writer(1024);
  private readonly requestHeader: RequestHeader = new RequestHeader();
  private readonly responseHeader: ResponseHeader = new ResponseHeader();
  private readonly sasl: SaslPrincipalTracker = new SaslPrincipalTracker();

  constructor(
    readonly authorizer: ConnectionAuthorizer,
    private readonly principals: PrincipalResolver,
    private readonly properties: PropertySource,
    private readonly topicIds: TopicIds,
    /** The per-topic stats' id table, taught the same pairs; null when per-topic stats are off. */
    private readonly topicLabels: TopicNames | null,
    private readonly stats: EnforcementStats,
    /** Largest frame the filter holds whole; also caps the response size a rewritten Fetch may ask for. */
    private readonly maxHeldFrameBytes: i32,
  ) {}

  /**
   * Learns what Envoy knows of the connection (TLS peer certificate, peer address), once:
   * the first call reads the properties, later ones only test a flag. The connection calls
   * it at every downstream data callback, because onNewConnection runs before a TLS
   * handshake ends (no peer certificate yet) while by the first downstream data it has;
   * `request()` calls it too, so no decision is ever made on facts not read yet.
   */
  learnConnection(): void {
    const principals = this.principals;
    if (principals.connectionRead) return;
    principals.readConnection(this.properties);
    this.authorizer.principal = principals.principal;
    this.authorizer.sourceAddress = principals.sourceAddress;
  }

  /**
   * Decides a complete request frame, `frame[start, end)` (no size field). `awaitsResponse`
   * is false for requests the broker never answers (Produce with acks=0). On Forward or
   * Replace, `pending` is what the response will need (null: nothing).
   */
  request(frame: ArrayBuffer, start: i32, end: i32): FrameDecision {
    this.pending = null;
    this.learnConnection();
    const r = this.reader;
    r.reset(frame, start, end);
    const apiKey = r.readInt16();
    const apiVersion = r.readInt16();
    // A client newer than the codec opens with an ApiVersions the codec cannot read; the
    // broker answers it with UNSUPPORTED_VERSION in v0 form and the client retries lower.
    if (r.ok && apiKey == API_VERSIONS && !isSupportedVersion(apiKey, apiVersion)) return FrameDecision.Forward;
    if (!r.ok || !isSupportedVersion(apiKey, apiVersion)) {
      return this.failClosed("request for an API key or version the filter cannot read (api_key " +
        apiKey.toString() + ", version " + apiVersion.toString() + ")");
    }
    const headerVersion = requestHeaderVersion(apiKey, apiVersion);
    r.reset(frame, start, end);
    const header = this.requestHeader;
    if (!header.decode(r, headerVersion)) return this.failClosed("malformed " + apiName(apiKey) + " request header");
    if (this.principals.clientIdSeen(header.clientId())) this.authorizer.principal = this.principals.principal;
    const body = decodeRequestBody(apiKey, apiVersion, r);
    if (body == null) return this.failClosed("malformed " + apiName(apiKey) + " v" + apiVersion.toString() + " request body");
    this.watchSaslRequest(apiKey, body);

    this.authorizer.apiKey = apiKey;
    const gate = gateRequest(apiKey, apiVersion, body, this.authorizer);
    if (gate == null) return this.failClosed("no ACL rule covers " + apiName(apiKey));
    // A dry run made every check enforcement would (each denial is reported as would-be);
    // the request and its response pass untouched.
    if (this.authorizer.dryRun) return FrameDecision.Forward;
    if (gate.verdict == Verdict.Pass) {
      if (gate.merger != null) this.pending = new PendingEnforcement(apiKey, apiVersion, gate);
      return FrameDecision.Forward;
    }
    if (gate.verdict == Verdict.Rewrite) {
      const forwarded = gate.request;
      if (forwarded == null) return this.failClosed("the " + apiName(apiKey) + " gate rewrote the request to nothing");
      if (apiKey == FETCH) this.capFetchResponseSize(changetype<FetchRequest>(forwarded), apiVersion);
      const rewritten = this.requestFrame(headerVersion, forwarded, apiVersion);
      if (rewritten == null) return this.failClosed("could not re-encode the " + apiName(apiKey) + " request");
      this.pending = new PendingEnforcement(apiKey, apiVersion, gate);
      this.stats.requestRewritten();
      return this.replaceWith(rewritten);
    }
    // Denied whole: the broker must not see it, but must still answer in order.
    this.stats.requestDenied();
    if (gate.response == null) return this.replaceWith(EMPTY);
    this.pending = new PendingEnforcement(apiKey, apiVersion, gate);
    return this.replaceWith(this.probeFrame(header.correlationId));
  }

  /** What the last request() left for its response; the connection files it with the pending request. */
  pending: PendingEnforcement | null = null;

  /** True when a response to this request must be collected whole before it may pass. */
  holdsResponse(apiKey: i16, pending: PendingEnforcement | null): bool {
    return pending != null || apiKey == API_VERSIONS || apiKey == SASL_AUTHENTICATE || TopicIds.teaches(apiKey);
  }

  /** Decides a complete response frame (no size field) to a request with these facts. */
  response(frame: ArrayBuffer, start: i32, end: i32, apiKey: i16, apiVersion: i16, pending: PendingEnforcement | null,
    errors: ErrorCodeSink): FrameDecision {
    const headerVersion = responseHeaderVersion(apiKey, apiVersion);
    const r = this.reader;
    const header = this.responseHeader;
    if (pending != null && pending.gate != null && changetype<GateResult>(pending.gate).verdict == Verdict.Deny) {
      // The answer to our probe: replace it with the synthesized response.
      r.reset(frame, start, end);
      if (!header.decode(r, 0)) return this.failClosed("malformed response to a denied " + apiName(apiKey) + " request");
      header.taggedFieldsBuffer = null;
      header.taggedFieldsLength = 0;
      const answer = changetype<Message>(changetype<GateResult>(pending.gate).response);
      answer.collectErrorCodes(errors);
      const synthesized = this.responseFrame(headerVersion, answer, apiVersion);
      if (synthesized == null) return this.failClosed("could not encode the denial of a " + apiName(apiKey) + " request");
      this.stats.responseRewritten();
      return this.replaceWith(synthesized);
    }
    r.reset(frame, start, end);
    if (!header.decode(r, headerVersion)) return this.responseUnreadable(apiKey, pending);
    if (apiKey == API_VERSIONS && this.brokerRefusedVersion(frame, r.pos, end)) return FrameDecision.Forward;
    const body = decodeResponseBody(apiKey, apiVersion, r);
    if (body == null) return this.responseUnreadable(apiKey, pending);
    this.topicIds.learnFrom(apiKey, body, this.topicLabels);
    if (apiKey == SASL_AUTHENTICATE) {
      const username = this.sasl.serverAnswered(changetype<SaslAuthenticateResponse>(body).errorCode);
      if (username != null && this.principals.saslAuthenticated(username)) this.authorizer.principal = this.principals.principal;
    }
    let edited = false;
    if (apiKey == API_VERSIONS && !this.authorizer.dryRun) {
      edited = capApiVersions(changetype<ApiVersionsResponse>(body));
    }
    if (pending != null && pending.gate != null) {
      const merger = changetype<GateResult>(pending.gate).merger;
      if (merger != null) {
        this.authorizer.apiKey = apiKey;
        changetype<ResponseMerger>(merger).merge(body);
        edited = true;
      }
    }
    body.collectErrorCodes(errors);
    if (!edited) return FrameDecision.Forward;
    const merged = this.responseFrame(headerVersion, body, apiVersion);
    if (merged == null) return this.failClosed("could not re-encode the " + apiName(apiKey) + " response");
    this.stats.responseRewritten();
    return this.replaceWith(merged);
  }

  /** A raw SASL token frame after a SaslHandshake v0 (client side): may name the user. */
  rawClientToken(frame: ArrayBuffer, start: i32, end: i32): void {
    this.sasl.clientToken(changetype<usize>(frame) + <usize>start, end - start);
  }

  /** The broker answered a raw SASL token: with legacy SASL a failure closes the connection instead. */
  rawServerToken(): void {
    const username = this.sasl.serverAnswered(0);
    if (username != null && this.principals.saslAuthenticated(username)) this.authorizer.principal = this.principals.principal;
  }

  private watchSaslRequest(apiKey: i16, body: Message): void {
    if (apiKey == SASL_HANDSHAKE) {
      this.sasl.handshake(changetype<SaslHandshakeRequest>(body).mechanism);
    } else if (apiKey == SASL_AUTHENTICATE) {
      const token = changetype<SaslAuthenticateRequest>(body).authBytes;
      this.sasl.clientToken(changetype<usize>(token), token.byteLength);
    }
  }

  /**
   * A response the filter must edit but cannot read fails closed; one it only
   * watches (to learn topic ids or a SASL outcome) passes untouched.
   */
  private responseUnreadable(apiKey: i16, pending: PendingEnforcement | null): FrameDecision {
    if (pending == null && apiKey != API_VERSIONS) return FrameDecision.Forward;
    return this.failClosed("malformed " + apiName(apiKey) + " response");
  }

  /**
   * A broker that does not support the client's ApiVersions version answers in v0 form
   * with UNSUPPORTED_VERSION, and the client retries lower; that answer passes as is.
   */
  private brokerRefusedVersion(frame: ArrayBuffer, bodyStart: i32, end: i32): bool {
    if (end - bodyStart < 2) return false;
    const errorCode = bswap<i16>(load<i16>(changetype<usize>(frame) + <usize>bodyStart));
    return errorCode != 0;
  }

  /**
   * A rewritten Fetch's response is held whole to merge into, so it must fit the held
   * frame limit: ask the broker for at most half of it (one record batch may exceed
   * max_bytes, as Kafka returns at least one).
   */
  private capFetchResponseSize(fetch: FetchRequest, version: i16): void {
    if (version < FIRST_FETCH_WITH_MAX_BYTES) return;
    const cap = this.maxHeldFrameBytes / 2;
    if (fetch.maxBytes > cap) fetch.maxBytes = cap;
  }

  private requestFrame(headerVersion: i16, body: Message, version: i16): ArrayBuffer | null {
    const w = this.writer;
    w.reset();
    w.writeInt32(0);
    this.requestHeader.encode(w, headerVersion);
    body.encode(w, version);
    return this.finishFrame(w);
  }

  private responseFrame(headerVersion: i16, body: Message, version: i16): ArrayBuffer | null {
    const w = this.writer;
    w.reset();
    w.writeInt32(0);
    this.responseHeader.encode(w, headerVersion);
    body.encode(w, version);
    return this.finishFrame(w);
  }

  private finishFrame(w: Writer): ArrayBuffer | null {
    if (!w.ok || w.pos - 4 > this.maxHeldFrameBytes) return null;
    w.patchInt32(0, w.pos - 4);
    return w.toArrayBuffer();
  }

  /** ApiVersions v0 with a null client id: every broker answers it at once, whatever its state. */
  private probeFrame(correlationId: i32): ArrayBuffer {
    const w = this.writer;
    w.reset();
    w.writeInt32(PROBE_FRAME_BYTES - 4);
    w.writeInt16(API_VERSIONS);
    w.writeInt16(0);
    w.writeInt32(correlationId);
    w.writeInt16(-1);
    return w.toArrayBuffer();
  }

  private replaceWith(frame: ArrayBuffer): FrameDecision {
    this.replacement = frame;
    return FrameDecision.Replace;
  }

  private failClosed(reason: string): FrameDecision {
    if (this.authorizer.dryRun) {
      // A dry run never changes traffic: say what enforcement would do, and pass.
      log(LogLevel.Warn, "kafka filter: dry run: would close the connection: " + reason);
      return FrameDecision.Forward;
    }
    this.closeReason = reason;
    return FrameDecision.Close;
  }
}

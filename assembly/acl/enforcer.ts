// Topic ACLs on one connection: decides each whole request frame and says how the
// frame, and later its response, must change on the wire.
//
// The connection holds every request frame until it is complete (see held-stream.ts),
// then asks `request()`: forward it, replace it, or close the connection. A request
// the policy partly denies is re-encoded without the denied entries; one that is
// wholly denied is swapped for an ApiVersions v0 probe with the same correlation id,
// so the broker never sees it yet still answers in order, and the probe's answer is
// later replaced by the synthesized response. Responses whose request left a merger
// (or a synthesized answer) are held whole; the response editor
// (editing/response-editor.ts) decodes them once, asks `synthesizedAnswer()` and
// `responseDecoded()` what ACLs change, and re-encodes them once.
//
// Fail closed: a request the codec cannot read (unknown API key or version, a body
// that does not decode) or no gate knows closes the connection, counted and logged.
import { Reader } from "../codec/reader";
import { Writer } from "../codec/writer";
import { Message } from "../codec/message";
import { RequestHeader } from "../codec/header";
import { API_VERSIONS, FETCH, PRODUCE, SASL_AUTHENTICATE, SASL_HANDSHAKE, apiName, isSupportedVersion, requestHeaderVersion } from "../codec/generated/apis";
import { decodeRequestBody } from "../codec/generated/index";
import { FetchRequest } from "../codec/generated/FetchRequest";
import { SaslAuthenticateRequest } from "../codec/generated/SaslAuthenticateRequest";
import { SaslAuthenticateResponse } from "../codec/generated/SaslAuthenticateResponse";
import { SaslHandshakeRequest } from "../codec/generated/SaslHandshakeRequest";
import { GateResult, ResponseMerger, Verdict } from "./model";
import { gateRequest } from "./gate";
import { produceAllowedByHead } from "./gates/topic-produce";
import { TopicIds } from "./topic-ids";
import { TopicNames } from "../topics";
import { ConnectionAuthorizer } from "./authorizer";
import { PrincipalResolver, PropertySource, SaslPrincipalTracker } from "./principal";
import { RequestAttachment } from "../correlation";
import { LogLevel, log } from "../proxy/host";
import { jsonString } from "./audit";
import { FrameDecision, FrameEdit } from "../editing/frame-edit";

export { FrameDecision } from "../editing/frame-edit";

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

  /**
   * Whether the request was denied whole, so the broker's answer is to the ApiVersions v0
   * probe that replaced it, not a response of the request's API: it is not walked or
   * read as one (the synthesized answer replaces it).
   */
  get answeredByProbe(): bool {
    const gate = this.gate;
    return gate != null && gate.verdict == Verdict.Deny;
  }
}

/** Counters the enforcer moves; the connection backs them with stats. */
export abstract class EnforcementStats {
  abstract requestRewritten(): void;
  abstract requestDenied(): void;
  abstract responseRewritten(): void;
  /**
   * A TLS subject no acl.tls_principal_mapping_rules rule matched; `gaveUp` when a rule's
   * match ran out of regex steps rather than failing.
   */
  abstract tlsSubjectUnmapped(gaveUp: bool): void;
}

/**
 * Topic ACLs on one connection (see the file comment): gates each whole request frame,
 * records what its response needs, and edits or answers that response. Nothing a peer
 * sends traps: unreadable frames fail closed (the connection is closed) or, in a dry
 * run, are logged and forwarded.
 */
export class AclEnforcer extends FrameEdit {
  private readonly reader: Reader = new Reader();
  private readonly writer: Writer = new Writer(1024);
  private readonly requestHeader: RequestHeader = new RequestHeader();
  private readonly sasl: SaslPrincipalTracker = new SaslPrincipalTracker();
  /** Whether the connection was already refused (or, in a dry run, reported) for an unmapped TLS subject. */
  private unmappedRefused: bool = false;

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
  ) { super(); }

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
    if (principals.unmappedSubject != null) this.stats.tlsSubjectUnmapped(principals.unmappedGaveUpRule >= 0);
  }

  /**
   * Why the connection must close before its first request: a certificate subject the
   * mapping rules give no name, which a Kafka broker refuses at authentication
   * (SslPrincipalMapper.NoMatchingRule). Null when there is none.
   */
  private unmappedSubjectReason(): string | null {
    const subject = this.principals.unmappedSubject;
    if (subject == null) return null;
    const rule = this.principals.unmappedGaveUpRule;
    if (rule >= 0) {
      return "rule " + rule.toString() + " of acl.tls_principal_mapping_rules ran out of regex steps on the TLS subject " +
        jsonString(subject) + " (counted as no match: Kafka would fail the authentication)";
    }
    return "the TLS subject " + jsonString(subject) + " matches no rule of acl.tls_principal_mapping_rules (Kafka would fail the authentication)";
  }

  /**
   * Decides a complete request frame, `frame[start, end)` (no size field). `awaitsResponse`
   * is false for requests the broker never answers (Produce with acks=0). On Forward or
   * Replace, `pending` is what the response will need (null: nothing).
   */
  request(frame: ArrayBuffer, start: i32, end: i32): FrameDecision {
    this.pending = null;
    this.learnConnection();
    if (!this.unmappedRefused) {
      const unmapped = this.unmappedSubjectReason();
      if (unmapped != null) {
        this.unmappedRefused = true;
        // A dry run only reports it, and decides the request as usual.
        if (this.failClosed(unmapped) == FrameDecision.Close) return FrameDecision.Close;
      }
    }
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
    if (!this.decodeHeader(frame, start, end, headerVersion)) return this.failClosed("malformed " + apiName(apiKey) + " request header");
    const header = this.requestHeader;
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

  /**
   * Whether the request whose head is `frame[start, end)` (no size field; the frame goes
   * on past `end`) may pass without being held whole: a Produce naming one topic that
   * every check allows (gates/topic-produce.ts, produceAllowedByHead). On true the
   * request is decided as request() would decide it (Forward, nothing pending for the
   * response), so the connection streams the rest of it as it arrives instead of
   * buffering it in Envoy first. On false nothing was counted or audited: the frame is
   * held and decided whole by request().
   */
  forwardsOnHead(frame: ArrayBuffer, start: i32, end: i32): bool {
    this.pending = null;
    this.learnConnection();
    // A connection that request() must refuse first never streams.
    if (!this.unmappedRefused && this.principals.unmappedSubject != null) return false;
    const r = this.reader;
    r.reset(frame, start, end);
    const apiKey = r.readInt16();
    const apiVersion = r.readInt16();
    if (!r.ok || apiKey != PRODUCE || !isSupportedVersion(apiKey, apiVersion)) return false;
    if (!this.decodeHeader(frame, start, end, requestHeaderVersion(apiKey, apiVersion))) return false;
    this.authorizer.apiKey = apiKey;
    return produceAllowedByHead(apiVersion, r, this.authorizer);
  }

  /**
   * Decodes the request header at `frame[start, end)` into requestHeader, leaving the
   * reader at the body, and lets a new client id update the principal (the client_id
   * source). False when the header does not decode.
   */
  private decodeHeader(frame: ArrayBuffer, start: i32, end: i32, headerVersion: i16): bool {
    const r = this.reader;
    r.reset(frame, start, end);
    if (!this.requestHeader.decode(r, headerVersion)) return false;
    if (this.principals.clientIdSeen(this.requestHeader.clientId())) this.authorizer.principal = this.principals.principal;
    return true;
  }

  /**
   * Why a Kafka request that arrives while a SASL exchange is unanswered (a SaslHandshake
   * or SaslAuthenticate request in flight, or legacy raw tokens awaiting the broker's)
   * must close the connection, or null when it may be decided. The broker runs such a
   * pipelined request as the user the exchange authenticates, while the filter could only
   * decide it for whoever the connection was before; so while the principal is still to
   * come from SASL, failing closed is the only faithful answer (clients wait for the
   * authentication's answer before sending requests). A re-authentication (KIP-368) keeps
   * the principal, so it closes nothing. In a dry run, logs and returns null.
   */
  pipelinedBehindSasl(apiKey: i16): string | null {
    this.learnConnection();
    if (!this.principals.awaitsSaslPrincipal) return null;
    const reason = "a " + apiName(apiKey) + " request pipelined behind an unanswered SASL exchange: the broker would run it " +
      "as the user that exchange authenticates, whom the filter cannot know yet";
    if (this.authorizer.dryRun) {
      log(LogLevel.Warn, "kafka filter: dry run: would close the connection: " + reason);
      return null;
    }
    return reason;
  }

  /** What the last request() left for its response; the connection files it with the pending request. */
  pending: PendingEnforcement | null = null;

  /** True when a response to this request must be collected whole before it may pass. */
  holdsResponse(apiKey: i16, pending: PendingEnforcement | null): bool {
    return pending != null || apiKey == API_VERSIONS || apiKey == SASL_AUTHENTICATE || TopicIds.teaches(apiKey);
  }

  /**
   * For the answer to a request denied whole (the broker answered our ApiVersions probe):
   * the synthesized response to send instead, at the request's API and version; else null.
   */
  synthesizedAnswer(pending: PendingEnforcement | null): Message | null {
    if (pending == null || pending.gate == null) return null;
    const gate = changetype<GateResult>(pending.gate);
    if (gate.verdict != Verdict.Deny) return null;
    return gate.response;
  }

  /**
   * A held response was decoded: learns topic ids and SASL outcomes from it and merges
   * the request's denials into it. True when `body` changed and must be re-encoded.
   */
  responseDecoded(apiKey: i16, body: Message, pending: PendingEnforcement | null): bool {
    this.topicIds.learnFrom(apiKey, body, this.topicLabels);
    if (apiKey == SASL_AUTHENTICATE) {
      const username = this.sasl.serverAnswered(changetype<SaslAuthenticateResponse>(body).errorCode);
      if (username != null && this.principals.saslAuthenticated(username)) this.authorizer.principal = this.principals.principal;
    }
    if (pending == null || pending.gate == null) return false;
    const merger = changetype<GateResult>(pending.gate).merger;
    if (merger == null) return false;
    this.authorizer.apiKey = apiKey;
    changetype<ResponseMerger>(merger).merge(body);
    return true;
  }

  /** Whether ApiVersions answers are capped to what the codec reads (not in a dry run). */
  get capsApiVersions(): bool {
    return !this.authorizer.dryRun;
  }

  /**
   * A response the filter must edit but cannot read fails closed; one it only
   * watches (to learn topic ids or a SASL outcome) passes untouched.
   */
  responseUnreadable(apiKey: i16, pending: PendingEnforcement | null): FrameDecision {
    if (pending == null && apiKey != API_VERSIONS) return FrameDecision.Forward;
    return this.failClosed("malformed " + apiName(apiKey) + " response");
  }

  /** Fails closed as a response edit does (a dry run logs and forwards). */
  responseFailed(reason: string): FrameDecision {
    return this.failClosed(reason);
  }

  /** Counts a response whose ACL edits were re-encoded. */
  responseRewritten(): void {
    this.stats.responseRewritten();
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
    this.closedByAcl = true;
    return FrameDecision.Close;
  }
}

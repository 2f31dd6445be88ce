// The one path by which the filter edits a held response: decode it once, let ACLs
// change it (a synthesized denial, merged denials, a filtered listing, a capped
// ApiVersions) and broker address rewriting change it, then encode it once. A Metadata
// answer can need both: filtered by ACLs, then rewritten.
import { Reader } from "../codec/reader";
import { Writer } from "../codec/writer";
import { ErrorCodeSink, Message } from "../codec/message";
import { ResponseHeader } from "../codec/header";
import { API_VERSIONS, FETCH, apiName, responseHeaderVersion } from "../codec/generated/apis";
import { decodeResponseBody } from "../codec/generated/index";
import { ApiVersionsResponse } from "../codec/generated/ApiVersionsResponse";
import { AclEnforcer, PendingEnforcement } from "../acl/enforcer";
import { capApiVersions } from "../acl/api-versions";
import { AddressRewriter, RewriteOutcome } from "../rewrite/rewriter";
import { TopicNames, learnTopicIds } from "../topics";
import { FrameDecision, FrameEdit } from "./frame-edit";

/** Counters of address rewriting; the connection backs them with filter health stats. */
export abstract class RewriteStats {
  /** A response was forwarded with broker addresses rewritten (or controller endpoints stripped). */
  abstract addressesRewritten(): void;
  /** A response named a node id with no mapping; the connection is closed. */
  abstract unknownNode(): void;
  /** A streamed Fetch response's node endpoints were replaced by padding (the rewrite did not fit). */
  abstract endpointsDropped(): void;
}

/**
 * Edits the held responses of one connection. `acl` is the connection's enforcer (null
 * without ACLs), `rewriter` the broker address rewriter (null without
 * `broker_addresses`), `topicLabels` the per-topic stats' id table (taught here when no
 * enforcer does it; null when per-topic stats are off). After edit() returns Replace,
 * `replacement` holds the whole new frame, size field included; after Close,
 * `closeReason` says why.
 */
export class ResponseEditor extends FrameEdit {
  private readonly reader: Reader = new Reader();
  private readonly writer: Writer = new Writer(1024);
  private readonly header: ResponseHeader = new ResponseHeader();

  constructor(
    readonly acl: AclEnforcer | null,
    readonly rewriter: AddressRewriter | null,
    private readonly topicLabels: TopicNames | null,
    readonly stats: RewriteStats,
    /** Largest frame the filter holds whole; a re-encoded frame above it fails closed. */
    private readonly maxHeldFrameBytes: i32,
  ) { super(); }

  /**
   * True when a response to this request must be collected whole before any of it may
   * pass. Fetch responses are not held for rewriting: their node endpoints are edited
   * at the end of the stream (rewrite/fetch-tail.ts).
   */
  holdsResponse(apiKey: i16, apiVersion: i16, pending: PendingEnforcement | null): bool {
    const acl = this.acl;
    if (acl != null && acl.holdsResponse(apiKey, pending)) return true;
    if (this.rewriter == null) return false;
    return apiKey == API_VERSIONS || (apiKey != FETCH && AddressRewriter.carriesEndpoints(apiKey, apiVersion));
  }

  /** Whether the node endpoints of a Fetch response not held whole must be edited at its end. */
  editsFetchTail(apiVersion: i16): bool {
    return this.rewriter != null && AddressRewriter.carriesEndpoints(FETCH, apiVersion);
  }

  /**
   * Decides a complete held response, `frame[start, end)` (no size field), to a request
   * of `apiKey` at `apiVersion` with the enforcer's `pending` facts. Error codes of the
   * response the client will see go to `errors`.
   */
  edit(frame: ArrayBuffer, start: i32, end: i32, apiKey: i16, apiVersion: i16, pending: PendingEnforcement | null,
    errors: ErrorCodeSink): FrameDecision {
    const headerVersion = responseHeaderVersion(apiKey, apiVersion);
    const r = this.reader;
    const header = this.header;
    const acl = this.acl;
    const synthesized = acl != null ? acl.synthesizedAnswer(pending) : null;
    if (synthesized != null) {
      // The answer to our probe (ApiVersions v0, header v0): send the synthesized response instead.
      r.reset(frame, start, end);
      if (!header.decode(r, 0)) return this.aclFailed("malformed response to a denied " + apiName(apiKey) + " request");
      header.taggedFieldsBuffer = null;
      header.taggedFieldsLength = 0;
      synthesized.collectErrorCodes(errors);
      if (this.rewrite(apiKey, apiVersion, synthesized) == RewriteOutcome.UnknownNode) return this.unknownNode(apiKey);
      changetype<AclEnforcer>(acl).responseRewritten();
      return this.encode(headerVersion, synthesized, apiKey, apiVersion, true);
    }
    r.reset(frame, start, end);
    if (!header.decode(r, headerVersion)) return this.unreadable(apiKey, apiVersion, pending);
    if (apiKey == API_VERSIONS && brokerRefusedVersion(frame, r.pos, end)) return FrameDecision.Forward;
    const body = decodeResponseBody(apiKey, apiVersion, r);
    if (body == null) return this.unreadable(apiKey, apiVersion, pending);

    let aclEdited = false;
    if (acl != null) {
      aclEdited = acl.responseDecoded(apiKey, body, pending);
    } else {
      const labels = this.topicLabels;
      if (labels != null) learnTopicIds(labels, apiKey, body);
    }
    // A client must never be offered a version the filter cannot read: with ACLs it could
    // not be gated, with rewriting its broker addresses could not be found.
    let capped = false;
    if (apiKey == API_VERSIONS) {
      const aclCaps = acl != null && acl.capsApiVersions;
      // An answer within the codec's ranges (a broker of the codec's Kafka version) is not re-encoded.
      if ((aclCaps || this.rewriter != null) && capApiVersions(changetype<ApiVersionsResponse>(body))) {
        if (aclCaps) aclEdited = true;
        else capped = true;
      }
    }
    const outcome = this.rewrite(apiKey, apiVersion, body);
    if (outcome == RewriteOutcome.UnknownNode) return this.unknownNode(apiKey);
    return this.encodeEdited(headerVersion, body, apiKey, apiVersion, errors, aclEdited, capped || outcome == RewriteOutcome.Rewritten);
  }

  /** Logs and counts a node id with no mapping, and closes: the response must never reach the client. */
  unknownNode(apiKey: i16): FrameDecision {
    const rewriter = changetype<AddressRewriter>(this.rewriter);
    this.stats.unknownNode();
    return this.close("a " + apiName(apiKey) + " response names node id " + rewriter.unknownNodeId.toString() +
      ", which broker_addresses does not map (unknown_node: close)");
  }

  /** Closes the connection for address rewriting (never an ACL close, never skipped by a dry run). */
  close(reason: string): FrameDecision {
    this.closeReason = reason;
    this.closedByAcl = false;
    return FrameDecision.Close;
  }

  private rewrite(apiKey: i16, apiVersion: i16, body: Message): RewriteOutcome {
    const rewriter = this.rewriter;
    if (rewriter == null || !AddressRewriter.carriesEndpoints(apiKey, apiVersion)) return RewriteOutcome.Unchanged;
    return rewriter.rewrite(apiKey, apiVersion, body);
  }

  private encodeEdited(headerVersion: i16, body: Message, apiKey: i16, apiVersion: i16, errors: ErrorCodeSink,
    aclEdited: bool, addressesEdited: bool): FrameDecision {
    body.collectErrorCodes(errors);
    if (!aclEdited && !addressesEdited) return FrameDecision.Forward;
    const acl = this.acl;
    if (aclEdited && acl != null) acl.responseRewritten();
    if (addressesEdited && this.rewriter != null && AddressRewriter.carriesEndpoints(apiKey, apiVersion)) this.stats.addressesRewritten();
    return this.encode(headerVersion, body, apiKey, apiVersion, aclEdited);
  }

  private encode(headerVersion: i16, body: Message, apiKey: i16, apiVersion: i16, byAcl: bool): FrameDecision {
    const w = this.writer;
    w.reset();
    w.writeInt32(0);
    this.header.encode(w, headerVersion);
    body.encode(w, apiVersion);
    if (!w.ok || w.pos - 4 > this.maxHeldFrameBytes) {
      const reason = "could not re-encode the " + apiName(apiKey) + " response";
      return byAcl ? this.aclFailed(reason) : this.close(reason);
    }
    w.patchInt32(0, w.pos - 4);
    this.replacement = w.toArrayBuffer();
    return FrameDecision.Replace;
  }

  /**
   * A response that may carry broker addresses, or an ApiVersions answer to cap, must
   * not pass unread when rewriting is on; otherwise the enforcer decides (it only fails
   * closed on responses it must edit).
   */
  private unreadable(apiKey: i16, apiVersion: i16, pending: PendingEnforcement | null): FrameDecision {
    if (this.rewriter != null && (apiKey == API_VERSIONS || AddressRewriter.carriesEndpoints(apiKey, apiVersion))) {
      return this.close("malformed " + apiName(apiKey) + " response: its broker addresses cannot be rewritten");
    }
    const acl = this.acl;
    if (acl == null) return FrameDecision.Forward;
    return this.fromAcl(acl.responseUnreadable(apiKey, pending), acl);
  }

  private aclFailed(reason: string): FrameDecision {
    const acl = this.acl;
    if (acl == null) return this.close(reason);
    return this.fromAcl(acl.responseFailed(reason), acl);
  }

  private fromAcl(decision: FrameDecision, acl: AclEnforcer): FrameDecision {
    if (decision == FrameDecision.Close) {
      this.closeReason = acl.closeReason;
      this.closedByAcl = true;
    }
    return decision;
  }
}

/**
 * A broker that does not support the client's ApiVersions version answers in v0 form
 * with UNSUPPORTED_VERSION, and the client retries lower; that answer passes as is.
 */
function brokerRefusedVersion(frame: ArrayBuffer, bodyStart: i32, end: i32): bool {
  if (end - bodyStart < 2) return false;
  const errorCode = bswap<i16>(load<i16>(changetype<usize>(frame) + <usize>bodyStart));
  return errorCode != 0;
}

// Shared helpers for the group-gate specs (imported, not an as-pect include): a fake
// authorizer and wire round trips of requests and responses.
import { Reader } from "../../../assembly/codec/reader";
import { Writer } from "../../../assembly/codec/writer";
import { ErrorCodeSink, Message } from "../../../assembly/codec/message";
import { Uuid } from "../../../assembly/codec/types";
import { decodeErrorName, encodeErrorName } from "../../../assembly/codec/errors";
import { decodeRequestBody, decodeResponseBody } from "../../../assembly/codec/generated/index";
import { Authorizer, GateResult, Operation, ResourceType, Verdict } from "../../../assembly/acl/model";

/** Known topic ids: ORDERS_ID names "orders" (allowed), SECRET_ID names "secret-ledger" (denied). */
export const ORDERS_ID = new Uuid(1, 1);
export const SECRET_ID = new Uuid(2, 2);
/** An id the filter has not learned. */
export const UNKNOWN_ID = new Uuid(9, 9);

/**
 * Denies topics starting with "secret", groups and transactional ids starting with
 * "locked", and the cluster unless `clusterAllowed`; `denyAll` denies everything.
 * Counts quiet (logIfDenied false) questions separately.
 */
export class FakeAuthorizer extends Authorizer {
  denyAll: bool = false;
  clusterAllowed: bool = false;
  questions: i32 = 0;
  quietQuestions: i32 = 0;

  allowed(resourceType: ResourceType, name: string, operation: Operation, logIfDenied: bool): bool {
    this.questions++;
    if (!logIfDenied) this.quietQuestions++;
    if (this.denyAll) return false;
    switch (resourceType) {
      case ResourceType.Topic: return !name.startsWith("secret");
      case ResourceType.Group: return !name.startsWith("locked");
      case ResourceType.TransactionalId: return !name.startsWith("locked");
      case ResourceType.Cluster: return this.clusterAllowed;
      case ResourceType.User: return !name.startsWith("User:locked");
    }
    return false;
  }

  allowedTopicId(id: Uuid, operation: Operation): bool {
    const name = this.topicName(id);
    if (name === null) return false;
    return this.allowed(ResourceType.Topic, name, operation, true);
  }

  topicName(id: Uuid): string | null {
    if (id.equals(ORDERS_ID)) return "orders";
    if (id.equals(SECRET_ID)) return "secret-ledger";
    return null;
  }
}

export function allowing(): FakeAuthorizer {
  return new FakeAuthorizer();
}

export function denyingAll(): FakeAuthorizer {
  const a = new FakeAuthorizer();
  a.denyAll = true;
  return a;
}

/** Encodes then decodes a message at `version`; null (with a log line) on any failure. */
export function roundTrip(message: Message, version: i16): Message | null {
  const w = new Writer(64);
  message.encode(w, version);
  if (!w.ok) {
    log("encode failed: " + encodeErrorName(w.errorCode) + " at " + w.errorField + " v" + version.toString());
    return null;
  }
  const r = new Reader(w.toArrayBuffer());
  const decoded = message.isResponse()
    ? decodeResponseBody(message.apiKey(), version, r)
    : decodeRequestBody(message.apiKey(), version, r);
  if (decoded === null) {
    log("decode failed: " + decodeErrorName(r.errorCode) + " at " + r.errorField);
    return null;
  }
  if (r.remaining() != 0) {
    log("decode left bytes");
    return null;
  }
  return decoded;
}

class CodeList extends ErrorCodeSink {
  text: string = "";
  errorCode(code: i16): void {
    if (this.text.length > 0) this.text += ",";
    this.text += code.toString();
  }
}

/** Every error code of a message in wire order, as "0,29,30". */
export function errorCodes(message: Message): string {
  const sink = new CodeList();
  message.collectErrorCodes(sink);
  return sink.text;
}

/**
 * For a Deny: the synthesized response round-tripped at `version` (null when missing or
 * not encodable).
 */
export function deniedResponse(result: GateResult, version: i16): Message | null {
  if (result.verdict != Verdict.Deny) {
    log("expected Deny, got verdict " + result.verdict.toString());
    return null;
  }
  const response = result.response;
  if (response === null) {
    log("Deny without a response");
    return null;
  }
  return roundTrip(response, version);
}

/**
 * For a Rewrite: the forwarded request round-tripped (null on failure or wrong verdict).
 */
export function forwardedRequest(result: GateResult, version: i16): Message | null {
  if (result.verdict != Verdict.Rewrite || result.request === null || result.merger === null) {
    log("expected Rewrite with request and merger, got verdict " + result.verdict.toString());
    return null;
  }
  return roundTrip(result.request!, version);
}

/** Applies the result's merger to a broker response (round-tripped first) and round-trips the merged response. */
export function merged(result: GateResult, brokerResponse: Message, version: i16): Message | null {
  const fromBroker = roundTrip(brokerResponse, version);
  if (fromBroker === null) return null;
  const merger = result.merger;
  if (merger !== null) merger.merge(fromBroker);
  return roundTrip(fromBroker, version);
}

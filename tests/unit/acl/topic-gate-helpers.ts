// Shared pieces of the topic-gate specs: a fake Authorizer with a fixed policy and the
// encode/decode round trip every forwarded request and answered response goes through.
import { Authorizer, GateResult, Operation, ResourceType, Verdict } from "../../../assembly/acl/model";
import { Message } from "../../../assembly/codec/message";
import { Reader } from "../../../assembly/codec/reader";
import { Writer } from "../../../assembly/codec/writer";
import { Uuid } from "../../../assembly/codec/types";

/** Learned id of the allowed topic "orders". */
export const ORDERS_ID = new Uuid(0x1111, 0x1111);
/** Learned id of the denied topic "secret-ids". */
export const SECRET_ID = new Uuid(0x2222, 0x2222);
/** An id the filter never learned. */
export const UNKNOWN_ID = new Uuid(0x9999, 0x9999);

/**
 * Denies every operation on topics whose name starts with "secret"; denies Create and
 * DescribeConfigs on topics starting with "nocreate"; denies groups named "locked" and
 * the transactional id "locked-tx"; denies Cluster operations when `clusterDenied`.
 * Counts denials, apart by whether they would be logged.
 */
export class FakeAuthorizer extends Authorizer {
  clusterDenied: bool = false;
  loggedDenials: i32 = 0;
  quietDenials: i32 = 0;
  questions: i32 = 0;

  allowed(resourceType: ResourceType, name: string, operation: Operation, logIfDenied: bool): bool {
    this.questions++;
    let ok = true;
    if (resourceType == ResourceType.Topic) {
      if (name.startsWith("secret")) ok = false;
      if (name.startsWith("nocreate") && (operation == Operation.Create || operation == Operation.DescribeConfigs)) ok = false;
    } else if (resourceType == ResourceType.Group) {
      ok = name != "locked";
    } else if (resourceType == ResourceType.TransactionalId) {
      ok = name != "locked-tx";
    } else if (resourceType == ResourceType.Cluster) {
      ok = !this.clusterDenied;
    }
    if (!ok) {
      if (logIfDenied) this.loggedDenials++;
      else this.quietDenials++;
    }
    return ok;
  }

  allowedTopicId(id: Uuid, operation: Operation): bool {
    const name = this.topicName(id);
    if (name === null) {
      this.loggedDenials++;
      return false;
    }
    return this.allowed(ResourceType.Topic, name, operation, true);
  }

  topicName(id: Uuid): string | null {
    if (id.equals(ORDERS_ID)) return "orders";
    if (id.equals(SECRET_ID)) return "secret-ids";
    return null;
  }
}

/** Encodes `message` at `version`, checks size(), and decodes the bytes into a new T. */
export function roundTrip<T extends Message>(message: Message, version: i16): T {
  const w = new Writer(64);
  message.encode(w, version);
  expect(w.errorField).toBe("", "encode error");
  expect(w.ok).toBe(true, "encoded");
  expect(message.size(version)).toBe(w.pos);
  const r = new Reader(w.toArrayBuffer());
  const out = instantiate<T>();
  const decoded = out.decode(r, version);
  expect(r.errorField).toBe("", "decode error");
  expect(decoded).toBe(true, "decoded");
  expect(r.remaining()).toBe(0);
  return out;
}

export function expectPass(result: GateResult | null): void {
  expect(result === null).toBe(false, "the gate decided");
  const r = result!;
  expect(r.verdict).toBe(Verdict.Pass);
  expect(r.request === null).toBe(true, "Pass forwards the original request");
  expect(r.response === null).toBe(true, "Pass has no response");
}

/** A Rewrite with a request to forward; returns it round-tripped at `version`. */
export function expectRewrite<T extends Message>(result: GateResult | null, version: i16): T {
  expect(result === null).toBe(false, "the gate decided");
  const r = result!;
  expect(r.verdict).toBe(Verdict.Rewrite);
  expect(r.request === null).toBe(false, "Rewrite has a request");
  expect(r.response === null).toBe(true, "Rewrite has no response");
  return roundTrip<T>(r.request!, version);
}

/** A Deny with a synthesized response; returns it round-tripped at `version`. */
export function expectDeny<T extends Message>(result: GateResult | null, version: i16): T {
  expect(result === null).toBe(false, "the gate decided");
  const r = result!;
  expect(r.verdict).toBe(Verdict.Deny);
  expect(r.request === null).toBe(true, "Deny has no request");
  expect(r.response === null).toBe(false, "Deny has a response");
  return roundTrip<T>(r.response!, version);
}

/**
 * Plays the broker's side: the response built for the forwarded request goes over the
 * wire, the gate's merger edits it, and the merged result goes over the wire again.
 */
export function mergeRoundTrip<T extends Message>(result: GateResult, brokerResponse: Message, version: i16): T {
  expect(result.merger === null).toBe(false, "has a merger");
  const received = roundTrip<T>(brokerResponse, version);
  result.merger!.merge(received);
  return roundTrip<T>(received, version);
}

export function uuid(hi: u64, lo: u64): Uuid {
  return new Uuid(hi, lo);
}

// Encode-side rules from the message definitions: they are reported on the Writer,
// never trapped on.

import { Writer, EncodeError } from "../../../assembly/codec/writer";
import { Reader } from "../../../assembly/codec/reader";
import { MetadataResponse, MetadataResponse_MetadataResponseTopic } from "../../../assembly/codec/generated/MetadataResponse";
import { ProduceRequest } from "../../../assembly/codec/generated/ProduceRequest";
import { RawTaggedField, Uuid } from "../../../assembly/codec/types";

function topic(): MetadataResponse_MetadataResponseTopic {
  const t = new MetadataResponse_MetadataResponseTopic();
  t.name = "orders";
  return t;
}

describe("encode errors", () => {
  it("rejects a non-default value of a non-ignorable field the version lacks", () => {
    // ClusterAuthorizedOperations: versions 8-10, not ignorable.
    const m = new MetadataResponse();
    m.clusterAuthorizedOperations = 5;
    const w = new Writer();
    m.encode(w, 11);
    expect(w.errorCode).toBe(EncodeError.FieldNotInVersion);
    expect(w.errorField).toBe("MetadataResponse.ClusterAuthorizedOperations");
    const ok = new Writer();
    m.encode(ok, 10);
    expect(ok.ok).toBe(true);
  });

  it("silently drops ignorable fields the version lacks", () => {
    // ThrottleTimeMs: versions 3+, ignorable. TopicId: versions 10+, ignorable.
    const m = new MetadataResponse();
    m.throttleTimeMs = 100;
    const t = topic();
    t.topicId = new Uuid(1, 2);
    m.topics = [t];
    const w = new Writer();
    m.encode(w, 2);
    expect(w.ok).toBe(true);
    const back = new MetadataResponse();
    expect(back.decode(new Reader(w.toArrayBuffer()), 2)).toBe(true);
    expect(back.throttleTimeMs).toBe(0);
    expect(back.topics[0].topicId.isZero()).toBe(true);
    expect(back.topics[0].name).toBe("orders");
  });

  it("rejects null where the version does not allow it, and writes it where it does", () => {
    // MetadataResponseTopic.Name: nullable 12+.
    const m = new MetadataResponse();
    const t = topic();
    t.name = null;
    m.topics = [t];
    const w = new Writer();
    m.encode(w, 11);
    expect(w.errorCode).toBe(EncodeError.NullNotAllowed);
    expect(w.errorField).toBe("MetadataResponse.MetadataResponseTopic.Name");
    const w12 = new Writer();
    m.encode(w12, 12);
    expect(w12.ok).toBe(true);
    const back = new MetadataResponse();
    expect(back.decode(new Reader(w12.toArrayBuffer()), 12)).toBe(true);
    expect(back.topics[0].name).toBeNull();
  });

  it("rejects unknown tagged fields in non-flexible versions", () => {
    const p = new ProduceRequest();
    p.unknownTaggedFields = [new RawTaggedField(7, new ArrayBuffer(1))];
    const w = new Writer();
    p.encode(w, 8);
    expect(w.errorCode).toBe(EncodeError.FieldNotInVersion);
    expect(w.errorField).toBe("ProduceRequest._tagged_fields");
    const flexible = new Writer();
    p.encode(flexible, 9);
    expect(flexible.ok).toBe(true);
    expect(flexible.pos).toBe(p.size(9));
  });

  it("rejects unsupported versions", () => {
    const w = new Writer();
    new ProduceRequest().encode(w, 2);
    expect(w.errorCode).toBe(EncodeError.UnsupportedVersion);
    const r = new Reader(new ArrayBuffer(100));
    expect(new ProduceRequest().decode(r, 14)).toBe(false);
  });
});

import { Uuid } from "../../../assembly/codec/types";
import { parseCidr, parseSocketAddress } from "../../../assembly/acl/address";
import { Decision, aclStatName, auditLine, jsonString } from "../../../assembly/acl/audit";
import { AclContext, AclMode, ConnectionAuthorizer } from "../../../assembly/acl/authorizer";
import { Operation, ResourceType } from "../../../assembly/acl/model";
import { AclRule, Effect, PatternType, Policy } from "../../../assembly/acl/policy";
import { CapturedAudit, CountingMetrics, KnownTopics } from "./helpers";
import { FETCH, METADATA, PRODUCE } from "../../../assembly/codec/generated/apis";

const ORDERS_ID = new Uuid(0x0123456789abcdef, 0xfedcba9876543210);
const LOST_ID = new Uuid(1, 2);

function policy(defaultAllow: bool = false): Policy {
  return new Policy([
    new AclRule("orders-writers", Effect.Allow, "User:alice", ResourceType.Topic, PatternType.Prefixed, "orders.", [Operation.Write]),
    new AclRule("no-secrets", Effect.Deny, "User:*", ResourceType.Topic, PatternType.Literal, "orders.secret", [Operation.All]),
    new AclRule("office-only", Effect.Allow, "User:alice", ResourceType.Topic, PatternType.Literal, "office", [Operation.Read],
      [parseCidr("10.0.0.0/8").cidr!]),
  ], defaultAllow);
}

class Fixture {
  audit: CapturedAudit;
  metrics: CountingMetrics;
  authorizer: ConnectionAuthorizer;
  constructor(mode: AclMode, defaultAllow: bool = false) {
    const audit = new CapturedAudit();
    const metrics = new CountingMetrics();
    const topics = new KnownTopics().learn(ORDERS_ID, "orders.eu");
    this.audit = audit;
    this.metrics = metrics;
    this.authorizer = new ConnectionAuthorizer(new AclContext(policy(defaultAllow), mode, audit, metrics, topics));
    this.authorizer.principal = "User:alice";
    this.authorizer.apiKey = PRODUCE;
  }
}

describe("audit lines", () => {
  it("have exactly this shape", () => {
    expect(auditLine("User:alice", "Produce", ResourceType.Topic, "orders.eu", Operation.Write, Decision.Denied, "default"))
      .toBe('{"principal":"User:alice","api":"Produce","resource_type":"topic","resource":"orders.eu","operation":"write","decision":"DENIED","rule":"default"}');
    expect(auditLine("User:bob", "AddPartitionsToTxn", ResourceType.TransactionalId, "tx-1", Operation.DescribeConfigs, Decision.WouldDeny, "r1"))
      .toBe('{"principal":"User:bob","api":"AddPartitionsToTxn","resource_type":"transactional_id","resource":"tx-1","operation":"describe_configs","decision":"WOULD_DENY","rule":"r1"}');
  });
  it("escape what a peer could inject, staying one line", () => {
    expect(jsonString("a\"b\\c\nd\re\tf\u0001g")).toBe('"a\\"b\\\\c\\nd\\re\\tf\\u0001g"');
    expect(jsonString("plain")).toBe('"plain"');
    expect(jsonString("")).toBe('""');
    expect(jsonString("x\u2028y")).toBe('"x\\u2028y"');
  });
  it("cut overlong fields", () => {
    const long = "x".repeat(2000);
    expect(jsonString(long).length).toBe(512 + 2 + 3);
  });
});

describe("metric names", () => {
  it("put bounded labels after acl.decisions", () => {
    expect(aclStatName("broker1", ResourceType.Topic, Operation.Write, Decision.Denied)).toBe("kafka.broker1.acl.decisions.topic.write.denied");
    expect(aclStatName("b", ResourceType.TransactionalId, Operation.IdempotentWrite, Decision.WouldDeny))
      .toBe("kafka.b.acl.decisions.transactional_id.idempotent_write.would_deny");
    expect(aclStatName("b", ResourceType.Cluster, Operation.DescribeConfigs, Decision.Allowed)).toBe("kafka.b.acl.decisions.cluster.describe_configs.allowed");
  });
});

describe("connection authorizer (enforce)", () => {
  it("allows silently and counts", () => {
    const f = new Fixture(AclMode.Enforce);
    expect(f.authorizer.allowed(ResourceType.Topic, "orders.eu", Operation.Write, true)).toBe(true);
    expect(f.authorizer.allowed(ResourceType.Topic, "orders.eu", Operation.Describe, true)).toBe(true);
    expect(f.audit.lines.length).toBe(0);
    expect(f.metrics.of(ResourceType.Topic, Operation.Write, Decision.Allowed)).toBe(1);
    expect(f.metrics.of(ResourceType.Topic, Operation.Describe, Decision.Allowed)).toBe(1);
  });
  it("denies with one audit line naming the deciding rule", () => {
    const f = new Fixture(AclMode.Enforce);
    expect(f.authorizer.allowed(ResourceType.Topic, "orders.secret", Operation.Write, true)).toBe(false);
    f.authorizer.apiKey = FETCH;
    expect(f.authorizer.allowed(ResourceType.Topic, "payments", Operation.Read, true)).toBe(false);
    expect(f.audit.lines.length).toBe(2);
    expect(f.audit.lines[0]).toBe('{"principal":"User:alice","api":"Produce","resource_type":"topic","resource":"orders.secret","operation":"write","decision":"DENIED","rule":"no-secrets"}');
    expect(f.audit.lines[1]).toBe('{"principal":"User:alice","api":"Fetch","resource_type":"topic","resource":"payments","operation":"read","decision":"DENIED","rule":"default"}');
    expect(f.metrics.of(ResourceType.Topic, Operation.Write, Decision.Denied)).toBe(1);
    expect(f.metrics.of(ResourceType.Topic, Operation.Read, Decision.Denied)).toBe(1);
    expect(f.metrics.of(ResourceType.Topic, Operation.Read, Decision.Allowed)).toBe(0);
  });
  it("counts but does not log a quiet denial", () => {
    const f = new Fixture(AclMode.Enforce);
    f.authorizer.apiKey = METADATA;
    expect(f.authorizer.allowed(ResourceType.Topic, "payments", Operation.Describe, false)).toBe(false);
    expect(f.audit.lines.length).toBe(0);
    expect(f.metrics.of(ResourceType.Topic, Operation.Describe, Decision.Denied)).toBe(1);
  });
  it("follows a principal that changes mid-connection", () => {
    const f = new Fixture(AclMode.Enforce);
    f.authorizer.principal = "User:ANONYMOUS";
    expect(f.authorizer.allowed(ResourceType.Topic, "orders.eu", Operation.Write, true)).toBe(false);
    f.authorizer.principal = "User:alice";
    expect(f.authorizer.allowed(ResourceType.Topic, "orders.eu", Operation.Write, true)).toBe(true);
  });
  it("applies host-limited rules to the connection's address", () => {
    const f = new Fixture(AclMode.Enforce);
    expect(f.authorizer.allowed(ResourceType.Topic, "office", Operation.Read, true)).toBe(false);
    f.authorizer.sourceAddress = parseSocketAddress("10.2.3.4:5555");
    expect(f.authorizer.allowed(ResourceType.Topic, "office", Operation.Read, true)).toBe(true);
  });
  it("uses the default", () => {
    const f = new Fixture(AclMode.Enforce, true);
    expect(f.authorizer.allowed(ResourceType.Group, "g", Operation.Read, true)).toBe(true);
    expect(f.authorizer.allowed(ResourceType.Topic, "orders.secret", Operation.Read, true)).toBe(false);
  });
});

describe("topic ids", () => {
  it("decide by the learned name", () => {
    const f = new Fixture(AclMode.Enforce);
    expect(f.authorizer.topicName(ORDERS_ID)!).toBe("orders.eu");
    expect(f.authorizer.allowedTopicId(ORDERS_ID, Operation.Write)).toBe(true);
    expect(f.authorizer.allowedTopicId(ORDERS_ID, Operation.Read)).toBe(false);
    expect(f.audit.lines[0]).toBe('{"principal":"User:alice","api":"Produce","resource_type":"topic","resource":"orders.eu","operation":"read","decision":"DENIED","rule":"default"}');
  });
  it("deny an unknown id, failing closed", () => {
    const f = new Fixture(AclMode.Enforce, true);
    expect(f.authorizer.topicName(LOST_ID) == null).toBe(true);
    expect(f.authorizer.allowedTopicId(LOST_ID, Operation.Read)).toBe(false);
    expect(f.audit.lines.length).toBe(1);
    expect(f.audit.lines[0]).toBe('{"principal":"User:alice","api":"Produce","resource_type":"topic","resource":"00000000-0000-0001-0000-000000000002","operation":"read","decision":"DENIED","rule":"unknown_topic_id"}');
    expect(f.metrics.of(ResourceType.Topic, Operation.Read, Decision.Denied)).toBe(1);
  });
});

describe("dry run", () => {
  it("reports what it would deny, and gives gates the true decision (the enforcer lets all pass)", () => {
    const f = new Fixture(AclMode.DryRun);
    expect(f.authorizer.dryRun).toBe(true);
    expect(f.authorizer.allowed(ResourceType.Topic, "orders.secret", Operation.Write, true)).toBe(false);
    expect(f.authorizer.allowedTopicId(LOST_ID, Operation.Read)).toBe(false);
    expect(f.authorizer.allowed(ResourceType.Topic, "payments", Operation.Describe, false)).toBe(false);
    expect(f.audit.lines.length).toBe(2);
    expect(f.audit.lines[0]).toBe('{"principal":"User:alice","api":"Produce","resource_type":"topic","resource":"orders.secret","operation":"write","decision":"WOULD_DENY","rule":"no-secrets"}');
    expect(f.metrics.of(ResourceType.Topic, Operation.Write, Decision.WouldDeny)).toBe(1);
    expect(f.metrics.of(ResourceType.Topic, Operation.Read, Decision.WouldDeny)).toBe(1);
    expect(f.metrics.of(ResourceType.Topic, Operation.Describe, Decision.WouldDeny)).toBe(1);
    expect(f.metrics.of(ResourceType.Topic, Operation.Write, Decision.Denied)).toBe(0);
  });
  it("still counts allowed decisions as allowed", () => {
    const f = new Fixture(AclMode.DryRun);
    expect(f.authorizer.allowed(ResourceType.Topic, "orders.eu", Operation.Write, true)).toBe(true);
    expect(f.metrics.of(ResourceType.Topic, Operation.Write, Decision.Allowed)).toBe(1);
    expect(f.audit.lines.length).toBe(0);
  });
});

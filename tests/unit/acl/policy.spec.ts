import { parseCidr, parseSocketAddress, Cidr, IpAddress } from "../../../assembly/acl/address";
import { Operation, ResourceType } from "../../../assembly/acl/model";
import { AclRule, Effect, NO_RULE, PatternType, Policy } from "../../../assembly/acl/policy";

function rule(name: string, effect: Effect, principal: string, type: ResourceType, pattern: PatternType, resource: string,
  operations: Operation[], hosts: string[] = []): AclRule {
  const cidrs: Cidr[] = [];
  for (let i = 0; i < hosts.length; i++) cidrs.push(parseCidr(hosts[i]).cidr!);
  return new AclRule(name, effect, principal, type, pattern, resource, operations, cidrs);
}

function allow(name: string, principal: string, type: ResourceType, pattern: PatternType, resource: string, operations: Operation[]): AclRule {
  return rule(name, Effect.Allow, principal, type, pattern, resource, operations);
}

function deny(name: string, principal: string, type: ResourceType, pattern: PatternType, resource: string, operations: Operation[]): AclRule {
  return rule(name, Effect.Deny, principal, type, pattern, resource, operations);
}

const ALICE = "User:alice";
const NO_ADDRESS: IpAddress | null = null;

/** "allow:<rule>", "deny:<rule>", or "allow:default"/"deny:default". */
function decision(policy: Policy, principal: string, type: ResourceType, name: string, operation: Operation, address: IpAddress | null = null): string {
  const match = policy.decide(principal, address, type, name, operation);
  return (policy.allows(match) ? "allow:" : "deny:") + policy.ruleName(match);
}

describe("resource patterns", () => {
  it("matches literal names exactly and case-sensitively", () => {
    const policy = new Policy([allow("orders", ALICE, ResourceType.Topic, PatternType.Literal, "orders", [Operation.Read])], false);
    expect(decision(policy, ALICE, ResourceType.Topic, "orders", Operation.Read)).toBe("allow:orders");
    expect(decision(policy, ALICE, ResourceType.Topic, "Orders", Operation.Read)).toBe("deny:default");
    expect(decision(policy, ALICE, ResourceType.Topic, "orders2", Operation.Read)).toBe("deny:default");
    expect(decision(policy, ALICE, ResourceType.Topic, "order", Operation.Read)).toBe("deny:default");
  });
  it("matches prefixes, and nothing that merely shares their start", () => {
    const policy = new Policy([allow("orders-prefix", ALICE, ResourceType.Topic, PatternType.Prefixed, "orders.", [Operation.Read])], false);
    expect(decision(policy, ALICE, ResourceType.Topic, "orders.eu", Operation.Read)).toBe("allow:orders-prefix");
    expect(decision(policy, ALICE, ResourceType.Topic, "orders.", Operation.Read)).toBe("allow:orders-prefix");
    expect(decision(policy, ALICE, ResourceType.Topic, "orders", Operation.Read)).toBe("deny:default");
    expect(decision(policy, ALICE, ResourceType.Topic, "orders-x", Operation.Read)).toBe("deny:default");
    expect(decision(policy, ALICE, ResourceType.Topic, "Orders.x", Operation.Read)).toBe("deny:default");
    expect(decision(policy, ALICE, ResourceType.Topic, "orders_eu", Operation.Read)).toBe("deny:default");
    expect(decision(policy, ALICE, ResourceType.Topic, "", Operation.Read)).toBe("deny:default");
  });
  it("matches every name with the literal wildcard", () => {
    const policy = new Policy([allow("any-group", ALICE, ResourceType.Group, PatternType.Literal, "*", [Operation.Read])], false);
    expect(decision(policy, ALICE, ResourceType.Group, "g1", Operation.Read)).toBe("allow:any-group");
    expect(decision(policy, ALICE, ResourceType.Group, "", Operation.Read)).toBe("allow:any-group");
  });
  it("keeps resource types apart", () => {
    const policy = new Policy([allow("t", ALICE, ResourceType.Topic, PatternType.Literal, "*", [Operation.All])], false);
    expect(decision(policy, ALICE, ResourceType.Group, "orders", Operation.Read)).toBe("deny:default");
    expect(decision(policy, ALICE, ResourceType.TransactionalId, "orders", Operation.Write)).toBe("deny:default");
    expect(decision(policy, ALICE, ResourceType.Cluster, "kafka-cluster", Operation.Describe)).toBe("deny:default");
  });
});

describe("principals", () => {
  it("matches one principal exactly, or every principal with User:*", () => {
    const policy = new Policy([
      allow("alice-reads", ALICE, ResourceType.Topic, PatternType.Literal, "a", [Operation.Read]),
      allow("everyone-reads", "User:*", ResourceType.Topic, PatternType.Literal, "b", [Operation.Read]),
    ], false);
    expect(decision(policy, ALICE, ResourceType.Topic, "a", Operation.Read)).toBe("allow:alice-reads");
    expect(decision(policy, "User:Alice", ResourceType.Topic, "a", Operation.Read)).toBe("deny:default");
    expect(decision(policy, "User:alice2", ResourceType.Topic, "a", Operation.Read)).toBe("deny:default");
    expect(decision(policy, "User:ANONYMOUS", ResourceType.Topic, "b", Operation.Read)).toBe("allow:everyone-reads");
  });
});

describe("operations and implications", () => {
  it("lets an allowed Read, Write, Delete or Alter imply Describe", () => {
    const ops: Operation[] = [Operation.Read, Operation.Write, Operation.Delete, Operation.Alter];
    for (let i = 0; i < ops.length; i++) {
      const policy = new Policy([allow("r", ALICE, ResourceType.Topic, PatternType.Literal, "t", [ops[i]])], false);
      expect(decision(policy, ALICE, ResourceType.Topic, "t", Operation.Describe)).toBe("allow:r");
      expect(decision(policy, ALICE, ResourceType.Topic, "t", Operation.DescribeConfigs)).toBe("deny:default");
    }
  });
  it("implies nothing from Create, Describe or the others", () => {
    const policy = new Policy([allow("r", ALICE, ResourceType.Topic, PatternType.Literal, "t", [Operation.Create])], false);
    expect(decision(policy, ALICE, ResourceType.Topic, "t", Operation.Describe)).toBe("deny:default");
    const describe = new Policy([allow("r", ALICE, ResourceType.Topic, PatternType.Literal, "t", [Operation.Describe])], false);
    expect(decision(describe, ALICE, ResourceType.Topic, "t", Operation.Read)).toBe("deny:default");
    expect(decision(describe, ALICE, ResourceType.Topic, "t", Operation.Describe)).toBe("allow:r");
  });
  it("lets an allowed AlterConfigs imply DescribeConfigs, not Describe", () => {
    const policy = new Policy([allow("c", ALICE, ResourceType.Topic, PatternType.Literal, "t", [Operation.AlterConfigs])], false);
    expect(decision(policy, ALICE, ResourceType.Topic, "t", Operation.DescribeConfigs)).toBe("allow:c");
    expect(decision(policy, ALICE, ResourceType.Topic, "t", Operation.Describe)).toBe("deny:default");
    expect(decision(policy, ALICE, ResourceType.Topic, "t", Operation.Alter)).toBe("deny:default");
  });
  it("matches every operation with All, to allow and to deny", () => {
    const policy = new Policy([allow("all", ALICE, ResourceType.Cluster, PatternType.Literal, "kafka-cluster", [Operation.All])], false);
    expect(decision(policy, ALICE, ResourceType.Cluster, "kafka-cluster", Operation.IdempotentWrite)).toBe("allow:all");
    expect(decision(policy, ALICE, ResourceType.Cluster, "kafka-cluster", Operation.ClusterAction)).toBe("allow:all");
    const denied = new Policy([
      allow("reads", ALICE, ResourceType.Topic, PatternType.Literal, "t", [Operation.Read]),
      deny("nothing", ALICE, ResourceType.Topic, PatternType.Literal, "t", [Operation.All]),
    ], true);
    expect(decision(denied, ALICE, ResourceType.Topic, "t", Operation.Read)).toBe("deny:nothing");
    expect(decision(denied, ALICE, ResourceType.Topic, "t", Operation.Describe)).toBe("deny:nothing");
  });
  it("does not widen a DENY: denying Describe leaves Read allowed, denying Read leaves Describe", () => {
    const policy = new Policy([
      allow("reads", ALICE, ResourceType.Topic, PatternType.Literal, "t", [Operation.Read]),
      deny("no-describe", ALICE, ResourceType.Topic, PatternType.Literal, "t", [Operation.Describe]),
    ], false);
    expect(decision(policy, ALICE, ResourceType.Topic, "t", Operation.Describe)).toBe("deny:no-describe");
    expect(decision(policy, ALICE, ResourceType.Topic, "t", Operation.Read)).toBe("allow:reads");
    const noRead = new Policy([
      allow("reads", ALICE, ResourceType.Topic, PatternType.Literal, "t", [Operation.Read]),
      deny("no-read", ALICE, ResourceType.Topic, PatternType.Literal, "t", [Operation.Read]),
    ], false);
    expect(decision(noRead, ALICE, ResourceType.Topic, "t", Operation.Read)).toBe("deny:no-read");
    expect(decision(noRead, ALICE, ResourceType.Topic, "t", Operation.Describe)).toBe("allow:reads");
    const noAlterConfigs = new Policy([
      allow("configs", ALICE, ResourceType.Topic, PatternType.Literal, "t", [Operation.DescribeConfigs]),
      deny("no-alter-configs", ALICE, ResourceType.Topic, PatternType.Literal, "t", [Operation.AlterConfigs]),
    ], false);
    expect(decision(noAlterConfigs, ALICE, ResourceType.Topic, "t", Operation.DescribeConfigs)).toBe("allow:configs");
  });
});

describe("evaluation", () => {
  it("lets a DENY override any ALLOW, whatever the order or pattern", () => {
    const policy = new Policy([
      allow("everything", "User:*", ResourceType.Topic, PatternType.Literal, "*", [Operation.All]),
      allow("alice-orders", ALICE, ResourceType.Topic, PatternType.Literal, "orders.eu", [Operation.Write]),
      deny("no-orders", ALICE, ResourceType.Topic, PatternType.Prefixed, "orders.", [Operation.Write]),
    ], false);
    expect(decision(policy, ALICE, ResourceType.Topic, "orders.eu", Operation.Write)).toBe("deny:no-orders");
    expect(decision(policy, ALICE, ResourceType.Topic, "orders.eu", Operation.Read)).toBe("allow:everything");
    expect(decision(policy, "User:bob", ResourceType.Topic, "orders.eu", Operation.Write)).toBe("allow:everything");
    const wildcardDeny = new Policy([
      allow("alice-orders", ALICE, ResourceType.Topic, PatternType.Literal, "orders", [Operation.Write]),
      deny("nobody-writes", "User:*", ResourceType.Topic, PatternType.Literal, "*", [Operation.Write]),
    ], true);
    expect(decision(wildcardDeny, ALICE, ResourceType.Topic, "orders", Operation.Write)).toBe("deny:nobody-writes");
  });
  it("names the earliest matching ALLOW", () => {
    const policy = new Policy([
      allow("first", ALICE, ResourceType.Topic, PatternType.Prefixed, "o", [Operation.Read]),
      allow("second", ALICE, ResourceType.Topic, PatternType.Literal, "orders", [Operation.Read]),
    ], false);
    expect(decision(policy, ALICE, ResourceType.Topic, "orders", Operation.Read)).toBe("allow:first");
  });
  it("falls back to the default", () => {
    const denyAll = new Policy([], false);
    expect(decision(denyAll, ALICE, ResourceType.Topic, "t", Operation.Read)).toBe("deny:default");
    expect(denyAll.decide(ALICE, NO_ADDRESS, ResourceType.Topic, "t", Operation.Read)).toBe(NO_RULE);
    const allowAll = new Policy([deny("no-t", ALICE, ResourceType.Topic, PatternType.Literal, "t", [Operation.Write])], true);
    expect(decision(allowAll, ALICE, ResourceType.Topic, "t", Operation.Read)).toBe("allow:default");
    expect(decision(allowAll, ALICE, ResourceType.Topic, "t", Operation.Write)).toBe("deny:no-t");
  });
  it("limits rules to hosts, failing closed when the peer address is unknown", () => {
    const policy = new Policy([
      rule("office", Effect.Allow, ALICE, ResourceType.Topic, PatternType.Literal, "t", [Operation.Read], ["10.0.0.0/8", "2001:db8::/32"]),
      rule("no-guest-net", Effect.Deny, ALICE, ResourceType.Topic, PatternType.Literal, "t", [Operation.Read], ["10.99.0.0/16"]),
    ], false);
    expect(decision(policy, ALICE, ResourceType.Topic, "t", Operation.Read, parseSocketAddress("10.1.1.1:1"))).toBe("allow:office");
    expect(decision(policy, ALICE, ResourceType.Topic, "t", Operation.Read, parseSocketAddress("[2001:db8::1]:1"))).toBe("allow:office");
    expect(decision(policy, ALICE, ResourceType.Topic, "t", Operation.Read, parseSocketAddress("192.0.2.1:1"))).toBe("deny:default");
    expect(decision(policy, ALICE, ResourceType.Topic, "t", Operation.Read, parseSocketAddress("10.99.1.1:1"))).toBe("deny:no-guest-net");
    expect(decision(policy, ALICE, ResourceType.Topic, "t", Operation.Read, NO_ADDRESS)).toBe("deny:no-guest-net");
  });
  it("tries every prefix of the name, short and long", () => {
    const policy = new Policy([
      allow("o", ALICE, ResourceType.Topic, PatternType.Prefixed, "o", [Operation.Read]),
      allow("orders", ALICE, ResourceType.Topic, PatternType.Prefixed, "orders.", [Operation.Write]),
      deny("orders-eu", ALICE, ResourceType.Topic, PatternType.Prefixed, "orders.eu.", [Operation.Write]),
      allow("exact", ALICE, ResourceType.Topic, PatternType.Literal, "orders.eu.1", [Operation.Alter]),
      allow("same-prefix", "User:bob", ResourceType.Topic, PatternType.Prefixed, "orders.", [Operation.Delete]),
    ], false);
    expect(decision(policy, ALICE, ResourceType.Topic, "orders.us", Operation.Write)).toBe("allow:orders");
    expect(decision(policy, ALICE, ResourceType.Topic, "orders.eu.1", Operation.Write)).toBe("deny:orders-eu");
    expect(decision(policy, ALICE, ResourceType.Topic, "orders.eu.1", Operation.Read)).toBe("allow:o");
    expect(decision(policy, ALICE, ResourceType.Topic, "orders.eu.1", Operation.Alter)).toBe("allow:exact");
    expect(decision(policy, ALICE, ResourceType.Topic, "orders.eu.1", Operation.Describe)).toBe("allow:o");
    expect(decision(policy, "User:bob", ResourceType.Topic, "orders.x", Operation.Delete)).toBe("allow:same-prefix");
    expect(decision(policy, ALICE, ResourceType.Topic, "orders.x", Operation.Delete)).toBe("deny:default");
    expect(decision(policy, ALICE, ResourceType.Topic, "p", Operation.Read)).toBe("deny:default");
  });
  it("finds the right rule among thousands", () => {
    const rules: AclRule[] = [];
    for (let i = 0; i < 5000; i++) {
      rules.push(allow("lit" + i.toString(), ALICE, ResourceType.Topic, PatternType.Literal, "t" + i.toString(), [Operation.Read]));
      rules.push(allow("pre" + i.toString(), ALICE, ResourceType.Topic, PatternType.Prefixed, "p" + i.toString() + ".", [Operation.Read]));
    }
    rules.push(deny("no-p42", ALICE, ResourceType.Topic, PatternType.Prefixed, "p42.x", [Operation.Read]));
    const policy = new Policy(rules, false);
    expect(decision(policy, ALICE, ResourceType.Topic, "t4999", Operation.Read)).toBe("allow:lit4999");
    expect(decision(policy, ALICE, ResourceType.Topic, "t5000", Operation.Read)).toBe("deny:default");
    expect(decision(policy, ALICE, ResourceType.Topic, "p1234.a", Operation.Read)).toBe("allow:pre1234");
    expect(decision(policy, ALICE, ResourceType.Topic, "p1234", Operation.Read)).toBe("deny:default");
    expect(decision(policy, ALICE, ResourceType.Topic, "p42.y", Operation.Read)).toBe("allow:pre42");
    expect(decision(policy, ALICE, ResourceType.Topic, "p42.xy", Operation.Read)).toBe("deny:no-p42");
  });
});

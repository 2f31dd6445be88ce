import { JsonParser } from "../../../assembly/config/json";
import { AclConfigResult, parseAclConfig } from "../../../assembly/acl/config";
import { AclMode } from "../../../assembly/acl/authorizer";
import { Operation, ResourceType } from "../../../assembly/acl/model";
import { Effect, PatternType } from "../../../assembly/acl/policy";
import { PrincipalSource } from "../../../assembly/acl/principal";
import { parseSocketAddress } from "../../../assembly/acl/address";

function parse(text: string): AclConfigResult {
  const value = new JsonParser().parse(text);
  if (value == null) throw new Error("test JSON does not parse: " + text);
  return parseAclConfig(value);
}

function errorOf(text: string): string {
  return parse(text).error;
}

/** A valid rule with one member replaced (or added) by `member` ("" keeps it valid). */
function ruleWith(member: string): string {
  const base = '"name":"r","effect":"allow","principal":"User:alice","resource_type":"topic","resource_name":"t","operations":["read"]';
  return '{"rules":[{' + base + (member.length > 0 ? "," + member : "") + "}]}";
}

const WORKED_EXAMPLE = `{
  "mode": "dry_run",
  "default": "deny",
  "principal_sources": ["sasl", "tls_subject", "source_address"],
  "source_address_principals": [ { "cidr": "10.20.0.0/16", "principal": "User:batch" } ],
  "rules": [
    { "name": "orders-writers", "effect": "allow", "principal": "User:alice",
      "resource_type": "topic", "pattern_type": "prefixed", "resource_name": "orders.",
      "operations": ["write"] },
    { "name": "batch-reads-orders", "effect": "allow", "principal": "User:batch",
      "resource_type": "topic", "pattern_type": "prefixed", "resource_name": "orders.",
      "operations": ["read"] },
    { "name": "batch-group", "effect": "allow", "principal": "User:batch",
      "resource_type": "group", "resource_name": "batch", "operations": ["read"] },
    { "name": "batch-idempotent", "effect": "allow", "principal": "User:batch",
      "resource_type": "cluster", "resource_name": "kafka-cluster", "operations": ["idempotent_write"] },
    { "name": "no-pii", "effect": "deny", "principal": "User:*",
      "resource_type": "topic", "resource_name": "customers.pii", "operations": ["all"] },
    { "name": "everyone-describes", "effect": "allow", "principal": "User:*",
      "resource_type": "topic", "resource_name": "*", "operations": ["describe"] }
  ]
}`;

describe("acl configuration", () => {
  it("has safe defaults", () => {
    const result = parse("{}");
    expect(result.error).toBe("");
    const config = result.config!;
    expect(config.mode).toBe(AclMode.Enforce);
    expect(config.defaultAllow).toBe(false);
    expect(config.principalSources.length).toBe(4);
    expect(config.principalSources[0]).toBe(PrincipalSource.Sasl);
    expect(config.principalSources[3]).toBe(PrincipalSource.SourceAddress);
    expect(config.rules.length).toBe(0);
    expect(config.policy.allows(config.policy.decide("User:alice", null, ResourceType.Topic, "t", Operation.Read))).toBe(false);
  });

  it("reads a worked example configuration, which decides as documented", () => {
    const result = parse(WORKED_EXAMPLE);
    expect(result.error).toBe("");
    const config = result.config!;
    expect(config.mode).toBe(AclMode.DryRun);
    expect(config.principalSources.length).toBe(3);
    expect(config.principalSources[1]).toBe(PrincipalSource.TlsSubject);
    expect(config.addressPrincipals.length).toBe(1);
    expect(config.addressPrincipals[0].principal).toBe("User:batch");
    expect(config.rules.length).toBe(6);
    const first = config.rules[0];
    expect(first.name).toBe("orders-writers");
    expect(first.effect).toBe(Effect.Allow);
    expect(first.patternType).toBe(PatternType.Prefixed);
    expect(first.operations.length).toBe(1);
    expect(config.rules[4].effect).toBe(Effect.Deny);
    expect(config.rules[4].patternType).toBe(PatternType.Literal);
    const p = config.policy;
    const batchPeer = parseSocketAddress("10.20.3.4:5000");
    expect(p.ruleName(p.decide("User:alice", null, ResourceType.Topic, "orders.eu", Operation.Write))).toBe("orders-writers");
    expect(p.ruleName(p.decide("User:alice", null, ResourceType.Topic, "orders.eu", Operation.Describe))).toBe("orders-writers");
    expect(p.allows(p.decide("User:alice", null, ResourceType.Topic, "orders.eu", Operation.Read))).toBe(false);
    expect(p.ruleName(p.decide("User:batch", batchPeer, ResourceType.Topic, "orders.eu", Operation.Read))).toBe("batch-reads-orders");
    expect(p.ruleName(p.decide("User:batch", batchPeer, ResourceType.Group, "batch", Operation.Read))).toBe("batch-group");
    expect(p.allows(p.decide("User:batch", batchPeer, ResourceType.Topic, "orders.eu", Operation.Write))).toBe(false);
    expect(p.allows(p.decide("User:batch", null, ResourceType.Cluster, "kafka-cluster", Operation.IdempotentWrite))).toBe(true);
    expect(p.ruleName(p.decide("User:alice", null, ResourceType.Topic, "customers.pii", Operation.Read))).toBe("no-pii");
    expect(p.ruleName(p.decide("User:ANONYMOUS", null, ResourceType.Topic, "customers.pii", Operation.Describe))).toBe("no-pii");
    expect(p.ruleName(p.decide("User:ANONYMOUS", null, ResourceType.Topic, "payments", Operation.Describe))).toBe("everyone-describes");
    expect(p.allows(p.decide("User:ANONYMOUS", null, ResourceType.Topic, "payments", Operation.Read))).toBe(false);
  });

  it("reads allow as the default and enforce as the mode", () => {
    const config = parse('{"mode":"enforce","default":"allow"}').config!;
    expect(config.mode).toBe(AclMode.Enforce);
    expect(config.defaultAllow).toBe(true);
    expect(config.policy.defaultAllow).toBe(true);
  });

  it("names unknown and malformed top-level fields", () => {
    expect(errorOf("[]")).toBe("acl: must be an object, got an array");
    expect(errorOf('{"rule":[]}')).toBe("acl.rule: unknown field (known: mode, default, principal_sources, source_address_principals, tls_principal_mapping_rules, rules)");
    expect(errorOf('{"mode":"audit"}')).toBe('acl.mode: must be "enforce" or "dry_run", got "audit"');
    expect(errorOf('{"default":true}')).toBe('acl.default: must be "deny" or "allow", got a boolean');
    expect(errorOf('{"rules":{}}')).toBe("acl.rules: must be an array, got an object");
  });

  it("names bad principal sources", () => {
    expect(errorOf('{"principal_sources":["sasl","kerberos"]}'))
      .toBe('acl.principal_sources[1]: unknown principal source "kerberos" (known: sasl, tls_subject, tls_san, client_id, source_address)');
    expect(errorOf('{"principal_sources":["sasl","client_id","sasl"]}')).toBe('acl.principal_sources[2]: "sasl" is listed twice');
    expect(parse('{"principal_sources":[]}').config!.principalSources.length).toBe(0);
  });

  it("reads TLS principal mapping rules as Kafka's property or as an array, naming bad ones", () => {
    expect(parse('{}').config!.tlsPrincipalMapping == null).toBe(true);
    const text = parse('{"tls_principal_mapping_rules":"RULE:^CN=(.*?),OU=eng,.*$/$1/L, DEFAULT"}').config!;
    expect(text.tlsPrincipalMapping!.rules.length).toBe(2);
    const list = parse('{"tls_principal_mapping_rules":["RULE:^CN=(.*?),OU=eng,.*$/$1/L","DEFAULT"]}').config!;
    expect(list.tlsPrincipalMapping!.rules.length).toBe(2);
    expect(errorOf('{"tls_principal_mapping_rules":"DEFAULT, RULE:^CN=(.*$/$1/"}'))
      .toBe("acl.tls_principal_mapping_rules: rule 1 (`RULE:^CN=(.*$/$1/`): pattern at character 9: unclosed group");
    expect(errorOf('{"tls_principal_mapping_rules":["DEFAULT", 3]}')).toBe("acl.tls_principal_mapping_rules[1]: must be a rule string, got a number");
    expect(errorOf('{"tls_principal_mapping_rules":{}}'))
      .toBe("acl.tls_principal_mapping_rules: must be a string in the syntax of Kafka's ssl.principal.mapping.rules, or an array of rule strings, got an object");
    expect(errorOf('{"tls_principal_mapping_rules":""}').startsWith("acl.tls_principal_mapping_rules: no rules")).toBe(true);
    expect(errorOf('{"principal_sources":["sasl"],"tls_principal_mapping_rules":"DEFAULT"}'))
      .toBe('acl.tls_principal_mapping_rules: set, but acl.principal_sources does not list "tls_subject", the source it maps');
  });

  it("names bad address mappings", () => {
    expect(errorOf('{"source_address_principals":[{"cidr":"10.0.0.1/8","principal":"User:x"}]}'))
      .toBe('acl.source_address_principals[0].cidr: "10.0.0.1/8" is not a valid CIDR range: address has bits set beyond the /8 prefix');
    expect(errorOf('{"source_address_principals":[{"cidr":"10.0.0.0/8","principal":"batch"}]}'))
      .toBe('acl.source_address_principals[0].principal: must be "User:<name>", got "batch"');
    expect(errorOf('{"source_address_principals":[{"cidr":"10.0.0.0/8","principal":"User:*"}]}'))
      .toBe('acl.source_address_principals[0].principal: must be "User:<name>", got "User:*"');
    expect(errorOf('{"source_address_principals":[{"cidr":"10.0.0.0/8","principal":"User:x","note":1}]}'))
      .toBe("acl.source_address_principals[0].note: unknown field (known: cidr, principal)");
    expect(errorOf('{"source_address_principals":[{"principal":"User:x"}]}'))
      .toBe('acl.source_address_principals[0].cidr: must be a CIDR range such as "10.0.0.0/8" or "2001:db8::/32", got nothing');
  });

  it("names the rule and field of each bad rule", () => {
    expect(errorOf(ruleWith(""))).toBe("");
    expect(errorOf('{"rules":[{"name":"r","effect":"allow","principal":"User:a","resource_type":"group","resource_name":"g","operations":["read"]},{"name":"orders-writers","effect":"allow","principal":"User:alice","resource_type":"topic","resource_name":"t","operations":["write","wrte"]}]}'))
      .toBe('acl.rules[1] ("orders-writers").operations[1]: unknown operation "wrte" (known: read, write, create, delete, alter, describe, describe_configs, alter_configs, idempotent_write, cluster_action, two_phase_commit, all)');
    expect(errorOf(ruleWith('"effekt":"deny"'))).toBe('acl.rules[0] ("r").effekt: unknown field (known: name, effect, principal, resource_type, pattern_type, resource_name, operations, hosts)');
    expect(errorOf('{"rules":[{"effect":"allow"}]}'))
      .toBe('acl.rules[0].name: must be a non-empty string of at most 256 characters, other than "default" and "unknown_topic_id" (audit lines use those), got nothing');
    expect(errorOf('{"rules":[{"name":"default"}]}'))
      .toBe('acl.rules[0].name: must be a non-empty string of at most 256 characters, other than "default" and "unknown_topic_id" (audit lines use those), got "default"');
    expect(errorOf('{"rules":[7]}')).toBe("acl.rules[0]: must be an object, got a number");
  });

  it("names a misspelt rule field as written, even when it is the name", () => {
    // The name was checked first, so "nmae" was reported as a missing name and never named.
    expect(errorOf('{"rules":[{"nmae":"r","effect":"allow"}]}'))
      .toBe("acl.rules[0].nmae: unknown field (known: name, effect, principal, resource_type, pattern_type, resource_name, operations, hosts)");
    expect(errorOf('{"rules":[{"name":"r","efect":"allow"}]}'))
      .toBe('acl.rules[0] ("r").efect: unknown field (known: name, effect, principal, resource_type, pattern_type, resource_name, operations, hosts)');
  });

  it("counts a rule name's length in characters, as the README says, not UTF-16 units", () => {
    const emoji = "\u{1F600}";
    expect(errorOf(ruleWith("").replace('"name":"r"', '"name":"' + emoji.repeat(256) + '"'))).toBe("");
    expect(errorOf(ruleWith("").replace('"name":"r"', '"name":"' + emoji.repeat(257) + '"')).startsWith("acl.rules[0].name: must be")).toBe(true);
    expect(errorOf(ruleWith("").replace('"name":"r"', '"name":"' + "x".repeat(257) + '"')).startsWith("acl.rules[0].name: must be")).toBe(true);
  });

  it("checks each rule field", () => {
    expect(errorOf(ruleWith('"pattern_type":"match"'))).toBe('acl.rules[0] ("r").pattern_type: must be "literal" or "prefixed", got "match"');
    expect(errorOf(ruleWith('"hosts":[]'))).toBe('acl.rules[0] ("r").hosts: must be a non-empty array of CIDR ranges (leave it out for every host), got an array');
    expect(errorOf(ruleWith('"hosts":["10.0.0.0/8","fe80::/200"]'))).toBe('acl.rules[0] ("r").hosts[1]: "fe80::/200" is not a valid CIDR range: prefix length must be a number from 0 to 128');
    expect(errorOf('{"rules":[{"name":"r","effect":"permit"}]}')).toBe('acl.rules[0] ("r").effect: must be "allow" or "deny", got "permit"');
    expect(errorOf('{"rules":[{"name":"r","effect":"allow","principal":"alice"}]}')).toBe('acl.rules[0] ("r").principal: must be "User:<name>" or "User:*", got "alice"');
    expect(errorOf('{"rules":[{"name":"r","effect":"allow","principal":"User:"}]}')).toBe('acl.rules[0] ("r").principal: must be "User:<name>" or "User:*", got "User:"');
    expect(errorOf('{"rules":[{"name":"r","effect":"allow","principal":"User:a","resource_type":"topics"}]}'))
      .toBe('acl.rules[0] ("r").resource_type: unknown resource type "topics" (known: topic, group, transactional_id, cluster)');
    expect(errorOf('{"rules":[{"name":"r","effect":"allow","principal":"User:a","resource_type":"topic","resource_name":""}]}'))
      .toBe('acl.rules[0] ("r").resource_name: must be a non-empty string, got ""');
    expect(errorOf('{"rules":[{"name":"r","effect":"allow","principal":"User:a","resource_type":"topic","pattern_type":"prefixed","resource_name":"*"}]}'))
      .toBe('acl.rules[0] ("r").resource_name: "*" is a wildcard only with pattern_type "literal"; as a prefix it matches no name');
    expect(errorOf('{"rules":[{"name":"r","effect":"allow","principal":"User:a","resource_type":"cluster","resource_name":"prod"}]}'))
      .toBe('acl.rules[0] ("r").resource_name: a cluster rule must name "kafka-cluster" or "*", got "prod"');
    expect(errorOf('{"rules":[{"name":"r","effect":"allow","principal":"User:a","resource_type":"topic","resource_name":"t","operations":[]}]}'))
      .toBe('acl.rules[0] ("r").operations: must be a non-empty array of operation names, got an array');
    expect(errorOf('{"rules":[{"name":"r","effect":"allow","principal":"User:a","resource_type":"topic","resource_name":"t","operations":[3]}]}'))
      .toBe('acl.rules[0] ("r").operations[0]: unknown operation a number (known: read, write, create, delete, alter, describe, describe_configs, alter_configs, idempotent_write, cluster_action, two_phase_commit, all)');
  });

  it("refuses duplicate rule names", () => {
    const rule = '{"name":"dup","effect":"allow","principal":"User:a","resource_type":"topic","resource_name":"t","operations":["read"]}';
    expect(errorOf('{"rules":[' + rule + "," + rule + "]}")).toBe('acl.rules[1] ("dup").name: duplicate rule name (also acl.rules[0])');
  });

  it("caps the number of rules", () => {
    const rules: string[] = [];
    for (let i = 0; i <= 10000; i++) rules.push("{}");
    expect(errorOf('{"rules":[' + rules.join(",") + "]}")).toBe("acl.rules: at most 10000 rules, got 10001");
  });
});

// Who may do what: the rules, and the decision for one (principal, resource,
// operation), with Kafka's semantics:
//   - a matching DENY wins over any ALLOW; else a matching ALLOW allows; else the default;
//   - an ALLOW of Read, Write, Delete or Alter also allows Describe, and an ALLOW of
//     AlterConfigs also allows DescribeConfigs; a DENY denies exactly its operations;
//   - All matches every operation, in ALLOW and DENY rules alike;
//   - LITERAL names match exactly (case-sensitive), LITERAL "*" matches every name,
//     PREFIXED names match names that start with them.
//
// Decisions run per resource per request, so rules are compiled once: each rule's
// operations become a bit mask (implications included), rules are bucketed by resource
// type, and literal names are looked up in a map. A decision allocates nothing.
import { IpAddress, Cidr } from "./address";
import { ANY_PRINCIPAL } from "./principal";
import { Operation, ResourceType } from "./model";

export const enum Effect { Allow = 0, Deny = 1 }
export const enum PatternType { Literal = 0, Prefixed = 1 }

/** In a LITERAL rule, every resource name. */
export const WILDCARD_NAME = "*";
/** Decide()'s answer when no rule matched: the default applies. */
export const NO_RULE: i32 = -1;

/** Resource type codes are small (model.ts); buckets are indexed by them. */
const RESOURCE_TYPE_SLOTS: i32 = 8;
const ALL_OPERATIONS: u32 = u32.MAX_VALUE;

export class AclRule {
  constructor(
    public readonly name: string,
    public readonly effect: Effect,
    /** "User:<name>" or ANY_PRINCIPAL. */
    public readonly principal: string,
    public readonly resourceType: ResourceType,
    public readonly patternType: PatternType,
    public readonly resourceName: string,
    public readonly operations: Operation[],
    /** Source ranges the rule is limited to; empty: every host. */
    public readonly hosts: Cidr[] = [],
  ) {
    this.anyPrincipal = principal == ANY_PRINCIPAL;
    this.anyName = patternType == PatternType.Literal && resourceName == WILDCARD_NAME;
    this.operationMask = operationMask(effect, operations);
  }

  readonly anyPrincipal: bool;
  readonly anyName: bool;
  /** Bit n set: the rule applies to the Operation with code n. */
  readonly operationMask: u32;

  /** True when the rule's principal, host and operation apply (its name is checked by the caller). */
  @inline appliesTo(principal: string, address: IpAddress | null, operationBit: u32): bool {
    return (this.operationMask & operationBit) != 0 &&
      (this.anyPrincipal || this.principal == principal) &&
      (this.hosts.length == 0 || this.hostMatches(address));
  }

  private hostMatches(address: IpAddress | null): bool {
    // Without a known peer address, a host-limited DENY still applies and a
    // host-limited ALLOW does not: unknown fails closed.
    if (address == null) return this.effect == Effect.Deny;
    for (let i = 0; i < this.hosts.length; i++) if (unchecked(this.hosts[i]).contains(address)) return true;
    return false;
  }
}

/** The operations a rule with this effect matches, as a bit mask over Operation codes. */
export function operationMask(effect: Effect, operations: Operation[]): u32 {
  let mask: u32 = 0;
  for (let i = 0; i < operations.length; i++) {
    const operation = operations[i];
    if (operation == Operation.All) return ALL_OPERATIONS;
    mask |= operationBit(operation);
    if (effect != Effect.Allow) continue;
    if (operation == Operation.Read || operation == Operation.Write || operation == Operation.Delete || operation == Operation.Alter) {
      mask |= operationBit(Operation.Describe);
    } else if (operation == Operation.AlterConfigs) {
      mask |= operationBit(Operation.DescribeConfigs);
    }
  }
  return mask;
}

@inline function operationBit(operation: Operation): u32 {
  const code = <i32>operation;
  return code >= 0 && code < 32 ? (<u32>1) << <u32>code : 0;
}

/** The rules of one resource type, split by how their names match. */
class ResourceRules {
  /** Literal names to the indexes of the rules naming them. */
  readonly literal: Map<string, i32[]> = new Map<string, i32[]>();
  /** Prefixed and wildcard rules: every one is tried. */
  readonly patterns: i32[] = [];
}

export class Policy {
  private readonly buckets: StaticArray<ResourceRules | null> = new StaticArray<ResourceRules | null>(RESOURCE_TYPE_SLOTS);

  constructor(readonly rules: AclRule[], readonly defaultAllow: bool) {
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      const type = <i32>rule.resourceType;
      if (type < 0 || type >= RESOURCE_TYPE_SLOTS) continue;
      let bucket = this.buckets[type];
      if (bucket == null) {
        bucket = new ResourceRules();
        this.buckets[type] = bucket;
      }
      if (rule.patternType == PatternType.Literal && !rule.anyName) {
        if (!bucket.literal.has(rule.resourceName)) bucket.literal.set(rule.resourceName, []);
        bucket.literal.get(rule.resourceName).push(i);
      } else {
        bucket.patterns.push(i);
      }
    }
  }

  /**
   * The rule that decides whether `principal`, connected from `address` (null:
   * unknown), may perform `operation` on the named resource: a matching DENY (rules
   * naming the resource literally are tried first), else the earliest matching ALLOW,
   * else NO_RULE (the default applies).
   */
  decide(principal: string, address: IpAddress | null, resourceType: ResourceType, name: string, operation: Operation): i32 {
    const type = <i32>resourceType;
    if (type < 0 || type >= RESOURCE_TYPE_SLOTS) return NO_RULE;
    const bucket = unchecked(this.buckets[type]);
    if (bucket == null) return NO_RULE;
    const bit = operationBit(operation);
    if (bit == 0) return NO_RULE;
    const rules = this.rules;
    let allowing = NO_RULE;
    if (bucket.literal.has(name)) {
      const candidates = bucket.literal.get(name);
      for (let i = 0; i < candidates.length; i++) {
        const index = unchecked(candidates[i]);
        const rule = unchecked(rules[index]);
        if (!rule.appliesTo(principal, address, bit)) continue;
        if (rule.effect == Effect.Deny) return index;
        if (allowing == NO_RULE || index < allowing) allowing = index;
      }
    }
    const patterns = bucket.patterns;
    for (let i = 0; i < patterns.length; i++) {
      const index = unchecked(patterns[i]);
      const rule = unchecked(rules[index]);
      if (!rule.anyName && !name.startsWith(rule.resourceName)) continue;
      if (!rule.appliesTo(principal, address, bit)) continue;
      if (rule.effect == Effect.Deny) return index;
      if (allowing == NO_RULE || index < allowing) allowing = index;
    }
    return allowing;
  }

  /** Whether decide()'s answer allows. */
  @inline allows(decision: i32): bool {
    return decision == NO_RULE ? this.defaultAllow : unchecked(this.rules[decision]).effect == Effect.Allow;
  }

  /** The deciding rule's name, or "default". */
  ruleName(decision: i32): string {
    return decision == NO_RULE ? "default" : this.rules[decision].name;
  }
}

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
// type, and literal names and prefixes are looked up in hash tables, so a decision
// costs one pass over the requested name whatever the number of rules, and allocates
// nothing.
import { IpAddress, Cidr } from "./address";
import { ANY_PRINCIPAL } from "./principal";
import { Operation, ResourceType } from "./model";

/** A rule's `effect`: a matching DENY beats any ALLOW, as in Kafka's StandardAuthorizer. */
export const enum Effect { Allow = 0, Deny = 1 }
/**
 * A rule's `pattern_type`: LITERAL names one resource (or "*" every one), PREFIXED every name starting with it
 * (Kafka's PatternType).
 */
export const enum PatternType { Literal = 0, Prefixed = 1 }

/** In a LITERAL rule, every resource name. */
export const WILDCARD_NAME = "*";
/** Decide()'s answer when no rule matched: the default applies. */
export const NO_RULE: i32 = -1;

/** Resource type codes are small (model.ts); buckets are indexed by them. */
const RESOURCE_TYPE_SLOTS: i32 = 8;
const ALL_OPERATIONS: u32 = u32.MAX_VALUE;

/** One entry of acl.rules, validated by config.ts. */
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

/** The rules naming one resource name (literally) or one prefix. */
class NameEntry {
  readonly rules: i32[] = [];
  constructor(readonly name: string, readonly hash: u32) {}
}

const FNV_OFFSET: u32 = 2166136261;
const FNV_PRIME: u32 = 16777619;

@inline function hashStep(hash: u32, c: i32): u32 {
  return (hash ^ <u32>c) * FNV_PRIME;
}

function hashOf(text: string): u32 {
  let hash = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) hash = hashStep(hash, text.charCodeAt(i));
  return hash;
}

/**
 * Names (literal names, or prefixes) to the rules that carry them: an open-addressing
 * table keyed by a hash that decide() computes incrementally over the requested name,
 * so every prefix of it can be looked up without slicing the string.
 */
class NameTable {
  private readonly entries: NameEntry[] = [];
  private readonly indexByName: Map<string, i32> = new Map<string, i32>();
  private slots: StaticArray<i32> = new StaticArray<i32>(0);
  private mask: u32 = 0;
  /** Distinct name lengths, ascending: the only prefix lengths worth probing. */
  readonly lengths: i32[] = [];

  add(name: string, rule: i32): void {
    if (this.indexByName.has(name)) {
      this.entries[this.indexByName.get(name)].rules.push(rule);
      return;
    }
    this.indexByName.set(name, this.entries.length);
    const entry = new NameEntry(name, hashOf(name));
    entry.rules.push(rule);
    this.entries.push(entry);
    if (!this.lengths.includes(name.length)) {
      this.lengths.push(name.length);
      this.lengths.sort();
    }
  }

  /** Builds the probe table; call once after the last add(). */
  seal(): void {
    let capacity = 8;
    while (capacity < this.entries.length * 2) capacity <<= 1;
    this.slots = new StaticArray<i32>(capacity);
    this.mask = <u32>(capacity - 1);
    for (let i = 0; i < this.entries.length; i++) {
      let slot = this.entries[i].hash & this.mask;
      while (this.slots[slot] != 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = i + 1;
    }
  }

  get size(): i32 { return this.entries.length; }

  /** The entry whose name equals the first `length` characters of `text` (hashing to `hash`), or null. */
  find(text: string, length: i32, hash: u32): NameEntry | null {
    let slot = hash & this.mask;
    for (;;) {
      const index = unchecked(this.slots[slot]);
      if (index == 0) return null;
      const entry = unchecked(this.entries[index - 1]);
      if (entry.hash == hash && entry.name.length == length &&
        memory.compare(changetype<usize>(entry.name), changetype<usize>(text), <usize>length << 1) == 0) {
        return entry;
      }
      slot = (slot + 1) & this.mask;
    }
    return null; // unreachable; AssemblyScript's flow analysis wants an exit
  }
}

/** The rules of one resource type, split by how their names match. */
class ResourceRules {
  readonly literal: NameTable = new NameTable();
  readonly prefixed: NameTable = new NameTable();
  /** LITERAL "*" rules: they match every name. */
  readonly wildcard: i32[] = [];
}

@inline function denyIndex(encoded: i32): i32 {
  return -2 - encoded;
}

/**
 * The rules indexed by resource type and name so that decide() costs one pass over the
 * name, not one test per rule. `rules` keep config order: among allowing rules the
 * earliest is reported.
 */
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
      if (rule.anyName) bucket.wildcard.push(i);
      else if (rule.patternType == PatternType.Literal) bucket.literal.add(rule.resourceName, i);
      else bucket.prefixed.add(rule.resourceName, i);
    }
    for (let type = 0; type < RESOURCE_TYPE_SLOTS; type++) {
      const bucket = this.buckets[type];
      if (bucket == null) continue;
      bucket.literal.seal();
      bucket.prefixed.seal();
    }
  }

  /**
   * The rule that decides whether `principal`, connected from `address` (null:
   * unknown), may perform `operation` on the named resource: a matching DENY, else
   * the earliest matching ALLOW, else NO_RULE (the default applies).
   */
  decide(principal: string, address: IpAddress | null, resourceType: ResourceType, name: string, operation: Operation): i32 {
    const type = <i32>resourceType;
    if (type < 0 || type >= RESOURCE_TYPE_SLOTS) return NO_RULE;
    const bucket = unchecked(this.buckets[type]);
    if (bucket == null) return NO_RULE;
    const bit = operationBit(operation);
    if (bit == 0) return NO_RULE;
    let allowing = NO_RULE;
    // One pass over the name hashes each of its prefixes; those as long as some
    // PREFIXED rule's name are looked up, and so is the whole name among LITERAL ones.
    const prefixed = bucket.prefixed;
    const prefixLengths = prefixed.lengths;
    let nextLength = 0;
    const nameLength = name.length;
    let hash = FNV_OFFSET;
    for (let i = 0; i <= nameLength; i++) {
      if (nextLength < prefixLengths.length && unchecked(prefixLengths[nextLength]) == i) {
        nextLength++;
        const entry = prefixed.find(name, i, hash);
        if (entry != null) {
          const found = this.decideAmong(entry.rules, principal, address, bit, allowing);
          if (found < NO_RULE) return denyIndex(found);
          allowing = found;
        }
      }
      if (i < nameLength) hash = hashStep(hash, name.charCodeAt(i));
    }
    if (bucket.literal.size > 0) {
      const entry = bucket.literal.find(name, nameLength, hash);
      if (entry != null) {
        const found = this.decideAmong(entry.rules, principal, address, bit, allowing);
        if (found < NO_RULE) return denyIndex(found);
        allowing = found;
      }
    }
    const found = this.decideAmong(bucket.wildcard, principal, address, bit, allowing);
    return found < NO_RULE ? denyIndex(found) : found;
  }

  /**
   * Among rules whose name matched: a DENY that applies, encoded as -2 - index, or
   * else the earlier of `allowing` and the first ALLOW that applies.
   */
  private decideAmong(candidates: i32[], principal: string, address: IpAddress | null, bit: u32, allowing: i32): i32 {
    const rules = this.rules;
    for (let i = 0; i < candidates.length; i++) {
      const index = unchecked(candidates[i]);
      const rule = unchecked(rules[index]);
      if (!rule.appliesTo(principal, address, bit)) continue;
      if (rule.effect == Effect.Deny) return -2 - index;
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

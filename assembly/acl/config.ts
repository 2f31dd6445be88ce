// The "acl" member of the plugin configuration: schema, defaults and validation.
// Every error names its place, down to the rule and the array element, e.g.
//   acl.rules[3] ("orders-writers").operations[1]: unknown operation "wrte" (known: read, ...)
// so an operator can fix a policy of thousands of rules from Envoy's log alone.
import { JsonKind, JsonValue, jsonKindName } from "../config/json";
import { Cidr, parseCidr } from "./address";
import { AclMode } from "./authorizer";
import { CLUSTER_NAME, Operation, ResourceType } from "./model";
import { OPERATION_NAMES, RESOURCE_TYPE_NAMES, operationNamed, resourceTypeNamed } from "./names";
import { AclRule, Effect, PatternType, Policy, WILDCARD_NAME } from "./policy";
import { ANY_PRINCIPAL, AddressPrincipal, PRINCIPAL_PREFIX, PRINCIPAL_SOURCE_NAMES, PrincipalSource } from "./principal";
import { PrincipalMapping, PrincipalMappingParse, parsePrincipalMappingRuleList, parsePrincipalMappingRules } from "./principal-mapping";

/** Limits on acl config, checked at load so a typo cannot make a policy unboundedly large: entries of acl.rules. */
export const MAX_RULES: i32 = 10000;
/** Entries of acl.source_address_principals. */
export const MAX_ADDRESS_PRINCIPALS: i32 = 10000;
/** Characters (Unicode code points, a surrogate pair counting once) of a rule's `name`; it appears in every audit line and stat of the rule. */
export const MAX_RULE_NAME_CHARS: i32 = 256;

const KNOWN_FIELDS: string[] = ["mode", "default", "principal_sources", "source_address_principals", "tls_principal_mapping_rules", "rules"];
const RULE_FIELDS: string[] = ["name", "effect", "principal", "resource_type", "pattern_type", "resource_name", "operations", "hosts"];
const ADDRESS_PRINCIPAL_FIELDS: string[] = ["cidr", "principal"];

/** The validated "acl" member; `policy` is built from `rules` and `defaultAllow` once parsed. */
export class AclConfig {
  mode: AclMode = AclMode.Enforce;
  /** What a decision no rule matches gets. */
  defaultAllow: bool = false;
  /**
   * Where principals come from, first match wins. The client id is left out by
   * default: a client chooses it freely, so it proves nothing.
   */
  principalSources: StaticArray<PrincipalSource> = [
    PrincipalSource.Sasl, PrincipalSource.TlsSubject, PrincipalSource.TlsSan, PrincipalSource.SourceAddress,
  ];
  addressPrincipals: AddressPrincipal[] = [];
  /** Kafka's ssl.principal.mapping.rules for the tls_subject source; null: the subject as it is (DEFAULT). */
  tlsPrincipalMapping: PrincipalMapping | null = null;
  rules: AclRule[] = [];
  /** The rules compiled for decisions, with the default. */
  policy: Policy = new Policy([], false);
}

/**
 * parseAclConfig's answer: `config` when valid, else null and `error` naming the field (e.g. acl.rules[3]
 * ("x").operations[1]).
 */
export class AclConfigResult {
  config: AclConfig | null = null;
  error: string = "";
}

/** Parses and validates the "acl" member (`value`) of the plugin configuration. */
export function parseAclConfig(value: JsonValue): AclConfigResult {
  const result = new AclConfigResult();
  const config = new AclConfig();
  if (value.kind != JsonKind.Object) return fail(result, "acl: must be an object, got " + jsonKindName(value.kind));
  const unknown = unknownField(value, KNOWN_FIELDS);
  if (unknown != null) return fail(result, "acl." + unknown + ": unknown field (known: " + KNOWN_FIELDS.join(", ") + ")");

  const mode = value.member("mode");
  if (mode != null) {
    if (isString(mode, "enforce")) config.mode = AclMode.Enforce;
    else if (isString(mode, "dry_run")) config.mode = AclMode.DryRun;
    else return fail(result, "acl.mode: must be \"enforce\" or \"dry_run\", got " + describe(mode));
  }
  const defaultDecision = value.member("default");
  if (defaultDecision != null) {
    if (isString(defaultDecision, "deny")) config.defaultAllow = false;
    else if (isString(defaultDecision, "allow")) config.defaultAllow = true;
    else return fail(result, "acl.default: must be \"deny\" or \"allow\", got " + describe(defaultDecision));
  }

  const sources = value.member("principal_sources");
  if (sources != null) {
    if (sources.kind != JsonKind.Array) return fail(result, "acl.principal_sources: must be an array, got " + jsonKindName(sources.kind));
    const order = new StaticArray<PrincipalSource>(sources.items.length);
    for (let i = 0; i < sources.items.length; i++) {
      const where = "acl.principal_sources[" + i.toString() + "]";
      const item = sources.items[i];
      const source = item.kind == JsonKind.String ? PRINCIPAL_SOURCE_NAMES.indexOf(item.stringValue) : -1;
      if (source < 0) {
        return fail(result, where + ": unknown principal source " + describe(item) + " (known: " + PRINCIPAL_SOURCE_NAMES.join(", ") + ")");
      }
      for (let j = 0; j < i; j++) {
        if (<i32>order[j] == source) return fail(result, where + ": \"" + item.stringValue + "\" is listed twice");
      }
      order[i] = <PrincipalSource>source;
    }
    config.principalSources = order;
  }

  const mappings = value.member("source_address_principals");
  if (mappings != null) {
    if (mappings.kind != JsonKind.Array) return fail(result, "acl.source_address_principals: must be an array, got " + jsonKindName(mappings.kind));
    if (mappings.items.length > MAX_ADDRESS_PRINCIPALS) {
      return fail(result, "acl.source_address_principals: at most " + MAX_ADDRESS_PRINCIPALS.toString() + " entries, got " + mappings.items.length.toString());
    }
    for (let i = 0; i < mappings.items.length; i++) {
      const mapping = parseAddressPrincipal(mappings.items[i], "acl.source_address_principals[" + i.toString() + "]", result);
      if (mapping == null) return result;
      config.addressPrincipals.push(mapping);
    }
  }

  const mappingRules = value.member("tls_principal_mapping_rules");
  if (mappingRules != null) {
    const where = "acl.tls_principal_mapping_rules";
    if (!config.principalSources.includes(PrincipalSource.TlsSubject)) {
      return fail(result, where + ": set, but acl.principal_sources does not list \"tls_subject\", the source it maps");
    }
    let parsed: PrincipalMappingParse;
    if (mappingRules.kind == JsonKind.String) {
      parsed = parsePrincipalMappingRules(mappingRules.stringValue);
    } else if (mappingRules.kind == JsonKind.Array) {
      const items: string[] = [];
      for (let i = 0; i < mappingRules.items.length; i++) {
        const item = mappingRules.items[i];
        if (item.kind != JsonKind.String) return fail(result, where + "[" + i.toString() + "]: must be a rule string, got " + jsonKindName(item.kind));
        items.push(item.stringValue);
      }
      parsed = parsePrincipalMappingRuleList(items);
    } else {
      return fail(result, where + ": must be a string in the syntax of Kafka's ssl.principal.mapping.rules, or an array of rule strings, got " +
        jsonKindName(mappingRules.kind));
    }
    if (parsed.mapping == null) return fail(result, where + ": " + parsed.error);
    config.tlsPrincipalMapping = parsed.mapping;
  }

  const rules = value.member("rules");
  if (rules != null) {
    if (rules.kind != JsonKind.Array) return fail(result, "acl.rules: must be an array, got " + jsonKindName(rules.kind));
    if (rules.items.length > MAX_RULES) {
      return fail(result, "acl.rules: at most " + MAX_RULES.toString() + " rules, got " + rules.items.length.toString());
    }
    const ruleIndexByName = new Map<string, i32>();
    for (let i = 0; i < rules.items.length; i++) {
      const rule = parseRule(rules.items[i], i, result);
      if (rule == null) return result;
      if (ruleIndexByName.has(rule.name)) {
        return fail(result, rulePlace(i, rule.name) + ".name: duplicate rule name (also acl.rules[" + ruleIndexByName.get(rule.name).toString() + "])");
      }
      ruleIndexByName.set(rule.name, i);
      config.rules.push(rule);
    }
  }

  config.policy = new Policy(config.rules, config.defaultAllow);
  result.config = config;
  return result;
}

function parseAddressPrincipal(item: JsonValue, where: string, result: AclConfigResult): AddressPrincipal | null {
  if (item.kind != JsonKind.Object) { fail(result, where + ": must be an object, got " + jsonKindName(item.kind)); return null; }
  const unknown = unknownField(item, ADDRESS_PRINCIPAL_FIELDS);
  if (unknown != null) {
    fail(result, where + "." + unknown + ": unknown field (known: " + ADDRESS_PRINCIPAL_FIELDS.join(", ") + ")");
    return null;
  }
  const cidr = parseCidrField(item.member("cidr"), where + ".cidr", result);
  if (cidr == null) return null;
  const principal = item.member("principal");
  if (principal == null || principal.kind != JsonKind.String || !isNamedPrincipal(principal.stringValue)) {
    fail(result, where + ".principal: must be \"User:<name>\", got " + describe(principal));
    return null;
  }
  return new AddressPrincipal(cidr, principal.stringValue);
}

function parseRule(item: JsonValue, index: i32, result: AclConfigResult): AclRule | null {
  const bare = "acl.rules[" + index.toString() + "]";
  if (item.kind != JsonKind.Object) { fail(result, bare + ": must be an object, got " + jsonKindName(item.kind)); return null; }
  // Unknown fields first: a misspelt "name" is named as written, not reported as a missing name.
  const misspelt = unknownField(item, RULE_FIELDS);
  const namePlace = item.member("name");
  if (misspelt != null) {
    const place = namePlace != null && namePlace.kind == JsonKind.String ? rulePlace(index, namePlace.stringValue) : bare;
    fail(result, place + "." + misspelt + ": unknown field (known: " + RULE_FIELDS.join(", ") + ")");
    return null;
  }
  const nameValue = namePlace;
  if (nameValue == null || nameValue.kind != JsonKind.String || nameValue.stringValue.length == 0 ||
    characterCount(nameValue.stringValue) > MAX_RULE_NAME_CHARS || nameValue.stringValue == "default" || nameValue.stringValue == "unknown_topic_id") {
    fail(result, bare + ".name: must be a non-empty string of at most " + MAX_RULE_NAME_CHARS.toString() +
      " characters, other than \"default\" and \"unknown_topic_id\" (audit lines use those), got " + describe(nameValue));
    return null;
  }
  const name = nameValue.stringValue;
  const where = rulePlace(index, name);

  const effectValue = item.member("effect");
  let effect = Effect.Allow;
  if (effectValue != null && isString(effectValue, "allow")) effect = Effect.Allow;
  else if (effectValue != null && isString(effectValue, "deny")) effect = Effect.Deny;
  else { fail(result, where + ".effect: must be \"allow\" or \"deny\", got " + describe(effectValue)); return null; }

  const principal = item.member("principal");
  if (principal == null || principal.kind != JsonKind.String ||
    (principal.stringValue != ANY_PRINCIPAL && !isNamedPrincipal(principal.stringValue))) {
    fail(result, where + ".principal: must be \"User:<name>\" or \"User:*\", got " + describe(principal));
    return null;
  }

  const typeValue = item.member("resource_type");
  const resourceType = typeValue != null && typeValue.kind == JsonKind.String ? resourceTypeNamed(typeValue.stringValue) : -1;
  if (resourceType < 0) {
    fail(result, where + ".resource_type: unknown resource type " + describe(typeValue) + " (known: " + RESOURCE_TYPE_NAMES.join(", ") + ")");
    return null;
  }

  const patternValue = item.member("pattern_type");
  let patternType = PatternType.Literal;
  if (patternValue == null || isString(patternValue, "literal")) patternType = PatternType.Literal;
  else if (isString(patternValue, "prefixed")) patternType = PatternType.Prefixed;
  else { fail(result, where + ".pattern_type: must be \"literal\" or \"prefixed\", got " + describe(patternValue)); return null; }

  const resourceValue = item.member("resource_name");
  if (resourceValue == null || resourceValue.kind != JsonKind.String || resourceValue.stringValue.length == 0) {
    fail(result, where + ".resource_name: must be a non-empty string, got " + describe(resourceValue));
    return null;
  }
  const resourceName = resourceValue.stringValue;
  if (patternType == PatternType.Prefixed && resourceName == WILDCARD_NAME) {
    fail(result, where + ".resource_name: \"*\" is a wildcard only with pattern_type \"literal\"; as a prefix it matches no name");
    return null;
  }
  if (resourceType == <i32>ResourceType.Cluster && resourceName != CLUSTER_NAME && resourceName != WILDCARD_NAME) {
    fail(result, where + ".resource_name: a cluster rule must name \"" + CLUSTER_NAME + "\" or \"*\", got " + describe(resourceValue));
    return null;
  }

  const operationsValue = item.member("operations");
  if (operationsValue == null || operationsValue.kind != JsonKind.Array || operationsValue.items.length == 0) {
    fail(result, where + ".operations: must be a non-empty array of operation names, got " + describe(operationsValue));
    return null;
  }
  const operations: Operation[] = [];
  for (let i = 0; i < operationsValue.items.length; i++) {
    const op = operationsValue.items[i];
    const code = op.kind == JsonKind.String ? operationNamed(op.stringValue) : -1;
    if (code < 0) {
      fail(result, where + ".operations[" + i.toString() + "]: unknown operation " + describe(op) + " (known: " + OPERATION_NAMES.join(", ") + ")");
      return null;
    }
    operations.push(<Operation>code);
  }

  const hosts: Cidr[] = [];
  const hostsValue = item.member("hosts");
  if (hostsValue != null) {
    if (hostsValue.kind != JsonKind.Array || hostsValue.items.length == 0) {
      fail(result, where + ".hosts: must be a non-empty array of CIDR ranges (leave it out for every host), got " + describe(hostsValue));
      return null;
    }
    for (let i = 0; i < hostsValue.items.length; i++) {
      const cidr = parseCidrField(hostsValue.items[i], where + ".hosts[" + i.toString() + "]", result);
      if (cidr == null) return null;
      hosts.push(cidr);
    }
  }

  return new AclRule(name, effect, principal.stringValue, <ResourceType>resourceType, patternType, resourceName, operations, hosts);
}

function parseCidrField(value: JsonValue | null, where: string, result: AclConfigResult): Cidr | null {
  if (value == null || value.kind != JsonKind.String) {
    fail(result, where + ": must be a CIDR range such as \"10.0.0.0/8\" or \"2001:db8::/32\", got " + describe(value));
    return null;
  }
  const parsed = parseCidr(value.stringValue);
  if (parsed.cidr == null) {
    fail(result, where + ": " + describe(value) + " is not a valid CIDR range: " + parsed.error);
    return null;
  }
  return parsed.cidr;
}

function rulePlace(index: i32, name: string): string {
  return "acl.rules[" + index.toString() + "] (\"" + name + "\")";
}

/** Unicode characters (code points), as the README counts a rule name: a surrogate pair is one. */
function characterCount(text: string): i32 {
  let count = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const before = text.charCodeAt(i - 1);
      if (before >= 0xd800 && before <= 0xdbff) count--;
    }
  }
  return count;
}

/** "User:" followed by a name, which is not the wildcard. */
function isNamedPrincipal(text: string): bool {
  return text.startsWith(PRINCIPAL_PREFIX) && text.length > PRINCIPAL_PREFIX.length && text != ANY_PRINCIPAL;
}

function unknownField(object: JsonValue, known: string[]): string | null {
  for (let i = 0; i < object.keys.length; i++) if (!known.includes(object.keys[i])) return object.keys[i];
  return null;
}

function isString(value: JsonValue, text: string): bool {
  return value.kind == JsonKind.String && value.stringValue == text;
}

/** A value as an error message shows it: strings quoted, anything else by its kind. */
function describe(value: JsonValue | null): string {
  if (value == null) return "nothing";
  if (value.kind == JsonKind.String) return "\"" + value.stringValue + "\"";
  return jsonKindName(value.kind);
}

function fail(result: AclConfigResult, message: string): AclConfigResult {
  result.error = message;
  return result;
}

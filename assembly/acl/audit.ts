// What the ACL reports: one JSON audit line per denial, and counters of decisions by
// resource type, operation and decision. Both sinks are abstract so unit tests can
// capture them; the Host* classes write through the proxy-wasm host.
import { Operation, ResourceType } from "./model";
import { operationName, resourceTypeName } from "./names";
import { LogLevel, MetricType, defineMetric, incrementMetric, log } from "../proxy/host";

/** An ACL decision as counted (acl.<type>.<operation>.<decision> stats) and written to the audit log. */
export const enum Decision {
  Allowed = 0,
  Denied = 1,
  /** A denial in dry-run mode: reported, but the request goes through. */
  WouldDeny = 2,
}
const DECISION_COUNT: i32 = 3;
const DECISION_STAT_NAMES: StaticArray<string> = ["allowed", "denied", "would_deny"];

/** The spelling of a decision in audit lines. */
export function auditDecisionName(decision: Decision): string {
  if (decision == Decision.Denied) return "DENIED";
  if (decision == Decision.WouldDeny) return "WOULD_DENY";
  return "ALLOWED";
}

/**
 * Names and principals can come from the peer (a client id, a topic in a request);
 * longer ones are cut here so one request cannot write megabytes of log.
 */
export const AUDIT_FIELD_MAX_CHARS: i32 = 512;

/**
 * One audit line: a single-line JSON object with, in this order, principal, api,
 * resource_type, resource, operation, decision and rule.
 */
export function auditLine(
  principal: string, api: string, resourceType: ResourceType, resource: string,
  operation: Operation, decision: Decision, rule: string,
): string {
  return "{\"principal\":" + jsonString(principal) +
    ",\"api\":" + jsonString(api) +
    ",\"resource_type\":\"" + resourceTypeName(resourceType) +
    "\",\"resource\":" + jsonString(resource) +
    ",\"operation\":\"" + operationName(operation) +
    "\",\"decision\":\"" + auditDecisionName(decision) +
    "\",\"rule\":" + jsonString(rule) + "}";
}

/** `text` as a JSON string literal: quoted, escaped, never spanning lines, cut at AUDIT_FIELD_MAX_CHARS. */
export function jsonString(text: string): string {
  const truncated = text.length > AUDIT_FIELD_MAX_CHARS;
  const length = truncated ? AUDIT_FIELD_MAX_CHARS : text.length;
  let out = "\"";
  let runStart = 0;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c != 0x22 && c != 0x5c && c != 0x2028 && c != 0x2029) continue;
    out += text.substring(runStart, i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else out += "\\u" + c.toString(16).padStart(4, "0");
    runStart = i + 1;
  }
  out += text.substring(runStart, length);
  if (truncated) out += "...";
  return out + "\"";
}

/** Where audit lines go. */
export abstract class AuditLog {
  abstract write(line: string): void;
}

/** Audit lines into Envoy's log (the wasm component, level info). */
export class HostAuditLog extends AuditLog {
  write(line: string): void {
    log(LogLevel.Info, line);
  }
}

/** Counts ACL decisions. */
export abstract class AclMetrics {
  abstract count(resourceType: ResourceType, operation: Operation, decision: Decision): void;
}

/**
 * The stat counting one kind of decision:
 * kafka.<stat_prefix>.acl.decisions.<resource_type>.<operation>.<decision>. Every part
 * after the prefix is a fixed word, so the label set stays bounded.
 */
export function aclStatName(statPrefix: string, resourceType: ResourceType, operation: Operation, decision: Decision): string {
  return "kafka." + statPrefix + ".acl.decisions." + resourceTypeName(resourceType) + "." + operationName(operation) + "." +
    DECISION_STAT_NAMES[<i32>decision];
}

const NOT_DEFINED: u32 = u32.MAX_VALUE - 1;
// Resource type and operation codes are small (model.ts): flat tables indexed by them.
const RESOURCE_TYPE_SLOTS: i32 = 8;
const OPERATION_SLOTS: i32 = 16;

/**
 * Decision counters through the proxy-wasm metrics ABI, defined the first time each
 * (resource type, operation, decision) occurs, so /stats lists only what happens.
 * One per root context: counting is one table load and one host call.
 */
export class HostAclMetrics extends AclMetrics {
  private readonly ids: StaticArray<u32> = new StaticArray<u32>(RESOURCE_TYPE_SLOTS * OPERATION_SLOTS * DECISION_COUNT);

  constructor(private readonly statPrefix: string) {
    super();
    for (let i = 0; i < this.ids.length; i++) unchecked(this.ids[i] = NOT_DEFINED);
  }

  count(resourceType: ResourceType, operation: Operation, decision: Decision): void {
    const type = <i32>resourceType;
    const op = <i32>operation;
    const d = <i32>decision;
    if (type < 0 || type >= RESOURCE_TYPE_SLOTS || op < 0 || op >= OPERATION_SLOTS || d < 0 || d >= DECISION_COUNT) return;
    const slot = (type * OPERATION_SLOTS + op) * DECISION_COUNT + d;
    let id = unchecked(this.ids[slot]);
    if (id == NOT_DEFINED) {
      id = defineMetric(MetricType.Counter, aclStatName(this.statPrefix, resourceType, operation, decision));
      unchecked(this.ids[slot] = id);
    }
    incrementMetric(id, 1);
  }
}

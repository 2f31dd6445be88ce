// The Authorizer of one connection: the policy applied to the connection's current
// principal, with every decision counted and every denial audited. In dry-run mode a
// denial is reported as WOULD_DENY and the action is allowed.
import { Uuid } from "../codec/types";
import { apiName } from "../codec/generated/apis";
import { IpAddress } from "./address";
import { AclMetrics, AuditLog, Decision, auditLine } from "./audit";
import { Authorizer, Operation, ResourceType } from "./model";
import { Policy } from "./policy";
import { ANONYMOUS } from "./principal";

/** acl.mode: `enforce` applies denials; `dry_run` reports them (WOULD_DENY) and forwards every request as it came. */
export const enum AclMode { Enforce = 0, DryRun = 1 }

/** Topic names by id, learned from Metadata responses (acl/topic-ids.ts keeps them in shared data). */
export abstract class TopicIdNames {
  abstract nameOf(id: Uuid): string | null;
}

/** The rule an audit line names when a topic id's name is not known. */
export const UNKNOWN_TOPIC_ID_RULE = "unknown_topic_id";

/** What every connection of a plugin shares: the policy, mode and sinks. */
export class AclContext {
  constructor(
    readonly policy: Policy,
    readonly mode: AclMode,
    readonly audit: AuditLog,
    readonly metrics: AclMetrics,
    readonly topicIds: TopicIdNames,
  ) {}
}

/**
 * The Authorizer of one connection: decides with the shared Policy for the current
 * principal and source address, counts every decision and audits denials under the
 * API being gated. See Authorizer for the dry-run contract.
 */
export class ConnectionAuthorizer extends Authorizer {
  /** "User:<name>"; the connection updates it when its principal changes (SASL completes). */
  principal: string = ANONYMOUS;
  /** The peer address, for rules limited to hosts; null when unknown. */
  sourceAddress: IpAddress | null = null;
  /** The API of the request being gated; the connection sets it before each gate call. */
  apiKey: i16 = -1;

  constructor(readonly context: AclContext) {
    super();
  }

  /** See Authorizer.allowed; a denial is counted as denied or would_deny by mode. */
  allowed(resourceType: ResourceType, name: string, operation: Operation, logIfDenied: bool): bool {
    const context = this.context;
    const policy = context.policy;
    const rule = policy.decide(this.principal, this.sourceAddress, resourceType, name, operation);
    if (policy.allows(rule)) {
      context.metrics.count(resourceType, operation, Decision.Allowed);
      return true;
    }
    return this.denied(resourceType, name, operation, logIfDenied, policy.ruleName(rule));
  }

  /** See Authorizer.wouldAllow: the policy's answer alone, neither counted nor audited. */
  wouldAllow(resourceType: ResourceType, name: string, operation: Operation): bool {
    const policy = this.context.policy;
    return policy.allows(policy.decide(this.principal, this.sourceAddress, resourceType, name, operation));
  }

  /** See Authorizer.allowedTopicId; an unlearned id is denied under the rule `unknown_topic_id`, named by its UUID. */
  allowedTopicId(id: Uuid, operation: Operation): bool {
    const name = this.context.topicIds.nameOf(id);
    if (name == null) return this.denied(ResourceType.Topic, id.toString(), operation, true, UNKNOWN_TOPIC_ID_RULE);
    return this.allowed(ResourceType.Topic, name, operation, true);
  }

  /** See Authorizer.topicName. */
  topicName(id: Uuid): string | null {
    return this.context.topicIds.nameOf(id);
  }

  private denied(resourceType: ResourceType, name: string, operation: Operation, logIt: bool, rule: string): bool {
    const context = this.context;
    const decision = context.mode == AclMode.DryRun ? Decision.WouldDeny : Decision.Denied;
    context.metrics.count(resourceType, operation, decision);
    if (logIt) context.audit.write(auditLine(this.principal, apiName(this.apiKey), resourceType, name, operation, decision, rule));
    // Gates see the true decision in both modes, so that a dry run follows exactly the
    // checks enforcement would make (a failed quiet check leads on to the next one); the
    // enforcer then forwards everything untouched (see dryRun).
    return false;
  }

  /** True in dry-run mode: the enforcer reports gate results but lets every request pass. */
  get dryRun(): bool {
    return this.context.mode == AclMode.DryRun;
  }
}

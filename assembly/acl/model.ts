// The vocabulary of topic ACLs, shared by the policy (who may do what), the gates
// (what each Kafka API asks for, and how a denial looks on the wire) and the
// connection (which holds, rewrites and answers frames). Codes are Kafka's own
// AclResourceType and AclOperation codes, so logs and docs read like Kafka's.
import { Message } from "../codec/message";
import { Uuid } from "../codec/types";

/** Kafka's AclResourceType codes (org.apache.kafka.common.resource.ResourceType). */
export const enum ResourceType {
  Topic = 2,
  Group = 3,
  Cluster = 4,
  TransactionalId = 5,
  DelegationToken = 6,
  User = 7,
}

/** Kafka's AclOperation codes (org.apache.kafka.common.acl.AclOperation). */
export const enum Operation {
  All = 2,
  Read = 3,
  Write = 4,
  Create = 5,
  Delete = 6,
  Alter = 7,
  Describe = 8,
  ClusterAction = 9,
  DescribeConfigs = 10,
  AlterConfigs = 11,
  IdempotentWrite = 12,
  CreateTokens = 13,
  DescribeTokens = 14,
  TwoPhaseCommit = 15,
}

/** The name of the single Cluster resource, as Kafka spells it. */
export const CLUSTER_NAME = "kafka-cluster";

/** Kafka error codes a denial answers with. */
export const TOPIC_AUTHORIZATION_FAILED: i16 = 29;
/** Codes from Kafka's Errors (protocol error codes); the denial sends each code as it is. */
export const GROUP_AUTHORIZATION_FAILED: i16 = 30;
export const CLUSTER_AUTHORIZATION_FAILED: i16 = 31;
export const TRANSACTIONAL_ID_AUTHORIZATION_FAILED: i16 = 53;
export const UNKNOWN_TOPIC_ID: i16 = 100;

/**
 * Kafka's default message (`Errors.message()`, kafka-clients 4.3.1) for the codes a denial
 * answers with; null for any other code. Kafka puts it where it builds an error with
 * `new ApiError(Errors)` or `Errors.message()` (e.g. the controller's DeleteTopics and
 * AlterConfigs denials, FindCoordinator v0-3); where it builds `ApiError(error, null)` or
 * leaves the field unset, gates must not use it.
 */
export function denialMessage(code: i16): string | null {
  switch (code) {
    case TOPIC_AUTHORIZATION_FAILED: return "Topic authorization failed.";
    case GROUP_AUTHORIZATION_FAILED: return "Group authorization failed.";
    case CLUSTER_AUTHORIZATION_FAILED: return "Cluster authorization failed.";
    case TRANSACTIONAL_ID_AUTHORIZATION_FAILED: return "Transactional Id authorization failed.";
    case UNKNOWN_TOPIC_ID: return "This server does not host this topic ID.";
  }
  return null;
}

/**
 * Decides actions for one connection's principal, for the request being gated.
 * Implementations log and count each decision (audit). In dry-run mode a denial is
 * reported as would-deny but still returned as false, so gates make the checks
 * enforcement would; the enforcer then forwards the request untouched.
 */
export abstract class Authorizer {
  /**
   * True when the principal may perform `operation` on the named resource. With
   * `logIfDenied` false a denial is counted but writes no audit line: Kafka does the
   * same when it silently filters a listing (Metadata for all topics, ListGroups).
   */
  abstract allowed(resourceType: ResourceType, name: string, operation: Operation, logIfDenied: bool): bool;
  /**
   * The same for a topic named by id (Fetch v13+ and newer APIs). An id whose name the
   * filter has not learned is denied, failing closed; gates answer such ids with
   * UNKNOWN_TOPIC_ID where the API has it, so the client refreshes its metadata (which
   * teaches the filter the id) and retries.
   */
  abstract allowedTopicId(id: Uuid, operation: Operation): bool;
  /** The topic name learned for `id`, or null. */
  abstract topicName(id: Uuid): string | null;
  /**
   * The answer allowed() would give, without counting it or writing an audit line, so
   * that a shortcut can look before it commits to the checks a gate makes. An
   * authorizer that cannot tell says false, which sends the request down the full path.
   */
  wouldAllow(resourceType: ResourceType, name: string, operation: Operation): bool {
    return false;
  }
}

/** What the connection does with a gated request. */
export const enum Verdict {
  /** Forward the request as it is; `merger`, when set, still edits the response. */
  Pass = 0,
  /** Forward `request` instead of the original, then apply `merger` to the broker's response. */
  Rewrite = 1,
  /**
   * Nothing in the request is allowed: the broker must not see it. The client gets
   * `response` (null when the request expects no response, as Produce with acks=0).
   */
  Deny = 2,
}

/** Edits the broker's decoded response before the client sees it. */
export abstract class ResponseMerger {
  /** Edits `response` (the decoded body, same API and version as the request) in place. */
  abstract merge(response: Message): void;
}

/** What a gate decided for one request. */
export class GateResult {
  verdict: Verdict = Verdict.Pass;
  /** The request to forward, for Rewrite: same API, version and header as the original. */
  request: Message | null = null;
  /** Applied to the broker's response, for Pass and Rewrite; null leaves it untouched. */
  merger: ResponseMerger | null = null;
  /** The synthesized response body, for Deny (same API and version as the request). */
  response: Message | null = null;

  /** Forward unchanged, response untouched. */
  static pass(): GateResult { return new GateResult(); }

  /** Forward unchanged; `merger` edits the broker's response (e.g. a quietly filtered listing). */
  static passAndMerge(merger: ResponseMerger): GateResult {
    const result = new GateResult();
    result.merger = merger;
    return result;
  }

  /** Forward `request` (the original with denied entries removed); `merger` adds their error entries back. */
  static rewrite(request: Message, merger: ResponseMerger): GateResult {
    const result = new GateResult();
    result.verdict = Verdict.Rewrite;
    result.request = request;
    result.merger = merger;
    return result;
  }

  /** Answer with `response` without asking the broker; null when the request gets no response (Produce acks=0). */
  static deny(response: Message | null): GateResult {
    const result = new GateResult();
    result.verdict = Verdict.Deny;
    result.response = response;
    return result;
  }
}

// Small pieces shared by the group, transaction and cluster gates: the error a topic
// (by name or id) gets, and whole-request denials through a response's top-level error.
import { Message } from "../../codec/message";
import { Uuid } from "../../codec/types";
import { newResponse } from "../../codec/generated/index";
import {
  Authorizer, CLUSTER_AUTHORIZATION_FAILED, CLUSTER_NAME, GateResult, Operation, ResourceType,
  TOPIC_AUTHORIZATION_FAILED, UNKNOWN_TOPIC_ID,
} from "../model";

/** 0 when `operation` on the named topic is allowed, else TOPIC_AUTHORIZATION_FAILED. */
export function topicNameError(authorizer: Authorizer, name: string, operation: Operation): i16 {
  return authorizer.allowed(ResourceType.Topic, name, operation, true) ? 0 : TOPIC_AUTHORIZATION_FAILED;
}

/**
 * 0 when allowed; UNKNOWN_TOPIC_ID for an id the filter has not learned (the client
 * refreshes its metadata and retries, as it would with a broker that lacks the id);
 * TOPIC_AUTHORIZATION_FAILED for a known id the principal may not use.
 */
export function topicIdError(authorizer: Authorizer, id: Uuid, operation: Operation): i16 {
  if (authorizer.topicName(id) === null) return UNKNOWN_TOPIC_ID;
  return authorizer.allowedTopicId(id, operation) ? 0 : TOPIC_AUTHORIZATION_FAILED;
}

/**
 * True when a listing may show the topic with this id: Kafka drops what the principal
 * may not describe without an error, so the denial is quiet; unknown ids are dropped.
 */
export function topicIdListable(authorizer: Authorizer, id: Uuid, operation: Operation): bool {
  const name = authorizer.topicName(id);
  if (name === null) return false;
  return authorizer.allowed(ResourceType.Topic, name, operation, false);
}

/** Whether `operation` on the single Cluster resource is allowed; a denial is audited. */
export function clusterAllowed(authorizer: Authorizer, operation: Operation): bool {
  return authorizer.allowed(ResourceType.Cluster, CLUSTER_NAME, operation, true);
}

/**
 * An empty response of the API carrying `code` in its top-level ErrorCode, or null when
 * that version has no top-level ErrorCode.
 */
export function topLevelErrorResponse(apiKey: i16, version: i16, code: i16): Message | null {
  const response = newResponse(apiKey);
  if (response === null) return null;
  return response.setTopLevelErrorCode(version, code) ? response : null;
}

/** Deny with an empty response carrying `code` at the top level; null when the version has no such field. */
export function denyTopLevel(apiKey: i16, version: i16, code: i16): GateResult | null {
  const response = topLevelErrorResponse(apiKey, version, code);
  return response === null ? null : GateResult.deny(response);
}

/** Deny with CLUSTER_AUTHORIZATION_FAILED at the top level (the response must have one). */
export function denyCluster(apiKey: i16, version: i16): GateResult {
  const denied = denyTopLevel(apiKey, version, CLUSTER_AUTHORIZATION_FAILED);
  // Every caller names an API whose responses carry a top-level ErrorCode in all versions;
  // an empty response still keeps the request away from the broker if one did not.
  return denied !== null ? denied : GateResult.deny(newResponse(apiKey));
}

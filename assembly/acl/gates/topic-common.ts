// Pieces shared by the topic gates: how a topic named by id is judged, and a Rewrite
// that needs no merger. Kafka's messages for denials are model.ts's denialMessage().
import { Message } from "../../codec/message";
import { Uuid } from "../../codec/types";
import {
  Authorizer, GateResult, Operation, ResourceType, TOPIC_AUTHORIZATION_FAILED, UNKNOWN_TOPIC_ID, Verdict,
} from "../model";

/**
 * The error a topic named by id gets, or 0 when allowed. An id the filter has not
 * learned is UNKNOWN_TOPIC_ID, as Kafka answers ids it cannot resolve; asking the
 * authorizer first would log a denial for what is only a stale client cache.
 */
export function topicIdError(authorizer: Authorizer, id: Uuid, operation: Operation): i16 {
  if (authorizer.topicName(id) === null) return UNKNOWN_TOPIC_ID;
  return authorizer.allowedTopicId(id, operation) ? 0 : TOPIC_AUTHORIZATION_FAILED;
}

/** The error a topic named by name gets, or 0 when allowed. */
export function topicNameError(authorizer: Authorizer, name: string, operation: Operation): i16 {
  return authorizer.allowed(ResourceType.Topic, name, operation, true) ? 0 : TOPIC_AUTHORIZATION_FAILED;
}

/** Forward an edited request whose response needs no edit (e.g. auto-creation turned off). */
export function rewriteOnly(request: Message): GateResult {
  const result = new GateResult();
  result.verdict = Verdict.Rewrite;
  result.request = request;
  return result;
}

// Fetch (1). Consumers (replica id < 0) need Read on each topic (by id from v13).
// Followers (replica id >= 0) need ClusterAction on the Cluster; without it Kafka
// answers every partition with TOPIC_AUTHORIZATION_FAILED (not 31), and so do we.
//
// Fetch sessions (v7+): the broker keeps the partitions of a session, and incremental
// requests only name what changed. Denied partitions are stripped before the broker
// sees them, so they never enter a session and are answered (29) whenever a request
// names them. forgotten_topics_data is forwarded untouched: it only removes
// partitions from the client's own session and reveals nothing.
import { Message } from "../../codec/message";
import { EMPTY_BYTES } from "../../codec/support";
import { RecordsView } from "../../codec/types";
import { FetchRequest, FetchRequest_FetchTopic } from "../../codec/generated/FetchRequest";
import {
  FetchResponse, FetchResponse_FetchableTopicResponse, FetchResponse_PartitionData,
} from "../../codec/generated/FetchResponse";
import {
  Authorizer, CLUSTER_NAME, GateResult, Operation, ResourceType, ResponseMerger, TOPIC_AUTHORIZATION_FAILED,
} from "../model";
import { topicIdError, topicNameError } from "./topic-common";

/**
 * Fetch (1): a follower's fetch (replica id >= 0) needs ClusterAction on the Cluster;
 * a consumer's needs Read per topic, by id from v13 (FetchRequest.json; an unlearned id
 * answers UNKNOWN_TOPIC_ID). Denied partitions are answered with their error and
 * high watermark -1; an incremental fetch (v7+, session epoch > 0, KIP-227) is forwarded
 * even when nothing allowed is left in it.
 */
export function gateFetch(version: i16, request: FetchRequest, authorizer: Authorizer): GateResult {
  const topics = request.topics;
  const replicaId = version >= 15 ? request.replicaState.replicaId : request.replicaId;
  if (replicaId >= 0) {
    if (authorizer.allowed(ResourceType.Cluster, CLUSTER_NAME, Operation.ClusterAction, true)) return GateResult.pass();
    const codes = new Array<i16>(topics.length);
    for (let i = 0, n = codes.length; i < n; i++) unchecked(codes[i] = TOPIC_AUTHORIZATION_FAILED);
    return denyAll(topics, codes);
  }

  const byId = version >= 13;
  const allowed = new Array<FetchRequest_FetchTopic>();
  let denied: Array<FetchRequest_FetchTopic> | null = null;
  let codes: Array<i16> | null = null;
  for (let i = 0, n = topics.length; i < n; i++) {
    const topic = unchecked(topics[i]);
    const code = byId
      ? topicIdError(authorizer, topic.topicId, Operation.Read)
      : topicNameError(authorizer, topic.topic, Operation.Read);
    if (code == 0) {
      allowed.push(topic);
      continue;
    }
    if (denied === null) denied = new Array<FetchRequest_FetchTopic>();
    if (codes === null) codes = new Array<i16>();
    denied.push(topic);
    codes.push(code);
  }
  if (denied === null || codes === null) return GateResult.pass();
  // An incremental request (session epoch > 0) still fetches the session's other
  // partitions, so it goes to the broker even with nothing allowed left in it.
  const incremental = version >= 7 && request.sessionEpoch > 0;
  if (allowed.length == 0 && !incremental) return denyAll(denied, codes);
  request.topics = allowed;
  return GateResult.rewrite(request, new FetchDenials(denied, codes));
}

/**
 * The whole answer when nothing may be fetched. v7+: top-level error NONE and session
 * id 0 ("no session"), so the client's next fetch is a full one; the broker never saw
 * this request, so no session of its own changes.
 */
function denyAll(topics: Array<FetchRequest_FetchTopic>, codes: Array<i16>): GateResult {
  const response = new FetchResponse();
  appendDenied(response.responses, topics, codes);
  return GateResult.deny(response);
}

/** Error entries shaped like Kafka's FetchResponse.partitionResponse(error). */
function appendDenied(
  out: Array<FetchResponse_FetchableTopicResponse>, topics: Array<FetchRequest_FetchTopic>, codes: Array<i16>,
): void {
  const count = min(topics.length, codes.length);
  for (let i = 0; i < count; i++) {
    const topic = unchecked(topics[i]);
    const code = unchecked(codes[i]);
    const entry = new FetchResponse_FetchableTopicResponse();
    entry.topic = topic.topic;
    entry.topicId = topic.topicId.clone();
    const partitions = topic.partitions;
    for (let p = 0, n = partitions.length; p < n; p++) {
      const partition = new FetchResponse_PartitionData();
      partition.partitionIndex = unchecked(partitions[p]).partition;
      partition.errorCode = code;
      partition.highWatermark = -1;
      partition.records = new RecordsView(EMPTY_BYTES, 0, 0);
      entry.partitions.push(partition);
    }
    out.push(entry);
  }
}

class FetchDenials extends ResponseMerger {
  constructor(private topics: Array<FetchRequest_FetchTopic>, private codes: Array<i16>) {
    super();
  }

  merge(response: Message): void {
    if (!(response instanceof FetchResponse)) return;
    appendDenied(changetype<FetchResponse>(response).responses, this.topics, this.codes);
  }
}

// Topic administration, answered per topic: CreateTopics (19), DeleteTopics (20) and
// CreatePartitions (37). Kafka 4 decides these on the controller (KRaft), whose
// answers the entries below mirror.
import { Message } from "../../codec/message";
import { Uuid } from "../../codec/types";
import { deniedFirst } from "./merge-order";
import { CreateTopicsRequest, CreateTopicsRequest_CreatableTopic } from "../../codec/generated/CreateTopicsRequest";
import {
  CreateTopicsResponse, CreateTopicsResponse_CreatableTopicConfigs, CreateTopicsResponse_CreatableTopicResult,
} from "../../codec/generated/CreateTopicsResponse";
import { DeleteTopicsRequest, DeleteTopicsRequest_DeleteTopicState } from "../../codec/generated/DeleteTopicsRequest";
import { DeleteTopicsResponse, DeleteTopicsResponse_DeletableTopicResult } from "../../codec/generated/DeleteTopicsResponse";
import { CreatePartitionsRequest, CreatePartitionsRequest_CreatePartitionsTopic } from "../../codec/generated/CreatePartitionsRequest";
import {
  CreatePartitionsResponse, CreatePartitionsResponse_CreatePartitionsTopicResult,
} from "../../codec/generated/CreatePartitionsResponse";
import {
  Authorizer, CLUSTER_NAME, GateResult, Operation, ResourceType, ResponseMerger, TOPIC_AUTHORIZATION_FAILED, UNKNOWN_TOPIC_ID,
  denialMessage,
} from "../model";

// ---- CreateTopics (19) ----------------------------------------------------------------

/** The message Kafka's controller puts on a topic it may not create. */
const CREATE_DENIED_MESSAGE = "Authorization failed.";

/**
 * Create on the Cluster (asked quietly) or Create on the topic. From v5 the response
 * also carries the new topic's configs: Kafka returns them only with DescribeConfigs
 * on the topic, and otherwise sets TopicConfigErrorCode 29 and an empty config list; the merger
 * does the same to what the broker answers.
 */
export function gateCreateTopics(version: i16, request: CreateTopicsRequest, authorizer: Authorizer): GateResult {
  const clusterCreate = authorizer.allowed(ResourceType.Cluster, CLUSTER_NAME, Operation.Create, false);
  const topics = request.topics;
  const allowed = new Array<CreateTopicsRequest_CreatableTopic>();
  let denied: Array<string> | null = null;
  let configsHidden: Array<string> | null = null;
  for (let i = 0, n = topics.length; i < n; i++) {
    const topic = unchecked(topics[i]);
    const name = topic.name;
    if (!clusterCreate && !authorizer.allowed(ResourceType.Topic, name, Operation.Create, true)) {
      if (denied === null) denied = new Array<string>();
      denied.push(name);
      continue;
    }
    allowed.push(topic);
    if (version >= 5 && !authorizer.allowed(ResourceType.Topic, name, Operation.DescribeConfigs, false)) {
      if (configsHidden === null) configsHidden = new Array<string>();
      configsHidden.push(name);
    }
  }
  if (denied === null && configsHidden === null) return GateResult.pass();
  const merger = new CreateTopicsMerger(
    denied !== null ? denied : new Array<string>(), configsHidden !== null ? configsHidden : new Array<string>(),
  );
  if (denied === null) return GateResult.passAndMerge(merger);
  if (allowed.length == 0) {
    const response = new CreateTopicsResponse();
    merger.merge(response);
    return GateResult.deny(response);
  }
  request.topics = allowed;
  return GateResult.rewrite(request, merger);
}

class CreateTopicsMerger extends ResponseMerger {
  constructor(private denied: Array<string>, private configsHidden: Array<string>) {
    super();
  }

  merge(response: Message): void {
    if (!(response instanceof CreateTopicsResponse)) return;
    const out = changetype<CreateTopicsResponse>(response).topics;
    const hidden = this.configsHidden;
    if (hidden.length > 0) {
      for (let i = 0, n = out.length; i < n; i++) {
        const result = unchecked(out[i]);
        if (result.errorCode != 0 || !hidden.includes(result.name)) continue;
        result.topicConfigErrorCode = TOPIC_AUTHORIZATION_FAILED;
        result.configs = new Array<CreateTopicsResponse_CreatableTopicConfigs>();
      }
    }
    const denied = this.denied;
    for (let i = 0, n = denied.length; i < n; i++) {
      // Partition count and replication factor stay -1 (unknown), configs empty.
      const result = new CreateTopicsResponse_CreatableTopicResult();
      result.name = unchecked(denied[i]);
      result.errorCode = TOPIC_AUTHORIZATION_FAILED;
      result.errorMessage = CREATE_DENIED_MESSAGE;
      out.push(result);
    }
  }
}

// ---- DeleteTopics (20) -----------------------------------------------------------------

/**
 * Delete on each topic. v6 may name a topic by id: an unknown id is UNKNOWN_TOPIC_ID; an
 * id the principal may not Describe is 29 without the name; one it may Describe but not
 * Delete is 29 with the name. From v5 each carries Kafka's default message for its code,
 * as the controller answers (`new ApiError(error)`). A v6 entry with neither name nor id
 * names nothing to authorize: it is forwarded, and the broker answers it INVALID_REQUEST.
 */
export function gateDeleteTopics(version: i16, request: DeleteTopicsRequest, authorizer: Authorizer): GateResult {
  const merger = new DeleteTopicsDenials(version);
  if (version < 6) {
    const names = request.topicNames;
    const allowed = new Array<string>();
    for (let i = 0, n = names.length; i < n; i++) {
      const name = unchecked(names[i]);
      if (authorizer.allowed(ResourceType.Topic, name, Operation.Delete, true)) allowed.push(name);
      else merger.add(name, new Uuid(), TOPIC_AUTHORIZATION_FAILED);
    }
    if (merger.isEmpty()) return GateResult.pass();
    if (allowed.length == 0) return denyDeleteTopics(merger);
    request.topicNames = allowed;
    return GateResult.rewrite(request, merger);
  }

  const topics = request.topics;
  const allowed = new Array<DeleteTopicsRequest_DeleteTopicState>();
  for (let i = 0, n = topics.length; i < n; i++) {
    const topic = unchecked(topics[i]);
    const id = topic.topicId;
    let name = topic.name;
    if (!id.isZero()) {
      name = authorizer.topicName(id);
      if (name === null) {
        merger.add(null, id, UNKNOWN_TOPIC_ID);
        continue;
      }
      if (!authorizer.allowed(ResourceType.Topic, name, Operation.Describe, true)) {
        merger.add(null, id, TOPIC_AUTHORIZATION_FAILED);
        continue;
      }
    } else if (name === null) {
      allowed.push(topic);
      continue;
    }
    if (authorizer.allowed(ResourceType.Topic, name, Operation.Delete, true)) allowed.push(topic);
    else merger.add(name, id, TOPIC_AUTHORIZATION_FAILED);
  }
  if (merger.isEmpty()) return GateResult.pass();
  if (allowed.length == 0) return denyDeleteTopics(merger);
  request.topics = allowed;
  return GateResult.rewrite(request, merger);
}

function denyDeleteTopics(merger: DeleteTopicsDenials): GateResult {
  const response = new DeleteTopicsResponse();
  merger.merge(response);
  return GateResult.deny(response);
}

class DeleteTopicsDenials extends ResponseMerger {
  private results: Array<DeleteTopicsResponse_DeletableTopicResult> = new Array<DeleteTopicsResponse_DeletableTopicResult>();

  constructor(private version: i16) { super(); }

  add(name: string | null, id: Uuid, code: i16): void {
    const result = new DeleteTopicsResponse_DeletableTopicResult();
    result.name = name;
    result.topicId = id.clone();
    result.errorCode = code;
    if (this.version >= 5) result.errorMessage = denialMessage(code);
    this.results.push(result);
  }

  isEmpty(): bool {
    return this.results.length == 0;
  }

  merge(response: Message): void {
    if (!(response instanceof DeleteTopicsResponse)) return;
    const out = changetype<DeleteTopicsResponse>(response).responses;
    const results = this.results;
    for (let i = 0, n = results.length; i < n; i++) out.push(unchecked(results[i]));
  }
}

// ---- CreatePartitions (37) -------------------------------------------------------------

/** Alter on each topic; a denied one is answered 29 with no message. */
export function gateCreatePartitions(request: CreatePartitionsRequest, authorizer: Authorizer): GateResult {
  const topics = request.topics;
  const allowed = new Array<CreatePartitionsRequest_CreatePartitionsTopic>();
  let denied: Array<string> | null = null;
  for (let i = 0, n = topics.length; i < n; i++) {
    const topic = unchecked(topics[i]);
    if (authorizer.allowed(ResourceType.Topic, topic.name, Operation.Alter, true)) {
      allowed.push(topic);
    } else {
      if (denied === null) denied = new Array<string>();
      denied.push(topic.name);
    }
  }
  if (denied === null) return GateResult.pass();
  const merger = new CreatePartitionsDenials(denied);
  if (allowed.length == 0) {
    const response = new CreatePartitionsResponse();
    merger.merge(response);
    return GateResult.deny(response);
  }
  request.topics = allowed;
  return GateResult.rewrite(request, merger);
}

class CreatePartitionsDenials extends ResponseMerger {
  constructor(private denied: Array<string>) {
    super();
  }

  /** Kafka's controller lists refused topics before the ones it worked on. */
  merge(response: Message): void {
    if (!(response instanceof CreatePartitionsResponse)) return;
    const created = changetype<CreatePartitionsResponse>(response);
    const out = new Array<CreatePartitionsResponse_CreatePartitionsTopicResult>();
    const denied = this.denied;
    for (let i = 0, n = denied.length; i < n; i++) {
      const result = new CreatePartitionsResponse_CreatePartitionsTopicResult();
      result.name = unchecked(denied[i]);
      result.errorCode = TOPIC_AUTHORIZATION_FAILED;
      out.push(result);
    }
    created.results = deniedFirst(out, created.results);
  }
}

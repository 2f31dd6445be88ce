// Produce (0): Write on each topic (by id in v13); a transactional producer first
// needs Write on its TransactionalId, and without it every partition fails with 53.
import { Message } from "../../codec/message";
import {
  ProduceRequest, ProduceRequest_TopicProduceData,
} from "../../codec/generated/ProduceRequest";
import {
  ProduceResponse, ProduceResponse_PartitionProduceResponse, ProduceResponse_TopicProduceResponse,
} from "../../codec/generated/ProduceResponse";
import {
  Authorizer, GateResult, Operation, ResourceType, ResponseMerger, TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
} from "../model";
import { topicIdError, topicNameError } from "./topic-common";
import { Reader } from "../../codec/reader";
import { Uuid } from "../../codec/types";
import { PRODUCE, requestFlexibleSince } from "../../codec/generated/apis";

/** Produce v9 made the request flexible (compact strings and arrays); v13 names topics by id. */
const FIRST_FLEXIBLE_PRODUCE: i16 = requestFlexibleSince(PRODUCE);
const FIRST_PRODUCE_BY_TOPIC_ID: i16 = 13;
const scratchTopicId = new Uuid();

/**
 * Whether a Produce request may be forwarded on its head alone, before the rest of it
 * has arrived: true only when the body's start, read from `r` (positioned just after
 * the request header; the head may end anywhere later), names exactly one topic, and
 * every check gateProduce would make on it allows. Looks first (Authorizer.wouldAllow,
 * no counters, no audit), so a request this returns false for goes down the full path
 * and is checked there once; when every look allows, makes the gate's own calls, so the
 * decision counters move exactly as if the gate had run. A request with several topics
 * returns false: a later topic, after the first one's records, could be denied, and
 * what was forwarded cannot be taken back. Field layout: ProduceRequest.json, v3-v13.
 */
export function produceAllowedByHead(version: i16, r: Reader, authorizer: Authorizer): bool {
  const flexible = version >= FIRST_FLEXIBLE_PRODUCE;
  const transactionalId = r.readStringOf(flexible, true);
  r.readInt16();  // acks
  r.readInt32();  // timeout_ms
  const topics = flexible ? <i32>r.readUnsignedVarint() - 1 : r.readInt32();
  if (!r.ok || topics != 1) return false;
  if (transactionalId !== null && !authorizer.wouldAllow(ResourceType.TransactionalId, transactionalId, Operation.Write)) return false;
  let name: string | null = null;
  const byId = version >= FIRST_PRODUCE_BY_TOPIC_ID;
  if (byId) {
    r.readUuidInto(scratchTopicId);
    if (!r.ok) return false;
    name = authorizer.topicName(scratchTopicId);
  } else {
    name = r.readStringOf(flexible, false);
  }
  if (!r.ok || name === null || !authorizer.wouldAllow(ResourceType.Topic, name, Operation.Write)) return false;
  // Every look allowed: now the calls gateProduce makes, in its order.
  if (transactionalId !== null && !authorizer.allowed(ResourceType.TransactionalId, transactionalId, Operation.Write, true)) return false;
  return byId ? topicIdError(authorizer, scratchTopicId, Operation.Write) == 0 : topicNameError(authorizer, name, Operation.Write) == 0;
}

/**
 * Produce (0): Write on the transactional id when set (else every partition answers
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED), then Write per topic, by id from v13
 * (ProduceRequest.json). With acks=0 a denial sends nothing back, as the broker would not.
 */
export function gateProduce(version: i16, request: ProduceRequest, authorizer: Authorizer): GateResult {
  const topics = request.topicData;
  const transactionalId = request.transactionalId;
  if (transactionalId !== null &&
      !authorizer.allowed(ResourceType.TransactionalId, transactionalId, Operation.Write, true)) {
    return denyAll(request, topics, sameCodes(topics.length, TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
  }

  const byId = version >= 13;
  const allowed = new Array<ProduceRequest_TopicProduceData>();
  let denied: Array<ProduceRequest_TopicProduceData> | null = null;
  let codes: Array<i16> | null = null;
  for (let i = 0, n = topics.length; i < n; i++) {
    const topic = unchecked(topics[i]);
    const code = byId
      ? topicIdError(authorizer, topic.topicId, Operation.Write)
      : topicNameError(authorizer, topic.name, Operation.Write);
    if (code == 0) {
      allowed.push(topic);
      continue;
    }
    if (denied === null) denied = new Array<ProduceRequest_TopicProduceData>();
    if (codes === null) codes = new Array<i16>();
    denied.push(topic);
    codes.push(code);
  }
  if (denied === null || codes === null) return GateResult.pass();
  if (allowed.length == 0) return denyAll(request, denied, codes);
  request.topicData = allowed;
  // With acks=0 the broker never answers, so the merger is simply never called.
  return GateResult.rewrite(request, new ProduceDenials(denied, codes));
}

function sameCodes(count: i32, code: i16): Array<i16> {
  const codes = new Array<i16>(count);
  for (let i = 0; i < count; i++) unchecked(codes[i] = code);
  return codes;
}

function denyAll(request: ProduceRequest, topics: Array<ProduceRequest_TopicProduceData>, codes: Array<i16>): GateResult {
  if (request.acks == 0) return GateResult.deny(null);
  const response = new ProduceResponse();
  appendDenied(response.responses, topics, codes);
  return GateResult.deny(response);
}

/**
 * One error entry per denied partition, shaped like Kafka's PartitionResponse(error):
 * base offset -1, no log append time, no log start offset.
 */
function appendDenied(
  out: Array<ProduceResponse_TopicProduceResponse>, topics: Array<ProduceRequest_TopicProduceData>, codes: Array<i16>,
): void {
  const count = min(topics.length, codes.length);
  for (let i = 0; i < count; i++) {
    const topic = unchecked(topics[i]);
    const code = unchecked(codes[i]);
    const entry = new ProduceResponse_TopicProduceResponse();
    entry.name = topic.name;
    entry.topicId = topic.topicId.clone();
    const partitions = topic.partitionData;
    for (let p = 0, n = partitions.length; p < n; p++) {
      const partition = new ProduceResponse_PartitionProduceResponse();
      partition.index = unchecked(partitions[p]).index;
      partition.errorCode = code;
      partition.baseOffset = -1;
      entry.partitionResponses.push(partition);
    }
    out.push(entry);
  }
}

class ProduceDenials extends ResponseMerger {
  constructor(private topics: Array<ProduceRequest_TopicProduceData>, private codes: Array<i16>) {
    super();
  }

  merge(response: Message): void {
    if (!(response instanceof ProduceResponse)) return;
    appendDenied(changetype<ProduceResponse>(response).responses, this.topics, this.codes);
  }
}

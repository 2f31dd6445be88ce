// DescribeTopicPartitions (75): Describe on each topic.
//
// An empty topic list lists every topic from the cursor on: forwarded as is, and the
// merger hides, quietly, the topics the principal may not Describe. When the broker's
// next cursor points into such a topic, the cursor is dropped (the listing ends
// early) rather than handing the client a name it may not see.
//
// Named topics: Kafka answers only names at or after the cursor's topic, and denied
// ones with TOPIC_AUTHORIZATION_FAILED (id zero, not internal, no partitions). The
// broker rejects a cursor whose topic is not in the list, so a cursor naming a denied
// topic moves to the first allowed name after it (partition 0); with no allowed name
// left at or after the cursor, the broker would describe nothing and is not asked.
import { Message } from "../../codec/message";
import {
  DescribeTopicPartitionsRequest, DescribeTopicPartitionsRequest_TopicRequest,
} from "../../codec/generated/DescribeTopicPartitionsRequest";
import {
  DescribeTopicPartitionsResponse, DescribeTopicPartitionsResponse_DescribeTopicPartitionsResponseTopic,
} from "../../codec/generated/DescribeTopicPartitionsResponse";
import { Authorizer, GateResult, Operation, ResourceType, ResponseMerger, TOPIC_AUTHORIZATION_FAILED } from "../model";

/**
 * DescribeTopicPartitions (75, KIP-966): with no topics named, the broker's listing is
 * filtered quietly to describable topics; otherwise Describe per topic, denied topics
 * answered TOPIC_AUTHORIZATION_FAILED, with the pagination cursor moved past a denied
 * cursor topic so the broker never sees a denied name.
 */
export function gateDescribeTopicPartitions(request: DescribeTopicPartitionsRequest, authorizer: Authorizer): GateResult {
  const topics = request.topics;
  if (topics.length == 0) return GateResult.passAndMerge(new TopicListingFilter(authorizer));

  const cursor = request.cursor;
  const from: string | null = cursor !== null ? cursor.topicName : null;
  const allowed = new Array<DescribeTopicPartitionsRequest_TopicRequest>();
  let denied: Array<DescribeTopicPartitionsResponse_DescribeTopicPartitionsResponseTopic> | null = null;
  let cursorDenied = false;
  let firstAllowedAfterCursor: string | null = null;
  let allowedFromCursor = 0;
  for (let i = 0, n = topics.length; i < n; i++) {
    const topic = unchecked(topics[i]);
    const name = topic.name;
    const fromCursor = from === null || name >= from;
    if (authorizer.allowed(ResourceType.Topic, name, Operation.Describe, true)) {
      allowed.push(topic);
      if (fromCursor) allowedFromCursor++;
      if (from !== null && name > from && (firstAllowedAfterCursor === null || name < firstAllowedAfterCursor)) {
        firstAllowedAfterCursor = name;
      }
      continue;
    }
    if (from !== null && name == from) cursorDenied = true;
    if (!fromCursor) continue;
    if (denied === null) denied = new Array<DescribeTopicPartitionsResponse_DescribeTopicPartitionsResponseTopic>();
    denied.push(deniedTopic(name));
  }
  if (denied === null && !cursorDenied) return GateResult.pass();
  const merger = new TopicDenials(denied !== null ? denied : new Array<DescribeTopicPartitionsResponse_DescribeTopicPartitionsResponseTopic>());
  if (allowedFromCursor == 0) {
    const response = new DescribeTopicPartitionsResponse();
    merger.merge(response);
    return GateResult.deny(response);
  }
  request.topics = allowed;
  if (cursorDenied && cursor !== null && firstAllowedAfterCursor !== null) {
    cursor.topicName = firstAllowedAfterCursor;
    cursor.partitionIndex = 0;
  }
  return GateResult.rewrite(request, merger);
}

function deniedTopic(name: string): DescribeTopicPartitionsResponse_DescribeTopicPartitionsResponseTopic {
  const entry = new DescribeTopicPartitionsResponse_DescribeTopicPartitionsResponseTopic();
  entry.errorCode = TOPIC_AUTHORIZATION_FAILED;
  entry.name = name;
  return entry;
}

class TopicDenials extends ResponseMerger {
  constructor(private denied: Array<DescribeTopicPartitionsResponse_DescribeTopicPartitionsResponseTopic>) {
    super();
  }

  merge(response: Message): void {
    if (!(response instanceof DescribeTopicPartitionsResponse)) return;
    const out = changetype<DescribeTopicPartitionsResponse>(response).topics;
    const denied = this.denied;
    for (let i = 0, n = denied.length; i < n; i++) out.push(unchecked(denied[i]));
  }
}

class TopicListingFilter extends ResponseMerger {
  constructor(private authorizer: Authorizer) {
    super();
  }

  merge(response: Message): void {
    if (!(response instanceof DescribeTopicPartitionsResponse)) return;
    const listing = changetype<DescribeTopicPartitionsResponse>(response);
    const topics = listing.topics;
    const visible = new Array<DescribeTopicPartitionsResponse_DescribeTopicPartitionsResponseTopic>();
    for (let i = 0, n = topics.length; i < n; i++) {
      const topic = unchecked(topics[i]);
      const name = topic.name;
      if (name !== null && this.authorizer.allowed(ResourceType.Topic, name, Operation.Describe, false)) visible.push(topic);
    }
    if (visible.length != topics.length) listing.topics = visible;
    const next = listing.nextCursor;
    if (next !== null && !this.authorizer.allowed(ResourceType.Topic, next.topicName, Operation.Describe, false)) {
      listing.nextCursor = null;
    }
  }
}

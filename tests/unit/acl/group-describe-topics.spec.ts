// The consumer, share and streams group describes (69, 77, 89) answered as Kafka 4.3.1
// does: a described group naming a topic the principal may not Describe becomes a
// TOPIC_AUTHORIZATION_FAILED entry carrying Kafka's message and no members; groups that
// name only describable topics pass untouched.
import { ConsumerGroupDescribeRequest } from "../../../assembly/codec/generated/ConsumerGroupDescribeRequest";
import {
  ConsumerGroupDescribeResponse, ConsumerGroupDescribeResponse_DescribedGroup, ConsumerGroupDescribeResponse_Member,
  ConsumerGroupDescribeResponse_TopicPartitions,
} from "../../../assembly/codec/generated/ConsumerGroupDescribeResponse";
import { ShareGroupDescribeRequest } from "../../../assembly/codec/generated/ShareGroupDescribeRequest";
import {
  ShareGroupDescribeResponse, ShareGroupDescribeResponse_DescribedGroup, ShareGroupDescribeResponse_Member,
  ShareGroupDescribeResponse_TopicPartitions,
} from "../../../assembly/codec/generated/ShareGroupDescribeResponse";
import { StreamsGroupDescribeRequest } from "../../../assembly/codec/generated/StreamsGroupDescribeRequest";
import {
  StreamsGroupDescribeResponse, StreamsGroupDescribeResponse_DescribedGroup, StreamsGroupDescribeResponse_Subtopology,
  StreamsGroupDescribeResponse_TopicInfo, StreamsGroupDescribeResponse_Topology,
} from "../../../assembly/codec/generated/StreamsGroupDescribeResponse";
import { gateRequest } from "../../../assembly/acl/gate";
import { Verdict } from "../../../assembly/acl/model";
import { allowing, deniedResponse, merged } from "./group-gate-helpers";

const GROUP_MESSAGE = "The group has described topic(s) that the client is not authorized to describe.";
const STREAMS_MESSAGE = "The described group uses topics that the client is not authorized to describe.";

function consumerGroup(id: string, topic: string): ConsumerGroupDescribeResponse_DescribedGroup {
  const group = new ConsumerGroupDescribeResponse_DescribedGroup();
  group.groupId = id;
  const member = new ConsumerGroupDescribeResponse_Member();
  const tp = new ConsumerGroupDescribeResponse_TopicPartitions();
  tp.topicName = topic;
  member.targetAssignment.topicPartitions.push(tp);
  group.members.push(member);
  return group;
}

function shareGroup(id: string, topic: string): ShareGroupDescribeResponse_DescribedGroup {
  const group = new ShareGroupDescribeResponse_DescribedGroup();
  group.groupId = id;
  group.groupState = "Stable";
  const member = new ShareGroupDescribeResponse_Member();
  const tp = new ShareGroupDescribeResponse_TopicPartitions();
  tp.topicName = topic;
  member.assignment.topicPartitions.push(tp);
  group.members.push(member);
  return group;
}

function streamsGroup(id: string, changelog: string): StreamsGroupDescribeResponse_DescribedGroup {
  const group = new StreamsGroupDescribeResponse_DescribedGroup();
  group.groupId = id;
  const topology = new StreamsGroupDescribeResponse_Topology();
  const sub = new StreamsGroupDescribeResponse_Subtopology();
  sub.sourceTopics.push("orders");
  const info = new StreamsGroupDescribeResponse_TopicInfo();
  info.name = changelog;
  sub.stateChangelogTopics.push(info);
  topology.subtopologies = [sub];
  group.topology = topology;
  return group;
}

describe("group describes naming topics", () => {
  it("ConsumerGroupDescribe: a group assigned an undescribable topic carries Kafka's message", () => {
    for (let v: i16 = 0; v <= 1; v++) {
      const request = new ConsumerGroupDescribeRequest();
      request.groupIds = ["app", "leaky"];
      const result = gateRequest(69, v, request, allowing())!;
      expect(result.verdict).toBe(Verdict.Pass);
      const broker = new ConsumerGroupDescribeResponse();
      broker.groups = [consumerGroup("app", "orders"), consumerGroup("leaky", "secret-ledger")];
      const out = changetype<ConsumerGroupDescribeResponse>(merged(result, broker, v));
      expect(out.groups[0].errorCode).toBe(0);
      expect(out.groups[0].members.length).toBe(1);
      expect(out.groups[1].groupId).toBe("leaky");
      expect(out.groups[1].errorCode).toBe(29);
      expect(out.groups[1].errorMessage).toBe(GROUP_MESSAGE);
      expect(out.groups[1].members.length).toBe(0);
    }
  });

  it("ShareGroupDescribe: a group assigned an undescribable topic is replaced, as Kafka does", () => {
    const request = new ShareGroupDescribeRequest();
    request.groupIds = ["app", "leaky", "locked-a"];
    const result = gateRequest(77, 1, request, allowing())!;
    expect(result.verdict).toBe(Verdict.Rewrite);
    const broker = new ShareGroupDescribeResponse();
    broker.groups = [shareGroup("app", "orders"), shareGroup("leaky", "secret-ledger")];
    const out = changetype<ShareGroupDescribeResponse>(merged(result, broker, 1));
    expect(out.groups.length).toBe(3);
    // Refused groups first, as Kafka lists them.
    expect(out.groups[0].groupId).toBe("locked-a");
    expect(out.groups[0].errorCode).toBe(30);
    expect(out.groups[1].errorCode).toBe(0);
    expect(out.groups[1].groupState).toBe("Stable");
    expect(out.groups[2].errorCode).toBe(29);
    expect(out.groups[2].errorMessage).toBe(GROUP_MESSAGE);
    expect(out.groups[2].members.length).toBe(0);
    expect(out.groups[2].groupState).toBe("");

    const all = new ShareGroupDescribeRequest();
    all.groupIds = ["locked-a"];
    const denied = changetype<ShareGroupDescribeResponse>(deniedResponse(gateRequest(77, 1, all, allowing())!, 1));
    expect(denied.groups.length).toBe(1);
    expect(denied.groups[0].errorCode).toBe(30);
  });

  it("StreamsGroupDescribe: a topology naming an undescribable topic is replaced, as Kafka does", () => {
    const request = new StreamsGroupDescribeRequest();
    request.groupIds = ["app", "leaky"];
    const result = gateRequest(89, 0, request, allowing())!;
    expect(result.verdict).toBe(Verdict.Pass);
    const broker = new StreamsGroupDescribeResponse();
    broker.groups = [streamsGroup("app", "orders-changelog"), streamsGroup("leaky", "secret-changelog")];
    const out = changetype<StreamsGroupDescribeResponse>(merged(result, broker, 0));
    expect(out.groups[0].errorCode).toBe(0);
    expect(out.groups[0].topology !== null).toBe(true);
    expect(out.groups[1].errorCode).toBe(29);
    expect(out.groups[1].errorMessage).toBe(STREAMS_MESSAGE);
    expect(out.groups[1].topology === null).toBe(true);
  });
});

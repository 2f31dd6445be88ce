// Each rewritten field at every version of Kafka 4.3.1: a response is built with the
// codec, encoded at the version, decoded, rewritten, re-encoded and decoded again.
import { Reader } from "../../../assembly/codec/reader";
import { Writer } from "../../../assembly/codec/writer";
import { Message } from "../../../assembly/codec/message";
import { decodeResponseBody } from "../../../assembly/codec/generated/index";
import { MetadataResponse, MetadataResponse_MetadataResponseBroker } from "../../../assembly/codec/generated/MetadataResponse";
import { FindCoordinatorResponse, FindCoordinatorResponse_Coordinator } from "../../../assembly/codec/generated/FindCoordinatorResponse";
import { DescribeClusterResponse, DescribeClusterResponse_DescribeClusterBroker } from "../../../assembly/codec/generated/DescribeClusterResponse";
import { ProduceResponse, ProduceResponse_NodeEndpoint } from "../../../assembly/codec/generated/ProduceResponse";
import { FetchResponse, FetchResponse_NodeEndpoint } from "../../../assembly/codec/generated/FetchResponse";
import { ShareFetchResponse, ShareFetchResponse_NodeEndpoint } from "../../../assembly/codec/generated/ShareFetchResponse";
import { ShareAcknowledgeResponse, ShareAcknowledgeResponse_NodeEndpoint } from "../../../assembly/codec/generated/ShareAcknowledgeResponse";
import { DescribeQuorumResponse, DescribeQuorumResponse_Listener, DescribeQuorumResponse_Node } from "../../../assembly/codec/generated/DescribeQuorumResponse";
import { VoteResponse, VoteResponse_NodeEndpoint } from "../../../assembly/codec/generated/VoteResponse";
import { BeginQuorumEpochResponse, BeginQuorumEpochResponse_NodeEndpoint } from "../../../assembly/codec/generated/BeginQuorumEpochResponse";
import { EndQuorumEpochResponse, EndQuorumEpochResponse_NodeEndpoint } from "../../../assembly/codec/generated/EndQuorumEpochResponse";
import { FetchSnapshotResponse, FetchSnapshotResponse_NodeEndpoint } from "../../../assembly/codec/generated/FetchSnapshotResponse";
import { UpdateRaftVoterResponse } from "../../../assembly/codec/generated/UpdateRaftVoterResponse";
import { parseFilterConfig } from "../../../assembly/config/filter-config";
import { BrokerAddressMap } from "../../../assembly/rewrite/addresses";
import { AddressRewriter, RewriteOutcome } from "../../../assembly/rewrite/rewriter";

const CONFIG = '{"broker_addresses":{"nodes":{"1":"envoy.example:19093","2":"127.0.0.1:19094"},' +
  '"host_template":"b{node_id}.proxy.example","port_base":20000}}';

function newRewriter(config: string = CONFIG): AddressRewriter {
  const parsed = parseFilterConfig(config);
  expect(parsed.error).toBe("");
  return new AddressRewriter(new BrokerAddressMap(parsed.config!.brokerAddresses!));
}

/** Encodes `message` at `version` and decodes it again, as the filter would receive it. */
function wire(apiKey: i16, version: i16, message: Message): Message {
  const w = new Writer(256);
  message.encode(w, version);
  expect(w.ok).toBe(true, "encode " + apiKey.toString() + " v" + version.toString());
  const bytes = w.toArrayBuffer();
  const decoded = decodeResponseBody(apiKey, version, new Reader(bytes, 0, bytes.byteLength));
  expect(decoded != null).toBe(true, "decode " + apiKey.toString() + " v" + version.toString());
  return decoded!;
}

/** Rewrites a wire copy of `message`, then returns what a client would decode. */
function rewritten(rewriter: AddressRewriter, apiKey: i16, version: i16, message: Message, expected: RewriteOutcome): Message {
  const body = wire(apiKey, version, message);
  expect(rewriter.rewrite(apiKey, version, body)).toBe(expected, "outcome " + apiKey.toString() + " v" + version.toString());
  return wire(apiKey, version, body);
}

function metadataBroker(nodeId: i32, host: string, port: i32): MetadataResponse_MetadataResponseBroker {
  const b = new MetadataResponse_MetadataResponseBroker();
  b.nodeId = nodeId; b.host = host; b.port = port;
  return b;
}

describe("broker address rewriting", () => {
  it("Metadata brokers, v0-13: explicit map first, then the template with port_base", () => {
    const rewriter = newRewriter();
    for (let v: i16 = 0; v <= 13; v++) {
      const m = new MetadataResponse();
      m.brokers.push(metadataBroker(1, "kafka-1.internal", 9092));
      m.brokers.push(metadataBroker(2, "kafka-2.internal", 9092));
      m.brokers.push(metadataBroker(5, "kafka-5.internal", 9092));
      const out = changetype<MetadataResponse>(rewritten(rewriter, 3, v, m, RewriteOutcome.Rewritten));
      expect(out.brokers.length).toBe(3);
      expect(out.brokers[0].host).toBe("envoy.example");
      expect(out.brokers[0].port).toBe(19093);
      expect(out.brokers[1].host).toBe("127.0.0.1");
      expect(out.brokers[1].port).toBe(19094);
      expect(out.brokers[2].host).toBe("b5.proxy.example");
      expect(out.brokers[2].port).toBe(20005);
      expect(out.brokers[2].nodeId).toBe(5);
    }
  });

  it("an address already fronted is unchanged; an unknown node id stops the rewrite", () => {
    const rewriter = newRewriter('{"broker_addresses":{"nodes":{"1":"envoy.example:19093"}}}');
    const m = new MetadataResponse();
    m.brokers.push(metadataBroker(1, "envoy.example", 19093));
    rewritten(rewriter, 3, 12, m, RewriteOutcome.Unchanged);
    m.brokers.push(metadataBroker(9, "kafka-9.internal", 9092));
    rewritten(rewriter, 3, 12, m, RewriteOutcome.UnknownNode);
    expect(rewriter.unknownNodeId).toBe(9);
  });

  it("FindCoordinator top-level host and port, v0-3; node id -1 is not a broker", () => {
    const rewriter = newRewriter();
    for (let v: i16 = 0; v <= 3; v++) {
      const m = new FindCoordinatorResponse();
      m.nodeId = 2; m.host = "kafka-2.internal"; m.port = 9092;
      const out = changetype<FindCoordinatorResponse>(rewritten(rewriter, 10, v, m, RewriteOutcome.Rewritten));
      expect(out.host).toBe("127.0.0.1");
      expect(out.port).toBe(19094);
      const none = new FindCoordinatorResponse();
      none.errorCode = 15; none.nodeId = -1; none.host = ""; none.port = -1;
      const kept = changetype<FindCoordinatorResponse>(rewritten(rewriter, 10, v, none, RewriteOutcome.Unchanged));
      expect(kept.nodeId).toBe(-1);
      expect(kept.port).toBe(-1);
    }
  });

  it("FindCoordinator coordinators, v4-6; node id -1 left alone; unknown node refused", () => {
    const rewriter = newRewriter('{"broker_addresses":{"nodes":{"1":"envoy.example:19093"}}}');
    for (let v: i16 = 4; v <= 6; v++) {
      const m = new FindCoordinatorResponse();
      const a = new FindCoordinatorResponse_Coordinator();
      a.key = "group-a"; a.nodeId = 1; a.host = "kafka-1.internal"; a.port = 9092;
      const b = new FindCoordinatorResponse_Coordinator();
      b.key = "group-b"; b.nodeId = -1; b.host = ""; b.port = -1; b.errorCode = 15;
      m.coordinators.push(a);
      m.coordinators.push(b);
      const out = changetype<FindCoordinatorResponse>(rewritten(rewriter, 10, v, m, RewriteOutcome.Rewritten));
      expect(out.coordinators[0].host).toBe("envoy.example");
      expect(out.coordinators[0].port).toBe(19093);
      expect(out.coordinators[1].nodeId).toBe(-1);
      expect(out.coordinators[1].host).toBe("");
      const c = new FindCoordinatorResponse_Coordinator();
      c.key = "group-c"; c.nodeId = 3; c.host = "kafka-3.internal"; c.port = 9092;
      m.coordinators.push(c);
      rewritten(rewriter, 10, v, m, RewriteOutcome.UnknownNode);
      expect(rewriter.unknownNodeId).toBe(3);
    }
  });

  it("DescribeCluster brokers, v0-2", () => {
    const rewriter = newRewriter();
    for (let v: i16 = 0; v <= 2; v++) {
      const m = new DescribeClusterResponse();
      const b = new DescribeClusterResponse_DescribeClusterBroker();
      b.brokerId = 7; b.host = "kafka-7.internal"; b.port = 9093;
      m.brokers.push(b);
      const out = changetype<DescribeClusterResponse>(rewritten(rewriter, 60, v, m, RewriteOutcome.Rewritten));
      expect(out.brokers[0].host).toBe("b7.proxy.example");
      expect(out.brokers[0].port).toBe(20007);
    }
  });

  it("Produce node_endpoints, v10-13 (tagged); v3-9 carry none", () => {
    const rewriter = newRewriter();
    expect(AddressRewriter.carriesEndpoints(0, 9)).toBe(false);
    for (let v: i16 = 10; v <= 13; v++) {
      expect(AddressRewriter.carriesEndpoints(0, v)).toBe(true);
      const m = new ProduceResponse();
      const e = new ProduceResponse_NodeEndpoint();
      e.nodeId = 1; e.host = "kafka-1.internal"; e.port = 9092; e.rack = "r1";
      m.nodeEndpoints.push(e);
      const out = changetype<ProduceResponse>(rewritten(rewriter, 0, v, m, RewriteOutcome.Rewritten));
      expect(out.nodeEndpoints[0].host).toBe("envoy.example");
      expect(out.nodeEndpoints[0].port).toBe(19093);
      expect(out.nodeEndpoints[0].rack).toBe("r1");
    }
  });

  it("Fetch node_endpoints, v16-18 (tagged); v4-15 carry none", () => {
    const rewriter = newRewriter();
    expect(AddressRewriter.carriesEndpoints(1, 15)).toBe(false);
    for (let v: i16 = 16; v <= 18; v++) {
      const m = new FetchResponse();
      const e = new FetchResponse_NodeEndpoint();
      e.nodeId = 2; e.host = "kafka-2.internal"; e.port = 9092;
      m.nodeEndpoints.push(e);
      const out = changetype<FetchResponse>(rewritten(rewriter, 1, v, m, RewriteOutcome.Rewritten));
      expect(out.nodeEndpoints[0].host).toBe("127.0.0.1");
      expect(out.nodeEndpoints[0].port).toBe(19094);
    }
  });

  it("ShareFetch and ShareAcknowledge node_endpoints, v1-2", () => {
    const rewriter = newRewriter();
    for (let v: i16 = 1; v <= 2; v++) {
      const f = new ShareFetchResponse();
      const fe = new ShareFetchResponse_NodeEndpoint();
      fe.nodeId = 4; fe.host = "kafka-4.internal"; fe.port = 9092;
      f.nodeEndpoints.push(fe);
      const fo = changetype<ShareFetchResponse>(rewritten(rewriter, 78, v, f, RewriteOutcome.Rewritten));
      expect(fo.nodeEndpoints[0].host).toBe("b4.proxy.example");
      expect(fo.nodeEndpoints[0].port).toBe(20004);
      const a = new ShareAcknowledgeResponse();
      const ae = new ShareAcknowledgeResponse_NodeEndpoint();
      ae.nodeId = 1; ae.host = "kafka-1.internal"; ae.port = 9092;
      a.nodeEndpoints.push(ae);
      const ao = changetype<ShareAcknowledgeResponse>(rewritten(rewriter, 79, v, a, RewriteOutcome.Rewritten));
      expect(ao.nodeEndpoints[0].host).toBe("envoy.example");
      expect(ao.nodeEndpoints[0].port).toBe(19093);
    }
  });

  it("DescribeQuorum controller listeners are stripped (v2), node ids kept; v0-1 carry none", () => {
    const rewriter = newRewriter();
    const m = new DescribeQuorumResponse();
    const node = new DescribeQuorumResponse_Node();
    node.nodeId = 3000;
    const listener = new DescribeQuorumResponse_Listener();
    listener.name = "CONTROLLER"; listener.host = "controller-1.internal"; listener.port = 9093;
    node.listeners.push(listener);
    m.nodes.push(node);
    const out = changetype<DescribeQuorumResponse>(rewritten(rewriter, 55, 2, m, RewriteOutcome.Rewritten));
    expect(out.nodes.length).toBe(1);
    expect(out.nodes[0].nodeId).toBe(3000);
    expect(out.nodes[0].listeners.length).toBe(0);
    for (let v: i16 = 0; v <= 1; v++) rewritten(rewriter, 55, v, new DescribeQuorumResponse(), RewriteOutcome.Unchanged);
  });

  it("KRaft controller RPCs: Vote, BeginQuorumEpoch, EndQuorumEpoch, FetchSnapshot endpoints (v1+) and UpdateRaftVoter's leader are stripped", () => {
    const rewriter = newRewriter();
    for (let v: i16 = 1; v <= 2; v++) {
      const vote = new VoteResponse();
      const ve = new VoteResponse_NodeEndpoint(); ve.nodeId = 3000; ve.host = "c1"; ve.port = 9093;
      vote.nodeEndpoints.push(ve);
      expect(changetype<VoteResponse>(rewritten(rewriter, 52, v, vote, RewriteOutcome.Rewritten)).nodeEndpoints.length).toBe(0);
    }
    const begin = new BeginQuorumEpochResponse();
    const be = new BeginQuorumEpochResponse_NodeEndpoint(); be.nodeId = 3000; be.host = "c1"; be.port = 9093;
    begin.nodeEndpoints.push(be);
    expect(changetype<BeginQuorumEpochResponse>(rewritten(rewriter, 53, 1, begin, RewriteOutcome.Rewritten)).nodeEndpoints.length).toBe(0);
    const end = new EndQuorumEpochResponse();
    const ee = new EndQuorumEpochResponse_NodeEndpoint(); ee.nodeId = 3000; ee.host = "c1"; ee.port = 9093;
    end.nodeEndpoints.push(ee);
    expect(changetype<EndQuorumEpochResponse>(rewritten(rewriter, 54, 1, end, RewriteOutcome.Rewritten)).nodeEndpoints.length).toBe(0);
    const snapshot = new FetchSnapshotResponse();
    const se = new FetchSnapshotResponse_NodeEndpoint(); se.nodeId = 3000; se.host = "c1"; se.port = 9093;
    snapshot.nodeEndpoints.push(se);
    expect(changetype<FetchSnapshotResponse>(rewritten(rewriter, 59, 1, snapshot, RewriteOutcome.Rewritten)).nodeEndpoints.length).toBe(0);
    const voter = new UpdateRaftVoterResponse();
    voter.currentLeader.leaderId = 3000; voter.currentLeader.host = "c1"; voter.currentLeader.port = 9093;
    const vo = changetype<UpdateRaftVoterResponse>(rewritten(rewriter, 82, 0, voter, RewriteOutcome.Rewritten));
    expect(vo.currentLeader.host).toBe("");
    expect(vo.currentLeader.port).toBe(0);
    expect(vo.currentLeader.leaderId).toBe(3000);
  });

  it("responses without broker addresses are never touched", () => {
    expect(AddressRewriter.carriesEndpoints(29, 3)).toBe(false); // DescribeAcls: ACL hosts
    expect(AddressRewriter.carriesEndpoints(15, 5)).toBe(false); // DescribeGroups: client hosts
    expect(AddressRewriter.carriesEndpoints(89, 0)).toBe(false); // StreamsGroupDescribe: user endpoints
    expect(AddressRewriter.carriesEndpoints(88, 0)).toBe(false); // StreamsGroupHeartbeat: user endpoints
  });
});

// Broker address rewriting over decoded responses (cluster mode), and only that: every
// response field of Kafka 4.3.1 (spec/kafka-4.3.1/*Response.json) that carries a
// broker's host and port is set to the Envoy address fronting that broker, by node id,
// so that clients never learn a real broker address and always come back through the
// proxy. Controller endpoints (KRaft quorum RPCs) are stripped instead: controllers are
// not fronted by Envoy. What is deliberately left alone, and why, is in README
// ("Broker address rewriting").
import { Message } from "../codec/message";
import { ProduceResponse } from "../codec/generated/ProduceResponse";
import { FetchResponse } from "../codec/generated/FetchResponse";
import { MetadataResponse } from "../codec/generated/MetadataResponse";
import { FindCoordinatorResponse } from "../codec/generated/FindCoordinatorResponse";
import { DescribeClusterResponse } from "../codec/generated/DescribeClusterResponse";
import { DescribeQuorumResponse } from "../codec/generated/DescribeQuorumResponse";
import { VoteResponse } from "../codec/generated/VoteResponse";
import { BeginQuorumEpochResponse } from "../codec/generated/BeginQuorumEpochResponse";
import { EndQuorumEpochResponse } from "../codec/generated/EndQuorumEpochResponse";
import { FetchSnapshotResponse } from "../codec/generated/FetchSnapshotResponse";
import { UpdateRaftVoterResponse } from "../codec/generated/UpdateRaftVoterResponse";
import { ShareFetchResponse } from "../codec/generated/ShareFetchResponse";
import { ShareAcknowledgeResponse } from "../codec/generated/ShareAcknowledgeResponse";
import { BrokerAddressMap, NO_NODE_ID } from "./addresses";
import { BEGIN_QUORUM_EPOCH, DESCRIBE_CLUSTER, DESCRIBE_QUORUM, END_QUORUM_EPOCH, FETCH, FETCH_SNAPSHOT, FIND_COORDINATOR, METADATA, PRODUCE, SHARE_ACKNOWLEDGE, SHARE_FETCH, UPDATE_RAFT_VOTER, VOTE } from "../codec/generated/apis";

/** ProduceResponse.json: "Version 10 adds 'CurrentLeader' and 'NodeEndpoints' as tagged fields (KIP-951)". */
export const FIRST_PRODUCE_WITH_NODE_ENDPOINTS: i16 = 10;
/** FetchResponse.json: "Version 16 adds the 'NodeEndpoints' field (KIP-951)". */
export const FIRST_FETCH_WITH_NODE_ENDPOINTS: i16 = 16;
/** FindCoordinatorResponse.json: v4 (KIP-699) moved NodeId/Host/Port into Coordinators[]. */
const FIRST_FIND_COORDINATOR_BATCHED: i16 = 4;

/** What AddressRewriter made of one decoded response. */
export const enum RewriteOutcome {
  /** No address in the response changed (none present, or already the fronting ones). */
  Unchanged = 0,
  /** At least one address was rewritten or stripped; the response must be re-encoded. */
  Rewritten = 1,
  /** A broker address names a node id with no mapping (`unknownNodeId`): the response must not pass. */
  UnknownNode = 2,
}

/**
 * Rewrites the broker addresses of one decoded response in place. Shapes follow the
 * generated codec (assembly/codec/generated), which follows Kafka 4.3.1's specs:
 *
 * | API (spec file) | field | versions | done |
 * |---|---|---|---|
 * | Metadata (MetadataResponse.json) | Brokers[].NodeId/Host/Port | 0-13 | rewritten |
 * | FindCoordinator (FindCoordinatorResponse.json) | NodeId/Host/Port | 0-3 | rewritten, node id -1 left alone |
 * | FindCoordinator | Coordinators[].NodeId/Host/Port | 4-6 | rewritten, node id -1 left alone |
 * | DescribeCluster (DescribeClusterResponse.json) | Brokers[].BrokerId/Host/Port | 0-2 | rewritten |
 * | Produce (ProduceResponse.json) | NodeEndpoints (tag 0) | 10-13 | rewritten |
 * | Fetch (FetchResponse.json) | NodeEndpoints (tag 0) | 16-18 | rewritten (see fetch-tail.ts for large responses) |
 * | ShareFetch / ShareAcknowledge | NodeEndpoints | 1-2 | rewritten |
 * | DescribeQuorum (DescribeQuorumResponse.json) | Nodes[].Listeners[] | 2 | stripped (controllers) |
 * | Vote, BeginQuorumEpoch, EndQuorumEpoch, FetchSnapshot | NodeEndpoints | 1+ | stripped (controller-only RPCs) |
 * | UpdateRaftVoter (UpdateRaftVoterResponse.json) | CurrentLeader.Host/Port | 0 | stripped (controller-only RPC) |
 *
 * An address already equal to its fronting one counts as unchanged. The first node id
 * without a mapping stops the rewrite (the caller closes the connection).
 */
export class AddressRewriter {
  /** The node id that made the last rewrite return UnknownNode. */
  unknownNodeId: i32 = 0;
  private changed: bool = false;

  constructor(readonly addresses: BrokerAddressMap) {}

  /** Whether responses of this API and version can carry a broker or controller address. */
  static carriesEndpoints(apiKey: i16, apiVersion: i16): bool {
    switch (apiKey) {
      case PRODUCE: return apiVersion >= FIRST_PRODUCE_WITH_NODE_ENDPOINTS;
      case FETCH: return apiVersion >= FIRST_FETCH_WITH_NODE_ENDPOINTS;
      case METADATA: case FIND_COORDINATOR: case DESCRIBE_CLUSTER: case SHARE_FETCH: case SHARE_ACKNOWLEDGE:
      case DESCRIBE_QUORUM: case VOTE: case BEGIN_QUORUM_EPOCH: case END_QUORUM_EPOCH: case FETCH_SNAPSHOT:
      case UPDATE_RAFT_VOTER:
        return true;
      default: return false;
    }
  }

  /** Rewrites `body`, a decoded response of `apiKey` at `apiVersion`. */
  rewrite(apiKey: i16, apiVersion: i16, body: Message): RewriteOutcome {
    this.changed = false;
    let ok = true;
    switch (apiKey) {
      case METADATA: ok = this.repoint(changetype<MetadataResponse>(body).brokers, false); break;
      case FIND_COORDINATOR: ok = this.findCoordinator(changetype<FindCoordinatorResponse>(body), apiVersion); break;
      case DESCRIBE_CLUSTER: ok = this.describeCluster(changetype<DescribeClusterResponse>(body)); break;
      case PRODUCE: ok = this.repoint(changetype<ProduceResponse>(body).nodeEndpoints, false); break;
      case FETCH: ok = this.repoint(changetype<FetchResponse>(body).nodeEndpoints, false); break;
      case SHARE_FETCH: ok = this.repoint(changetype<ShareFetchResponse>(body).nodeEndpoints, false); break;
      case SHARE_ACKNOWLEDGE: ok = this.repoint(changetype<ShareAcknowledgeResponse>(body).nodeEndpoints, false); break;
      case DESCRIBE_QUORUM: this.describeQuorum(changetype<DescribeQuorumResponse>(body)); break;
      case VOTE: { const r = changetype<VoteResponse>(body); r.nodeEndpoints = this.emptied(r.nodeEndpoints); break; }
      case BEGIN_QUORUM_EPOCH: { const r = changetype<BeginQuorumEpochResponse>(body); r.nodeEndpoints = this.emptied(r.nodeEndpoints); break; }
      case END_QUORUM_EPOCH: { const r = changetype<EndQuorumEpochResponse>(body); r.nodeEndpoints = this.emptied(r.nodeEndpoints); break; }
      case FETCH_SNAPSHOT: { const r = changetype<FetchSnapshotResponse>(body); r.nodeEndpoints = this.emptied(r.nodeEndpoints); break; }
      case UPDATE_RAFT_VOTER: {
        const leader = changetype<UpdateRaftVoterResponse>(body).currentLeader;
        if (leader.host.length > 0 || leader.port != 0) { leader.host = ""; leader.port = 0; this.changed = true; }
        break;
      }
      default: break;
    }
    if (!ok) return RewriteOutcome.UnknownNode;
    return this.changed ? RewriteOutcome.Rewritten : RewriteOutcome.Unchanged;
  }

  /**
   * Looks up `nodeId` and notes whether (host, port) differ from its fronting address.
   * False for a node id with no mapping. After true, the answer is in `addresses`.
   */
  resolve(nodeId: i32, host: string, port: i32): bool {
    const addresses = this.addresses;
    if (!addresses.resolve(nodeId)) {
      this.unknownNodeId = nodeId;
      return false;
    }
    if (addresses.port != port || addresses.host != host) this.changed = true;
    return true;
  }

  /**
   * Points every entry of a node-keyed endpoint list at its fronting address: Metadata
   * brokers, FindCoordinator coordinators (v4+), and the KIP-951 node endpoints of
   * Produce, Fetch, ShareFetch and ShareAcknowledge. `T` is a generated struct with
   * `nodeId`, `host` and `port`. With `skipNoNode`, entries of node id -1 (FindCoordinator's
   * "no coordinator") are left alone; elsewhere -1 is a node id like any other, so an
   * address under it can never pass unmapped. False at the first node id with no mapping.
   */
  private repoint<T>(list: Array<T>, skipNoNode: bool): bool {
    for (let i = 0, n = list.length; i < n; i++) {
      const entry = unchecked(list[i]);
      if (skipNoNode && entry.nodeId == NO_NODE_ID) continue;
      if (!this.resolve(entry.nodeId, entry.host, entry.port)) return false;
      entry.host = this.addresses.host;
      entry.port = this.addresses.port;
    }
    return true;
  }

  private findCoordinator(response: FindCoordinatorResponse, version: i16): bool {
    if (version >= FIRST_FIND_COORDINATOR_BATCHED) return this.repoint(response.coordinators, true);
    if (response.nodeId == NO_NODE_ID) return true;
    if (!this.resolve(response.nodeId, response.host, response.port)) return false;
    response.host = this.addresses.host;
    response.port = this.addresses.port;
    return true;
  }

  /** DescribeCluster names its brokers by `brokerId`, so it cannot share repoint(). */
  private describeCluster(response: DescribeClusterResponse): bool {
    const brokers = response.brokers;
    for (let i = 0, n = brokers.length; i < n; i++) {
      const broker = unchecked(brokers[i]);
      if (!this.resolve(broker.brokerId, broker.host, broker.port)) return false;
      broker.host = this.addresses.host;
      broker.port = this.addresses.port;
    }
    return true;
  }

  /** An empty list in place of a non-empty one (controller endpoints, which no client may learn). */
  private emptied<T>(list: Array<T>): Array<T> {
    if (list.length == 0) return list;
    this.changed = true;
    return new Array<T>();
  }

  /** Controller listeners: controllers are not fronted by Envoy, so no client may learn them. */
  private describeQuorum(response: DescribeQuorumResponse): void {
    const nodes = response.nodes;
    for (let i = 0, n = nodes.length; i < n; i++) {
      const node = unchecked(nodes[i]);
      node.listeners = this.emptied(node.listeners);
    }
  }
}

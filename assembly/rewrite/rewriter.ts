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
import { DescribeQuorumResponse, DescribeQuorumResponse_Listener } from "../codec/generated/DescribeQuorumResponse";
import { VoteResponse, VoteResponse_NodeEndpoint } from "../codec/generated/VoteResponse";
import { BeginQuorumEpochResponse, BeginQuorumEpochResponse_NodeEndpoint } from "../codec/generated/BeginQuorumEpochResponse";
import { EndQuorumEpochResponse, EndQuorumEpochResponse_NodeEndpoint } from "../codec/generated/EndQuorumEpochResponse";
import { FetchSnapshotResponse, FetchSnapshotResponse_NodeEndpoint } from "../codec/generated/FetchSnapshotResponse";
import { UpdateRaftVoterResponse } from "../codec/generated/UpdateRaftVoterResponse";
import { ShareFetchResponse } from "../codec/generated/ShareFetchResponse";
import { ShareAcknowledgeResponse } from "../codec/generated/ShareAcknowledgeResponse";
import { BrokerAddressMap, NO_NODE_ID } from "./addresses";

export const PRODUCE: i16 = 0;
export const FETCH: i16 = 1;
const METADATA: i16 = 3;
const FIND_COORDINATOR: i16 = 10;
const VOTE: i16 = 52;
const BEGIN_QUORUM_EPOCH: i16 = 53;
const END_QUORUM_EPOCH: i16 = 54;
const DESCRIBE_QUORUM: i16 = 55;
const FETCH_SNAPSHOT: i16 = 59;
const DESCRIBE_CLUSTER: i16 = 60;
const SHARE_FETCH: i16 = 78;
const SHARE_ACKNOWLEDGE: i16 = 79;
const UPDATE_RAFT_VOTER: i16 = 82;
/** ProduceResponse.json: "Version 10 adds 'CurrentLeader' and 'NodeEndpoints' as tagged fields (KIP-951)". */
export const FIRST_PRODUCE_WITH_NODE_ENDPOINTS: i16 = 10;
/** FetchResponse.json: "Version 16 adds the 'NodeEndpoints' field (KIP-951)". */
export const FIRST_FETCH_WITH_NODE_ENDPOINTS: i16 = 16;
/** FindCoordinatorResponse.json: v4 (KIP-699) moved NodeId/Host/Port into Coordinators[]. */
const FIRST_FIND_COORDINATOR_BATCHED: i16 = 4;

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
      case METADATA: ok = this.metadata(changetype<MetadataResponse>(body)); break;
      case FIND_COORDINATOR: ok = this.findCoordinator(changetype<FindCoordinatorResponse>(body), apiVersion); break;
      case DESCRIBE_CLUSTER: ok = this.describeCluster(changetype<DescribeClusterResponse>(body)); break;
      case PRODUCE: ok = this.produce(changetype<ProduceResponse>(body)); break;
      case FETCH: ok = this.fetch(changetype<FetchResponse>(body)); break;
      case SHARE_FETCH: ok = this.shareFetch(changetype<ShareFetchResponse>(body)); break;
      case SHARE_ACKNOWLEDGE: ok = this.shareAcknowledge(changetype<ShareAcknowledgeResponse>(body)); break;
      case DESCRIBE_QUORUM: this.describeQuorum(changetype<DescribeQuorumResponse>(body)); break;
      case VOTE: {
        const response = changetype<VoteResponse>(body);
        if (response.nodeEndpoints.length > 0) { response.nodeEndpoints = new Array<VoteResponse_NodeEndpoint>(); this.changed = true; }
        break;
      }
      case BEGIN_QUORUM_EPOCH: {
        const response = changetype<BeginQuorumEpochResponse>(body);
        if (response.nodeEndpoints.length > 0) { response.nodeEndpoints = new Array<BeginQuorumEpochResponse_NodeEndpoint>(); this.changed = true; }
        break;
      }
      case END_QUORUM_EPOCH: {
        const response = changetype<EndQuorumEpochResponse>(body);
        if (response.nodeEndpoints.length > 0) { response.nodeEndpoints = new Array<EndQuorumEpochResponse_NodeEndpoint>(); this.changed = true; }
        break;
      }
      case FETCH_SNAPSHOT: {
        const response = changetype<FetchSnapshotResponse>(body);
        if (response.nodeEndpoints.length > 0) { response.nodeEndpoints = new Array<FetchSnapshotResponse_NodeEndpoint>(); this.changed = true; }
        break;
      }
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

  private metadata(response: MetadataResponse): bool {
    const brokers = response.brokers;
    for (let i = 0, n = brokers.length; i < n; i++) {
      const broker = unchecked(brokers[i]);
      if (!this.resolve(broker.nodeId, broker.host, broker.port)) return false;
      broker.host = this.addresses.host;
      broker.port = this.addresses.port;
    }
    return true;
  }

  private findCoordinator(response: FindCoordinatorResponse, version: i16): bool {
    if (version < FIRST_FIND_COORDINATOR_BATCHED) {
      if (response.nodeId == NO_NODE_ID) return true;
      if (!this.resolve(response.nodeId, response.host, response.port)) return false;
      response.host = this.addresses.host;
      response.port = this.addresses.port;
      return true;
    }
    const coordinators = response.coordinators;
    for (let i = 0, n = coordinators.length; i < n; i++) {
      const coordinator = unchecked(coordinators[i]);
      if (coordinator.nodeId == NO_NODE_ID) continue;
      if (!this.resolve(coordinator.nodeId, coordinator.host, coordinator.port)) return false;
      coordinator.host = this.addresses.host;
      coordinator.port = this.addresses.port;
    }
    return true;
  }

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

  private produce(response: ProduceResponse): bool {
    const endpoints = response.nodeEndpoints;
    for (let i = 0, n = endpoints.length; i < n; i++) {
      const endpoint = unchecked(endpoints[i]);
      if (!this.resolve(endpoint.nodeId, endpoint.host, endpoint.port)) return false;
      endpoint.host = this.addresses.host;
      endpoint.port = this.addresses.port;
    }
    return true;
  }

  private fetch(response: FetchResponse): bool {
    const endpoints = response.nodeEndpoints;
    for (let i = 0, n = endpoints.length; i < n; i++) {
      const endpoint = unchecked(endpoints[i]);
      if (!this.resolve(endpoint.nodeId, endpoint.host, endpoint.port)) return false;
      endpoint.host = this.addresses.host;
      endpoint.port = this.addresses.port;
    }
    return true;
  }

  private shareFetch(response: ShareFetchResponse): bool {
    const endpoints = response.nodeEndpoints;
    for (let i = 0, n = endpoints.length; i < n; i++) {
      const endpoint = unchecked(endpoints[i]);
      if (!this.resolve(endpoint.nodeId, endpoint.host, endpoint.port)) return false;
      endpoint.host = this.addresses.host;
      endpoint.port = this.addresses.port;
    }
    return true;
  }

  private shareAcknowledge(response: ShareAcknowledgeResponse): bool {
    const endpoints = response.nodeEndpoints;
    for (let i = 0, n = endpoints.length; i < n; i++) {
      const endpoint = unchecked(endpoints[i]);
      if (!this.resolve(endpoint.nodeId, endpoint.host, endpoint.port)) return false;
      endpoint.host = this.addresses.host;
      endpoint.port = this.addresses.port;
    }
    return true;
  }

  /** Controller listeners: controllers are not fronted by Envoy, so no client may learn them. */
  private describeQuorum(response: DescribeQuorumResponse): void {
    const nodes = response.nodes;
    for (let i = 0, n = nodes.length; i < n; i++) {
      const node = unchecked(nodes[i]);
      if (node.listeners.length > 0) {
        node.listeners = new Array<DescribeQuorumResponse_Listener>();
        this.changed = true;
      }
    }
  }
}

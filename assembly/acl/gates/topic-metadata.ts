// Metadata (3): Describe on each topic.
//
// All topics (topics null, or an empty list at v0): forwarded as is; the merger hides
// every topic the principal may not Describe, without audit lines, as Kafka does.
// Named topics: denied names are removed and answered with TOPIC_AUTHORIZATION_FAILED
// (no partitions, topic id zero, not internal). Topics named by id (v10+) resolve
// through the filter's id table: an unknown id is UNKNOWN_TOPIC_ID, a denied one 29,
// both with a null name (v12+; "" before, where the name cannot be null) and the id,
// because Kafka treats ids as not secret but never reveals the name.
//
// Nothing left to ask for: v1+ forwards an empty list, which means "no topics", so
// the broker still supplies brokers, cluster id and controller. At v0 an empty list
// means "all topics", so the request goes out empty and the merger drops whatever
// topics the broker lists: costly for the broker, but nothing leaks and the client
// gets a real broker list (which only the broker knows).
//
// Auto-creation (v4+): Kafka creates a missing topic only when the principal also has
// Create on the Cluster or on the topic. The filter cannot tell which names exist, so
// when any name it forwards lacks both, it turns allow_auto_topic_creation off: such a
// name then answers UNKNOWN_TOPIC_OR_PARTITION instead of 29, and creatable names sent
// along with it are not created. v0-3 have no such flag; the broker's
// auto.create.topics.enable decides there.
import { Message } from "../../codec/message";
import { Uuid } from "../../codec/types";
import { MetadataRequest, MetadataRequest_MetadataRequestTopic } from "../../codec/generated/MetadataRequest";
import { MetadataResponse, MetadataResponse_MetadataResponseTopic } from "../../codec/generated/MetadataResponse";
import { Authorizer, CLUSTER_NAME, GateResult, Operation, ResourceType, ResponseMerger, UNKNOWN_TOPIC_ID } from "../model";
import { rewriteOnly, topicIdError, topicNameError } from "./topic-common";

/**
 * Metadata (3): an all-topics request is forwarded and the listing filtered quietly;
 * named topics need Describe (by id from v10), denied ones answered with their error.
 * Auto-creation is turned off when the principal could not Create a forwarded name,
 * as Kafka would refuse to create it.
 */
export function gateMetadata(version: i16, request: MetadataRequest, authorizer: Authorizer): GateResult {
  const topics = request.topics;
  if (topics === null || (version == 0 && topics.length == 0)) {
    return GateResult.passAndMerge(new MetadataListingFilter(authorizer));
  }

  const allowed = new Array<MetadataRequest_MetadataRequestTopic>();
  let denied: Array<MetadataResponse_MetadataResponseTopic> | null = null;
  for (let i = 0, n = topics.length; i < n; i++) {
    const topic = unchecked(topics[i]);
    const name = topic.name;
    const byId = version >= 10 && (name === null || !topic.topicId.isZero());
    let code: i16;
    if (byId) code = topicIdError(authorizer, topic.topicId, Operation.Describe);
    else code = topicNameError(authorizer, name !== null ? name : "", Operation.Describe);
    if (code == 0) {
      allowed.push(topic);
      continue;
    }
    if (denied === null) denied = new Array<MetadataResponse_MetadataResponseTopic>();
    denied.push(deniedTopic(version, byId, name, topic.topicId, code));
  }

  const creationTurnedOff = version >= 4 && request.allowAutoTopicCreation &&
    someLackCreate(version, allowed, authorizer);
  if (creationTurnedOff) request.allowAutoTopicCreation = false;
  if (denied === null) return creationTurnedOff ? rewriteOnly(request) : GateResult.pass();

  // At v0 an empty list would fetch every topic: the merger then drops all of them.
  const dropBrokerTopics = version == 0 && allowed.length == 0;
  request.topics = allowed;
  return GateResult.rewrite(request, new MetadataDenials(denied, dropBrokerTopics));
}

/** True when some forwarded name could be auto-created though Kafka would not allow it. */
function someLackCreate(version: i16, topics: Array<MetadataRequest_MetadataRequestTopic>, authorizer: Authorizer): bool {
  let clusterChecked = false;
  for (let i = 0, n = topics.length; i < n; i++) {
    const topic = unchecked(topics[i]);
    const name = topic.name;
    // A topic named by id exists already (the filter learned its id), so it is never created.
    if (name === null || (version >= 10 && !topic.topicId.isZero())) continue;
    if (!clusterChecked) {
      if (authorizer.allowed(ResourceType.Cluster, CLUSTER_NAME, Operation.Create, false)) return false;
      clusterChecked = true;
    }
    if (!authorizer.allowed(ResourceType.Topic, name, Operation.Create, false)) return true;
  }
  return false;
}

function deniedTopic(version: i16, byId: bool, name: string | null, id: Uuid, code: i16): MetadataResponse_MetadataResponseTopic {
  const entry = new MetadataResponse_MetadataResponseTopic();
  entry.errorCode = code;
  if (byId) {
    entry.name = version >= 12 ? null : "";
    entry.topicId = id.clone();
  } else {
    entry.name = name !== null ? name : "";
  }
  return entry;
}

class MetadataDenials extends ResponseMerger {
  constructor(private denied: Array<MetadataResponse_MetadataResponseTopic>, private dropBrokerTopics: bool) {
    super();
  }

  /** Kafka lists unknown topic ids first and refused topics after the ones it describes. */
  merge(response: Message): void {
    if (!(response instanceof MetadataResponse)) return;
    const metadata = changetype<MetadataResponse>(response);
    const listed = this.dropBrokerTopics ? new Array<MetadataResponse_MetadataResponseTopic>() : metadata.topics;
    const out = new Array<MetadataResponse_MetadataResponseTopic>();
    const denied = this.denied;
    for (let i = 0, n = denied.length; i < n; i++) {
      const entry = unchecked(denied[i]);
      if (entry.errorCode == UNKNOWN_TOPIC_ID) out.push(entry);
    }
    for (let i = 0, n = listed.length; i < n; i++) out.push(unchecked(listed[i]));
    for (let i = 0, n = denied.length; i < n; i++) {
      const entry = unchecked(denied[i]);
      if (entry.errorCode != UNKNOWN_TOPIC_ID) out.push(entry);
    }
    metadata.topics = out;
  }
}

/** Hides, quietly, the topics of an all-topics listing that the principal may not Describe. */
class MetadataListingFilter extends ResponseMerger {
  constructor(private authorizer: Authorizer) {
    super();
  }

  merge(response: Message): void {
    if (!(response instanceof MetadataResponse)) return;
    const metadata = changetype<MetadataResponse>(response);
    const topics = metadata.topics;
    const visible = new Array<MetadataResponse_MetadataResponseTopic>();
    for (let i = 0, n = topics.length; i < n; i++) {
      const topic = unchecked(topics[i]);
      const name = topic.name;
      if (name !== null && this.authorizer.allowed(ResourceType.Topic, name, Operation.Describe, false)) {
        visible.push(topic);
      }
    }
    if (visible.length != topics.length) metadata.topics = visible;
  }
}

// Gates for the APIs that name topics (and the partition and config administration
// that goes with them). The README's API table lists each API's rule and how a denial
// is answered. Each gate lives in a topic-*.ts file.
import { Message } from "../../codec/message";
import { ProduceRequest } from "../../codec/generated/ProduceRequest";
import { FetchRequest } from "../../codec/generated/FetchRequest";
import { ListOffsetsRequest } from "../../codec/generated/ListOffsetsRequest";
import { MetadataRequest } from "../../codec/generated/MetadataRequest";
import { CreateTopicsRequest } from "../../codec/generated/CreateTopicsRequest";
import { DeleteTopicsRequest } from "../../codec/generated/DeleteTopicsRequest";
import { DeleteRecordsRequest } from "../../codec/generated/DeleteRecordsRequest";
import { OffsetForLeaderEpochRequest } from "../../codec/generated/OffsetForLeaderEpochRequest";
import { DescribeConfigsRequest } from "../../codec/generated/DescribeConfigsRequest";
import { AlterConfigsRequest } from "../../codec/generated/AlterConfigsRequest";
import { CreatePartitionsRequest } from "../../codec/generated/CreatePartitionsRequest";
import { ElectLeadersRequest } from "../../codec/generated/ElectLeadersRequest";
import { IncrementalAlterConfigsRequest } from "../../codec/generated/IncrementalAlterConfigsRequest";
import { AlterPartitionReassignmentsRequest } from "../../codec/generated/AlterPartitionReassignmentsRequest";
import { ListPartitionReassignmentsRequest } from "../../codec/generated/ListPartitionReassignmentsRequest";
import { DescribeProducersRequest } from "../../codec/generated/DescribeProducersRequest";
import { DescribeTopicPartitionsRequest } from "../../codec/generated/DescribeTopicPartitionsRequest";
import { Authorizer, GateResult } from "../model";
import { gateProduce } from "./topic-produce";
import { gateFetch } from "./topic-fetch";
import { gateDeleteRecords, gateDescribeProducers, gateListOffsets, gateOffsetForLeaderEpoch } from "./topic-partitions";
import { gateMetadata } from "./topic-metadata";
import { gateDescribeTopicPartitions } from "./topic-describe-partitions";
import { gateCreatePartitions, gateCreateTopics, gateDeleteTopics } from "./topic-admin";
import { gateAlterConfigs, gateDescribeConfigs, gateIncrementalAlterConfigs } from "./topic-configs";
import { gateAlterPartitionReassignments, gateElectLeaders, gateListPartitionReassignments } from "./topic-cluster";

/** The API keys gateTopicApi decides. */
export const TOPIC_GATED_API_KEYS: StaticArray<i16> = [0, 1, 2, 3, 19, 20, 21, 23, 32, 33, 37, 43, 44, 45, 46, 61, 75];

/**
 * Gates a decoded request of one of TOPIC_GATED_API_KEYS; null for any other API, or
 * when `request` is not that API's request class (never trusts the caller's cast).
 */
export function gateTopicApi(apiKey: i16, apiVersion: i16, request: Message, authorizer: Authorizer): GateResult | null {
  switch (apiKey) {
    case 0:
      if (request instanceof ProduceRequest) return gateProduce(apiVersion, changetype<ProduceRequest>(request), authorizer);
      return null;
    case 1:
      if (request instanceof FetchRequest) return gateFetch(apiVersion, changetype<FetchRequest>(request), authorizer);
      return null;
    case 2:
      if (request instanceof ListOffsetsRequest) return gateListOffsets(changetype<ListOffsetsRequest>(request), authorizer);
      return null;
    case 3:
      if (request instanceof MetadataRequest) return gateMetadata(apiVersion, changetype<MetadataRequest>(request), authorizer);
      return null;
    case 19:
      if (request instanceof CreateTopicsRequest) {
        return gateCreateTopics(apiVersion, changetype<CreateTopicsRequest>(request), authorizer);
      }
      return null;
    case 20:
      if (request instanceof DeleteTopicsRequest) {
        return gateDeleteTopics(apiVersion, changetype<DeleteTopicsRequest>(request), authorizer);
      }
      return null;
    case 21:
      if (request instanceof DeleteRecordsRequest) return gateDeleteRecords(changetype<DeleteRecordsRequest>(request), authorizer);
      return null;
    case 23:
      if (request instanceof OffsetForLeaderEpochRequest) {
        return gateOffsetForLeaderEpoch(changetype<OffsetForLeaderEpochRequest>(request), authorizer);
      }
      return null;
    case 32:
      if (request instanceof DescribeConfigsRequest) {
        return gateDescribeConfigs(changetype<DescribeConfigsRequest>(request), authorizer);
      }
      return null;
    case 33:
      if (request instanceof AlterConfigsRequest) return gateAlterConfigs(changetype<AlterConfigsRequest>(request), authorizer);
      return null;
    case 37:
      if (request instanceof CreatePartitionsRequest) {
        return gateCreatePartitions(changetype<CreatePartitionsRequest>(request), authorizer);
      }
      return null;
    case 43:
      if (request instanceof ElectLeadersRequest) {
        return gateElectLeaders(apiVersion, changetype<ElectLeadersRequest>(request), authorizer);
      }
      return null;
    case 44:
      if (request instanceof IncrementalAlterConfigsRequest) {
        return gateIncrementalAlterConfigs(changetype<IncrementalAlterConfigsRequest>(request), authorizer);
      }
      return null;
    case 45:
      if (request instanceof AlterPartitionReassignmentsRequest) {
        return gateAlterPartitionReassignments(changetype<AlterPartitionReassignmentsRequest>(request), authorizer);
      }
      return null;
    case 46:
      if (request instanceof ListPartitionReassignmentsRequest) return gateListPartitionReassignments(authorizer);
      return null;
    case 61:
      if (request instanceof DescribeProducersRequest) {
        return gateDescribeProducers(changetype<DescribeProducersRequest>(request), authorizer);
      }
      return null;
    case 75:
      if (request instanceof DescribeTopicPartitionsRequest) {
        return gateDescribeTopicPartitions(changetype<DescribeTopicPartitionsRequest>(request), authorizer);
      }
      return null;
  }
  return null;
}

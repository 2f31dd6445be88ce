// The spellings of resource types and operations in configuration, audit lines and
// stat names: lower-case with underscores ("transactional_id", "describe_configs"),
// so an operator greps for the words they configured. Every name is a static literal.
import { Operation, ResourceType } from "./model";

/** Resource types a rule may name, in the order error messages list them. */
export const RESOURCE_TYPE_NAMES: string[] = ["topic", "group", "transactional_id", "cluster"];
const RESOURCE_TYPES: ResourceType[] = [ResourceType.Topic, ResourceType.Group, ResourceType.TransactionalId, ResourceType.Cluster];

/** Operations a rule may name, in the order error messages list them. */
export const OPERATION_NAMES: string[] = [
  "read", "write", "create", "delete", "alter", "describe", "describe_configs", "alter_configs",
  "idempotent_write", "cluster_action", "two_phase_commit", "all",
];
const OPERATIONS: Operation[] = [
  Operation.Read, Operation.Write, Operation.Create, Operation.Delete, Operation.Alter, Operation.Describe,
  Operation.DescribeConfigs, Operation.AlterConfigs, Operation.IdempotentWrite, Operation.ClusterAction,
  Operation.TwoPhaseCommit, Operation.All,
];

/** The resource type spelled `name`, or -1. */
export function resourceTypeNamed(name: string): i32 {
  for (let i = 0; i < RESOURCE_TYPE_NAMES.length; i++) if (RESOURCE_TYPE_NAMES[i] == name) return <i32>RESOURCE_TYPES[i];
  return -1;
}

/** The operation spelled `name`, or -1. */
export function operationNamed(name: string): i32 {
  for (let i = 0; i < OPERATION_NAMES.length; i++) if (OPERATION_NAMES[i] == name) return <i32>OPERATIONS[i];
  return -1;
}

/** The config and audit spelling of a resource type (snake case); "unknown" for any other code. */
export function resourceTypeName(type: ResourceType): string {
  switch (type) {
    case ResourceType.Topic: return "topic";
    case ResourceType.Group: return "group";
    case ResourceType.Cluster: return "cluster";
    case ResourceType.TransactionalId: return "transactional_id";
    case ResourceType.DelegationToken: return "delegation_token";
    case ResourceType.User: return "user";
  }
  return "unknown";
}

/** The config and audit spelling of an operation (snake case); "unknown" for any other code. */
export function operationName(operation: Operation): string {
  switch (operation) {
    case Operation.All: return "all";
    case Operation.Read: return "read";
    case Operation.Write: return "write";
    case Operation.Create: return "create";
    case Operation.Delete: return "delete";
    case Operation.Alter: return "alter";
    case Operation.Describe: return "describe";
    case Operation.ClusterAction: return "cluster_action";
    case Operation.DescribeConfigs: return "describe_configs";
    case Operation.AlterConfigs: return "alter_configs";
    case Operation.IdempotentWrite: return "idempotent_write";
    case Operation.CreateTokens: return "create_tokens";
    case Operation.DescribeTokens: return "describe_tokens";
    case Operation.TwoPhaseCommit: return "two_phase_commit";
  }
  return "unknown";
}

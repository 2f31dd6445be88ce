// DescribeConfigs (32), AlterConfigs (33) and IncrementalAlterConfigs (44), decided per
// resource as Kafka does: a topic (type 2) needs DescribeConfigs/AlterConfigs on the
// topic (29); a broker (4), broker logger (8) or client-metrics (16) resource needs it on
// the Cluster (31); a group (32) needs it on the group (30). Kafka rejects other types
// as invalid; the filter asks for the Cluster operation for them (failing closed) and
// lets the broker reject them when that is allowed.
import { Message } from "../../codec/message";
import { inRequestOrder } from "./merge-order";
import {
  DescribeConfigsRequest, DescribeConfigsRequest_DescribeConfigsResource,
} from "../../codec/generated/DescribeConfigsRequest";
import { DescribeConfigsResponse, DescribeConfigsResponse_DescribeConfigsResult } from "../../codec/generated/DescribeConfigsResponse";
import { AlterConfigsRequest, AlterConfigsRequest_AlterConfigsResource } from "../../codec/generated/AlterConfigsRequest";
import {
  AlterConfigsResponse, AlterConfigsResponse_AlterConfigsResourceResponse,
} from "../../codec/generated/AlterConfigsResponse";
import {
  IncrementalAlterConfigsRequest, IncrementalAlterConfigsRequest_AlterConfigsResource,
} from "../../codec/generated/IncrementalAlterConfigsRequest";
import {
  IncrementalAlterConfigsResponse, IncrementalAlterConfigsResponse_AlterConfigsResourceResponse,
} from "../../codec/generated/IncrementalAlterConfigsResponse";
import {
  Authorizer, CLUSTER_AUTHORIZATION_FAILED, CLUSTER_NAME, GROUP_AUTHORIZATION_FAILED, GateResult, Operation,
  ResourceType, ResponseMerger, TOPIC_AUTHORIZATION_FAILED, denialMessage,
} from "../model";

/** Kafka's ConfigResource.Type ids. */
export const CONFIG_RESOURCE_TOPIC: i8 = 2;
/**
 * Broker, broker logger and client metrics (KIP-714) configs are checked on the Cluster; group (KIP-848) configs on
 * the group.
 */
export const CONFIG_RESOURCE_BROKER: i8 = 4;
export const CONFIG_RESOURCE_BROKER_LOGGER: i8 = 8;
export const CONFIG_RESOURCE_CLIENT_METRICS: i8 = 16;
export const CONFIG_RESOURCE_GROUP: i8 = 32;

/** The error for a config resource the principal may not use with `operation`, or 0. */
export function configResourceError(authorizer: Authorizer, type: i8, name: string, operation: Operation): i16 {
  if (type == CONFIG_RESOURCE_TOPIC) {
    return authorizer.allowed(ResourceType.Topic, name, operation, true) ? 0 : TOPIC_AUTHORIZATION_FAILED;
  }
  if (type == CONFIG_RESOURCE_GROUP) {
    return authorizer.allowed(ResourceType.Group, name, operation, true) ? 0 : GROUP_AUTHORIZATION_FAILED;
  }
  return authorizer.allowed(ResourceType.Cluster, CLUSTER_NAME, operation, true) ? 0 : CLUSTER_AUTHORIZATION_FAILED;
}

// ---- DescribeConfigs (32) ------------------------------------------------------------------

/** Denied resources answer with the error's default message and no configs, as Kafka does. */
export function gateDescribeConfigs(request: DescribeConfigsRequest, authorizer: Authorizer): GateResult {
  const resources = request.resources;
  const allowed = new Array<DescribeConfigsRequest_DescribeConfigsResource>();
  let denied: Array<DescribeConfigsResponse_DescribeConfigsResult> | null = null;
  for (let i = 0, n = resources.length; i < n; i++) {
    const resource = unchecked(resources[i]);
    const code = configResourceError(authorizer, resource.resourceType, resource.resourceName, Operation.DescribeConfigs);
    if (code == 0) {
      allowed.push(resource);
      continue;
    }
    const result = new DescribeConfigsResponse_DescribeConfigsResult();
    result.errorCode = code;
    result.errorMessage = denialMessage(code);
    result.resourceType = resource.resourceType;
    result.resourceName = resource.resourceName;
    if (denied === null) denied = new Array<DescribeConfigsResponse_DescribeConfigsResult>();
    denied.push(result);
  }
  if (denied === null) return GateResult.pass();
  const merger = new DescribeConfigsDenials(denied);
  if (allowed.length == 0) {
    const response = new DescribeConfigsResponse();
    merger.merge(response);
    return GateResult.deny(response);
  }
  request.resources = allowed;
  return GateResult.rewrite(request, merger);
}

class DescribeConfigsDenials extends ResponseMerger {
  constructor(private denied: Array<DescribeConfigsResponse_DescribeConfigsResult>) {
    super();
  }

  merge(response: Message): void {
    if (!(response instanceof DescribeConfigsResponse)) return;
    const out = changetype<DescribeConfigsResponse>(response).results;
    const denied = this.denied;
    for (let i = 0, n = denied.length; i < n; i++) out.push(unchecked(denied[i]));
  }
}

// ---- AlterConfigs (33) and IncrementalAlterConfigs (44) --------------------------------------

/** AlterConfigs (33): AlterConfigs per resource (see gateAlteredResources). */
export function gateAlterConfigs(request: AlterConfigsRequest, authorizer: Authorizer): GateResult {
  return gateAlteredResources<
    AlterConfigsRequest, AlterConfigsRequest_AlterConfigsResource,
    AlterConfigsResponse, AlterConfigsResponse_AlterConfigsResourceResponse
  >(request, authorizer);
}

/** IncrementalAlterConfigs (44, KIP-339): AlterConfigs per resource (see gateAlteredResources). */
export function gateIncrementalAlterConfigs(request: IncrementalAlterConfigsRequest, authorizer: Authorizer): GateResult {
  return gateAlteredResources<
    IncrementalAlterConfigsRequest, IncrementalAlterConfigsRequest_AlterConfigsResource,
    IncrementalAlterConfigsResponse, IncrementalAlterConfigsResponse_AlterConfigsResourceResponse
  >(request, authorizer);
}

/**
 * The gate of both alter APIs: their requests and responses differ only in the config
 * entries, which the gate never reads, so one template (compiled per API) serves both.
 * Denied resources answer with the error's default message, as Kafka 4's controller does
 * (ControllerApis.authorizeAlterResource builds `new ApiError(error)`).
 */
function gateAlteredResources<Request, Resource, Response, Result>(request: Request, authorizer: Authorizer): GateResult {
  const resources = request.resources;
  const allowed = new Array<Resource>();
  let denied: Array<Result> | null = null;
  const deniedAt = new Array<bool>(resources.length);
  for (let i = 0, n = resources.length; i < n; i++) {
    const resource = unchecked(resources[i]);
    const code = configResourceError(authorizer, resource.resourceType, resource.resourceName, Operation.AlterConfigs);
    if (code == 0) {
      allowed.push(resource);
      continue;
    }
    unchecked(deniedAt[i] = true);
    const result = instantiate<Result>();
    result.errorCode = code;
    result.errorMessage = denialMessage(code);
    result.resourceType = resource.resourceType;
    result.resourceName = resource.resourceName;
    if (denied === null) denied = new Array<Result>();
    denied.push(result);
  }
  if (denied === null) return GateResult.pass();
  const merger = new AlteredResourceDenials<Response, Result>(deniedAt, denied);
  if (allowed.length == 0) {
    const response = instantiate<Response>();
    merger.merge(response);
    return GateResult.deny(response);
  }
  request.resources = allowed;
  return GateResult.rewrite(request, merger);
}

/** A Kafka 4 broker reassembles both alter answers in request order; the merged answer keeps it. */
class AlteredResourceDenials<Response, Result> extends ResponseMerger {
  constructor(private deniedAt: Array<bool>, private denied: Array<Result>) {
    super();
  }

  merge(response: Message): void {
    if (!(response instanceof Response)) return;
    const altered = changetype<Response>(response);
    altered.responses = inRequestOrder<Result>(this.deniedAt, this.denied, altered.responses);
  }
}

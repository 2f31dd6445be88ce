// Gates for group, transaction, config and cluster APIs. Owned by the group-gates work.
import { Message } from "../../codec/message";
import { Authorizer, GateResult } from "../model";

export function gateGroupApi(apiKey: i16, apiVersion: i16, request: Message, authorizer: Authorizer): GateResult | null {
  return null;
}

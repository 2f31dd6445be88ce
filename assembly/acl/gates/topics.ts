// Gates for the APIs that name topics. Owned by the topic-gates work.
import { Message } from "../../codec/message";
import { Authorizer, GateResult } from "../model";

export function gateTopicApi(apiKey: i16, apiVersion: i16, request: Message, authorizer: Authorizer): GateResult | null {
  return null;
}

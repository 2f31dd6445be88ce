// Which gate decides each API. A gate reads the decoded request, asks the authorizer
// about every resource it names, and says what to forward and how the response must
// look (see model.ts). Every API key the codec knows has a gate; null means an unknown
// key, and the enforcer fails closed on it.
import { Message } from "../codec/message";
import { Authorizer, GateResult } from "./model";
import { gateTopicApi } from "./gates/topics";
import { gateGroupApi } from "./gates/groups";

/** Gates a decoded request body; null when no gate knows this API. */
export function gateRequest(apiKey: i16, apiVersion: i16, request: Message, authorizer: Authorizer): GateResult | null {
  const topic = gateTopicApi(apiKey, apiVersion, request, authorizer);
  if (topic != null) return topic;
  return gateGroupApi(apiKey, apiVersion, request, authorizer);
}

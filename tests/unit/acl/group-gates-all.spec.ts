// Every api key the codec knows (except the topic APIs, gated elsewhere), at every
// version: gateRequest decides it, and an all-denying authorizer gets a Deny whose
// response encodes at that version, or a Pass for the APIs Kafka never authorizes.
import { Message } from "../../../assembly/codec/message";
import { API_COUNT, apiKeyAt, apiMaxVersion, apiMinVersion, apiName } from "../../../assembly/codec/generated/index";
import { gateRequest } from "../../../assembly/acl/gate";
import { gateGroupApi, isAlwaysPassApi, isTopicGateApi } from "../../../assembly/acl/gates/groups";
import { Verdict } from "../../../assembly/acl/model";
import { FindCoordinatorRequest } from "../../../assembly/codec/generated/FindCoordinatorRequest";
import { InitProducerIdRequest } from "../../../assembly/codec/generated/InitProducerIdRequest";
import { CreateDelegationTokenRequest } from "../../../assembly/codec/generated/CreateDelegationTokenRequest";
import { buildRequest } from "../codec/generated/builders";
import { allowing, denyingAll, roundTrip } from "./group-gate-helpers";

/** Passes under an all-denying authorizer by design (see the README's API table). */
function passesWhenAllDenied(apiKey: i16, version: i16, request: Message): bool {
  if (isAlwaysPassApi(apiKey)) return true;
  // ListGroups and ListTransactions filter the response quietly instead.
  if (apiKey == 16 || apiKey == 66) return true;
  // Key types other than group/transaction/share name nothing; the broker rejects them.
  if (apiKey == 10) {
    const keyType = changetype<FindCoordinatorRequest>(request).keyType;
    return keyType < 0 || keyType > 2;
  }
  // An idempotent producer (no transactional id): see gateInitProducerId.
  if (apiKey == 22) return changetype<InitProducerIdRequest>(request).transactionalId === null;
  // A token for oneself needs no ACL.
  if (apiKey == 38) {
    const owner = changetype<CreateDelegationTokenRequest>(request).ownerPrincipalName;
    return version < 3 || owner === null || owner.length == 0;
  }
  return false;
}

/** APIs whose sample requests name topics by ids the fake authorizer does not know. */
function namesUnknownTopicIds(apiKey: i16, version: i16): bool {
  return (apiKey == 8 && version >= 10) || (apiKey == 9 && version >= 10) || apiKey == 78 || apiKey == 79;
}

describe("group gates: every api key and version", () => {
  it("decide every key they own, and deny cleanly when everything is denied", () => {
    let checked = 0;
    let failures = 0;
    for (let i = 0; i < API_COUNT; i++) {
      const apiKey = apiKeyAt(i);
      if (isTopicGateApi(apiKey)) continue;
      for (let version = apiMinVersion(apiKey); version <= apiMaxVersion(apiKey); version++) {
        for (let variant = 0; variant < 2; variant++) {
          const name = apiName(apiKey) + " v" + version.toString() + " variant " + variant.toString();
          const request = buildRequest(apiKey, version, variant);
          if (request === null) {
            log("no request builder for " + name);
            failures++;
            continue;
          }
          const result = gateRequest(apiKey, version, request, denyingAll());
          checked++;
          if (result === null) {
            log(name + ": no gate");
            failures++;
            continue;
          }
          if (result.verdict == Verdict.Pass) {
            if (!passesWhenAllDenied(apiKey, version, request)) {
              log(name + ": passed although everything is denied");
              failures++;
            }
            continue;
          }
          if (result.verdict != Verdict.Deny) {
            log(name + ": expected Deny, got " + result.verdict.toString());
            failures++;
            continue;
          }
          const response = result.response;
          if (response === null) {
            log(name + ": Deny without a response");
            failures++;
            continue;
          }
          if (response.apiKey() != apiKey || !response.isResponse()) {
            log(name + ": response of another API");
            failures++;
            continue;
          }
          if (roundTrip(response, version) === null) {
            log(name + ": denial does not encode");
            failures++;
          }
        }
      }
    }
    expect(failures).toBe(0);
    expect(checked).toBeGreaterThan(200);
  });

  it("answers null only for keys the codec does not know, and leaves topic APIs to the topic gates", () => {
    const request: Message = buildRequest(18, 3, 0)!;
    expect(gateGroupApi(93, 0, request, allowing()) === null).toBe(true);
    expect(gateGroupApi(-1, 0, request, allowing()) === null).toBe(true);
    expect(gateGroupApi(9999, 0, request, allowing()) === null).toBe(true);
    expect(gateGroupApi(0, 9, buildRequest(0, 9, 0)!, allowing()) === null).toBe(true);
    expect(gateGroupApi(18, 3, request, denyingAll())!.verdict).toBe(Verdict.Pass);
  });

  it("passes every key it owns when everything is allowed (cluster included)", () => {
    let failures = 0;
    for (let i = 0; i < API_COUNT; i++) {
      const apiKey = apiKeyAt(i);
      if (isTopicGateApi(apiKey)) continue;
      for (let version = apiMinVersion(apiKey); version <= apiMaxVersion(apiKey); version++) {
        const authorizer = allowing();
        authorizer.clusterAllowed = true;
        const result = gateRequest(apiKey, version, buildRequest(apiKey, version, 0)!, authorizer);
        if (result === null) {
          failures++;
          continue;
        }
        if (result.verdict != Verdict.Pass && !namesUnknownTopicIds(apiKey, version)) {
          log(apiName(apiKey) + " v" + version.toString() + ": not passed when all is allowed");
          failures++;
        }
      }
    }
    expect(failures).toBe(0);
  });
});

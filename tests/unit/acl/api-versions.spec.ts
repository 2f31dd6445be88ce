// capApiVersions at every ApiVersions version: unknown keys dropped, ranges narrowed to
// the codec's, non-overlapping ranges dropped, and the result still encodes.
import { ApiVersionsResponse, ApiVersionsResponse_ApiVersion } from "../../../assembly/codec/generated/ApiVersionsResponse";
import { apiMaxVersion, apiMinVersion } from "../../../assembly/codec/generated/apis";
import { capApiVersions } from "../../../assembly/acl/api-versions";
import { roundTrip } from "./group-gate-helpers";

function entry(apiKey: i16, min: i16, max: i16): ApiVersionsResponse_ApiVersion {
  const e = new ApiVersionsResponse_ApiVersion();
  e.apiKey = apiKey;
  e.minVersion = min;
  e.maxVersion = max;
  return e;
}

function brokerAnswer(): ApiVersionsResponse {
  const response = new ApiVersionsResponse();
  response.apiKeys.push(entry(0, 0, 99));      // Produce: above our max, below our min
  response.apiKeys.push(entry(9999, 0, 3));    // unknown to the codec
  response.apiKeys.push(entry(18, 0, 4));      // ApiVersions: exactly ours
  response.apiKeys.push(entry(4, 0, 7));       // LeaderAndIsr: removed, no version decodes
  response.apiKeys.push(entry(1, 0, 3));       // Fetch 0-3 vs our 4-18: no overlap
  response.apiKeys.push(entry(-3, 0, 1));      // nonsense key
  response.apiKeys.push(entry(8, 3, 8));       // OffsetCommit inside ours: untouched
  return response;
}

describe("capApiVersions", () => {
  it("caps a broker's answer to the codec's ranges at every ApiVersions version", () => {
    for (let v: i16 = 0; v <= 4; v++) {
      const decoded = roundTrip(brokerAnswer(), v);
      expect(decoded !== null).toBe(true);
      const response = changetype<ApiVersionsResponse>(decoded);
      capApiVersions(response);
      const capped = changetype<ApiVersionsResponse>(roundTrip(response, v));
      const keys = capped.apiKeys;
      expect(keys.length).toBe(3);
      expect(keys[0].apiKey).toBe(0);
      expect(keys[0].minVersion).toBe(apiMinVersion(0));
      expect(keys[0].maxVersion).toBe(apiMaxVersion(0));
      expect(keys[1].apiKey).toBe(18);
      expect(keys[1].minVersion).toBe(0);
      expect(keys[1].maxVersion).toBe(4);
      expect(keys[2].apiKey).toBe(8);
      expect(keys[2].minVersion).toBe(3);
      expect(keys[2].maxVersion).toBe(8);
    }
  });

  it("leaves an answer within the codec's ranges as it is", () => {
    const response = new ApiVersionsResponse();
    response.apiKeys.push(entry(3, 0, 12));
    response.apiKeys.push(entry(18, 0, 4));
    const before = response.apiKeys;
    capApiVersions(response);
    expect(response.apiKeys === before).toBe(true);
    expect(response.apiKeys.length).toBe(2);
    expect(response.apiKeys[0].maxVersion).toBe(12);
  });
});

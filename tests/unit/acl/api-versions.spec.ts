// capApiVersions at every ApiVersions version: max versions lowered to the codec's,
// unknown keys and ranges with no version the codec reads removed; min versions, order
// and everything else kept as the broker sent them (KAFKA-18659: librdkafka reads
// compression support from Produce's min version).
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
  response.apiKeys.push(entry(0, 99, 120));    // Produce entirely above ours: no overlap
  response.throttleTimeMs = 7;
  response.errorCode = 0;
  return response;
}

describe("capApiVersions", () => {
  it("caps a broker's answer to the codec's ranges at every ApiVersions version", () => {
    for (let v: i16 = 0; v <= 4; v++) {
      const decoded = roundTrip(brokerAnswer(), v);
      expect(decoded !== null).toBe(true);
      const response = changetype<ApiVersionsResponse>(decoded);
      expect(capApiVersions(response)).toBe(true);
      const capped = changetype<ApiVersionsResponse>(roundTrip(response, v));
      const keys = capped.apiKeys;
      expect(keys.length).toBe(3);
      expect(keys[0].apiKey).toBe(0);
      // The broker's min stays, though the codec reads Produce only from apiMinVersion(0).
      expect(apiMinVersion(0)).toBeGreaterThan(0);
      expect(keys[0].minVersion).toBe(0);
      expect(keys[0].maxVersion).toBe(apiMaxVersion(0));
      if (v >= 1) expect(capped.throttleTimeMs).toBe(7);
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
    response.apiKeys.push(entry(0, 0, apiMaxVersion(0)));
    const before = response.apiKeys;
    expect(capApiVersions(response)).toBe(false);
    expect(response.apiKeys === before).toBe(true);
    expect(response.apiKeys.length).toBe(3);
    expect(response.apiKeys[2].minVersion).toBe(0);
    expect(response.apiKeys[0].maxVersion).toBe(12);
  });
});

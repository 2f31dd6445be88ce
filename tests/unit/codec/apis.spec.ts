import {
  API_COUNT, API_KEY_LIMIT, apiKeyAt, apiMaxVersion, apiMinVersion, apiName, isKnownApi,
  requestHeaderVersion, responseHeaderVersion,
} from "../../../assembly/codec/generated/apis";

// Expected values were read from spec/kafka-4.3.1/*.json by hand.
describe("API table", () => {
  it("names APIs with static literals", () => {
    expect(apiName(0)).toBe("Produce");
    expect(apiName(1)).toBe("Fetch");
    expect(apiName(3)).toBe("Metadata");
    expect(apiName(18)).toBe("ApiVersions");
    expect(apiName(7)).toBe("ControlledShutdown");
    expect(apiName(92)).not.toBe("Unknown");
    expect(apiName(93)).toBe("Unknown");
    expect(apiName(-1)).toBe("Unknown");
    expect(apiName(32767)).toBe("Unknown");
  });

  it("knows every key of the spec", () => {
    expect(API_KEY_LIMIT).toBe(93);
    for (let k = 0; k < API_KEY_LIMIT; k++) expect(isKnownApi(k)).toBe(true);
    expect(isKnownApi(93)).toBe(false);
    expect(isKnownApi(-1)).toBe(false);
    // LeaderAndIsr, StopReplica, UpdateMetadata, ControlledShutdown: "validVersions": "none".
    expect(API_COUNT).toBe(89);
    expect(apiKeyAt(0)).toBe(0);
    expect(apiKeyAt(4)).toBe(8);
    expect(apiKeyAt(API_COUNT)).toBe(-1);
  });

  it("reports valid version ranges", () => {
    expect(apiMinVersion(0)).toBe(3);
    expect(apiMaxVersion(0)).toBe(13);
    expect(apiMinVersion(1)).toBe(4);
    expect(apiMaxVersion(1)).toBe(18);
    expect(apiMinVersion(18)).toBe(0);
    expect(apiMaxVersion(18)).toBe(4);
    expect(apiMinVersion(7)).toBe(-1);
    expect(apiMaxVersion(7)).toBe(-1);
    expect(apiMinVersion(500)).toBe(-1);
    // InitProducerId: "validVersions": "0-6" with latestVersionUnstable.
    expect(apiMaxVersion(22)).toBe(6);
  });

  it("derives request header versions from flexibleVersions", () => {
    // Produce: flexible 9+.
    expect(requestHeaderVersion(0, 3)).toBe(1);
    expect(requestHeaderVersion(0, 8)).toBe(1);
    expect(requestHeaderVersion(0, 9)).toBe(2);
    expect(requestHeaderVersion(0, 13)).toBe(2);
    expect(requestHeaderVersion(0, 2)).toBe(-1);
    expect(requestHeaderVersion(0, 14)).toBe(-1);
    // Fetch: flexible 12+.
    expect(requestHeaderVersion(1, 11)).toBe(1);
    expect(requestHeaderVersion(1, 12)).toBe(2);
    // Metadata 0-13, flexible 9+.
    expect(requestHeaderVersion(3, 0)).toBe(1);
    expect(requestHeaderVersion(3, 9)).toBe(2);
    // DescribeCluster: flexible from 0.
    expect(requestHeaderVersion(60, 0)).toBe(2);
    // ControlledShutdown has no valid versions in 4.3.1, so no v0 header either.
    expect(requestHeaderVersion(7, 0)).toBe(-1);
    expect(requestHeaderVersion(999, 0)).toBe(-1);
  });

  it("derives response header versions, ApiVersions always v0", () => {
    expect(responseHeaderVersion(0, 8)).toBe(0);
    expect(responseHeaderVersion(0, 9)).toBe(1);
    expect(responseHeaderVersion(1, 12)).toBe(1);
    expect(responseHeaderVersion(18, 0)).toBe(0);
    expect(responseHeaderVersion(18, 3)).toBe(0);
    expect(responseHeaderVersion(18, 4)).toBe(0);
    expect(responseHeaderVersion(18, 5)).toBe(-1);
    expect(responseHeaderVersion(60, 0)).toBe(1);
    expect(responseHeaderVersion(-3, 0)).toBe(-1);
  });
});

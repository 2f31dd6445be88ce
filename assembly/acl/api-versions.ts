// Caps the broker's ApiVersions answer to what the filter's codec can decode. With ACLs
// on, a request the filter cannot decode cannot be gated, so a client must never be told
// it may use a version above the codec's, nor an API the codec does not know.
//
// The edit is the least that decision requires: each entry's max version may come
// down, and entries the codec can read no version of are removed. Everything else
// stays as the broker sent it (min versions, entry order, error code, throttle time and
// every tagged field), because clients read more into this answer than the version
// ranges: librdkafka infers the compression codecs a broker supports from Produce's
// range, and a Kafka 4 broker keeps advertising Produce from v0 for that reason
// (KAFKA-18659). Raising a min version would switch compression off in such clients.
// A request below the codec's range still fails closed in the enforcer.
import { ApiVersionsResponse, ApiVersionsResponse_ApiVersion } from "../codec/generated/ApiVersionsResponse";
import { apiMaxVersion, apiMinVersion } from "../codec/generated/apis";

/**
 * Edits `response` (ApiVersionsResponse, any version) in place: lowers each entry's
 * `maxVersion` to the codec's max for that API key, and removes the entries of API keys
 * the codec has no version of, or whose advertised range holds no version the codec
 * reads (broker max below the codec's min, or broker min above the codec's max).
 * Min versions and the order of the remaining entries are kept. Returns whether anything
 * changed (an unchanged answer need not be re-encoded). Allocates only when an entry has
 * to be removed.
 */
export function capApiVersions(response: ApiVersionsResponse): bool {
  const keys = response.apiKeys;
  let removed = 0;
  let lowered = 0;
  for (let i = 0, n = keys.length; i < n; i++) {
    const key = unchecked(keys[i]);
    if (!sharesAVersionWithCodec(key)) {
      removed++;
    } else if (key.maxVersion > apiMaxVersion(key.apiKey)) {
      key.maxVersion = apiMaxVersion(key.apiKey);
      lowered++;
    }
  }
  if (removed == 0) return lowered > 0;
  const kept = new Array<ApiVersionsResponse_ApiVersion>();
  for (let i = 0, n = keys.length; i < n; i++) {
    const key = unchecked(keys[i]);
    if (sharesAVersionWithCodec(key)) kept.push(key);
  }
  response.apiKeys = kept;
  return true;
}

/** Whether [minVersion, maxVersion] as advertised holds at least one version the codec reads. */
function sharesAVersionWithCodec(key: ApiVersionsResponse_ApiVersion): bool {
  const ourMin = apiMinVersion(key.apiKey);
  if (ourMin < 0) return false;
  return key.minVersion <= key.maxVersion && key.maxVersion >= ourMin && key.minVersion <= apiMaxVersion(key.apiKey);
}

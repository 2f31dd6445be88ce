// Caps the broker's ApiVersions answer to what the filter's codec can decode. With ACLs
// on, a request the filter cannot decode cannot be gated, so a client must never be told
// it may use an API or version the codec does not know.
import { ApiVersionsResponse, ApiVersionsResponse_ApiVersion } from "../codec/generated/ApiVersionsResponse";
import { apiMaxVersion, apiMinVersion } from "../codec/generated/apis";

/**
 * Edits `response` in place: drops api keys the codec has no version of, narrows each
 * remaining range to its intersection with the codec's range, and drops keys whose
 * ranges do not overlap. Allocates only when a key has to be dropped.
 */
export function capApiVersions(response: ApiVersionsResponse): void {
  const keys = response.apiKeys;
  let dropped = 0;
  for (let i = 0, n = keys.length; i < n; i++) {
    if (!narrowToCodec(unchecked(keys[i]))) dropped++;
  }
  if (dropped == 0) return;
  const kept = new Array<ApiVersionsResponse_ApiVersion>();
  for (let i = 0, n = keys.length; i < n; i++) {
    const key = unchecked(keys[i]);
    if (key.minVersion <= key.maxVersion) kept.push(key);
  }
  response.apiKeys = kept;
}

/** Narrows one entry in place; false (and an empty range) when nothing is left. */
function narrowToCodec(key: ApiVersionsResponse_ApiVersion): bool {
  const ourMin = apiMinVersion(key.apiKey);
  const ourMax = apiMaxVersion(key.apiKey);
  if (ourMin < 0) {
    key.minVersion = 1;
    key.maxVersion = 0;
    return false;
  }
  if (key.minVersion < ourMin) key.minVersion = ourMin;
  if (key.maxVersion > ourMax) key.maxVersion = ourMax;
  return key.minVersion <= key.maxVersion;
}

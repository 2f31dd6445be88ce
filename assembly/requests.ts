// What a request's first body bytes tell the filter before the broker sees it.
import { Reader } from "./codec/reader";
import { PRODUCE, requestFlexibleSince } from "./codec/generated/apis";

/**
 * False only for Produce with acks=0, which the broker never answers. `body` is
 * positioned at the start of the request body. When the bytes needed are not in
 * the prefix, a response is assumed: a wrong guess is corrected when a later
 * response passes over the request.
 */
export function expectsResponse(apiKey: i16, apiVersion: i16, body: Reader): bool {
  if (apiKey != PRODUCE) return true;
  // ProduceRequest: TransactionalId (v3+, nullable string) precedes Acks (int16).
  if (apiVersion >= 3) body.readStringView(apiVersion >= requestFlexibleSince(PRODUCE), true);
  const acks = body.readInt16();
  return !body.ok || acks != 0;
}

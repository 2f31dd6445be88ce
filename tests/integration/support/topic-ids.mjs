// Topic ids across proxy processes (README "Topic ACLs", topic ids): ask a broker or an
// Envoy for a topic's id, and count the filter's UNKNOWN_TOPIC_ID answers.
import { readStats } from "../../../scripts/lib/envoy.mjs";
import { RawConnection, metadataRequest, parseMetadataResponse } from "./kafka-wire.mjs";

/**
 * One Metadata v12 request for `topic` on a fresh connection to `address` ("host:port"):
 * the topic's entry { errorCode, name, topicId (base64url, as Java prints it), partitions },
 * or undefined. Through Envoy, the answer teaches that Envoy's filter the topic's id.
 */
export async function metadataOf(address, topic) {
  const connection = await RawConnection.open(address);
  try {
    await connection.write(metadataRequest({ correlationId: 1, version: 12, topics: [topic] }));
    const { body } = await connection.response({ flexibleHeader: true });
    return parseMetadataResponse(body, 12).topics.find((t) => t.name === topic);
  } finally {
    connection.close();
  }
}

/** `topic`'s id (base64url) as the broker at `address` knows it; throws when it does not. */
export async function topicIdOf(address, topic) {
  const entry = await metadataOf(address, topic);
  if (entry?.errorCode !== 0) throw new Error(`${address} does not know ${topic}: ${JSON.stringify(entry)}`);
  return entry.topicId;
}

/**
 * How many UNKNOWN_TOPIC_ID error codes the filter behind Envoy admin `admin` has sent
 * clients in `api` ("Fetch", "Produce", …) responses (its kafka_errors counter, which
 * counts the codes clients receive, the filter's own answers included; README
 * "Metrics"). The filter neither audits nor counts as a decision an id it has not
 * learned, so this is where those answers show.
 */
export async function unknownTopicIdErrors(admin, api, statPrefix = "broker1") {
  const name = `wasmcustom.kafka.${statPrefix}.errors.${api}.UNKNOWN_TOPIC_ID`;
  return (await readStats(admin, name)).get(name) ?? 0;
}

// Topic ids across proxy processes (README "Topic ACLs", topic ids): ask a broker or an
// Envoy for a topic's id, and find the filter's UNKNOWN_TOPIC_ID answers in Envoy's log
// (each is an audit line with rule "unknown_topic_id", naming the id in hex).
import fs from "node:fs";
import { RawConnection, metadataRequest, parseMetadataResponse, uuidBytes } from "./kafka-wire.mjs";

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

/** A Kafka topic id (base64url) in the 8-4-4-4-12 hex form the filter's audit lines use. */
export const hexUuid = (id) => uuidBytes(id).toString("hex").replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");

/**
 * The filter's UNKNOWN_TOPIC_ID answers to `api` ("Fetch", "Produce", …) for topic id `id`
 * (base64url) in Envoy's log `logFile`: [{ at }] in log order, `at` in ms since the epoch
 * from the line's timestamp (startEnvoy's --log-format, local time).
 */
export function unknownTopicIdAnswers(logFile, { api, id }) {
  const resource = `"resource":"${hexUuid(id)}"`;
  const answers = [];
  for (const line of fs.readFileSync(logFile, "utf8").split("\n")) {
    if (!line.includes(`"api":"${api}"`) || !line.includes("\"rule\":\"unknown_topic_id\"") || !line.includes(resource)) continue;
    const stamp = /^\[(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})\]/.exec(line);
    answers.push({ at: stamp ? new Date(`${stamp[1]}T${stamp[2]}`).getTime() : NaN });
  }
  return answers;
}

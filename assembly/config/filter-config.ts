// The plugin configuration: its schema, defaults and validation. A rejected
// configuration names the offending field, and Envoy refuses to load the plugin.
import { JsonKind, JsonParser, JsonValue, invalidUtf8Offset, jsonKindName } from "./json";
import { AclConfig, parseAclConfig } from "../acl/config";
import { isTopicName } from "../topics";
import { BrokerAddressesConfig, parseBrokerAddresses } from "../rewrite/config";
import { InsightOptions } from "./insight";

/** The validated plugin configuration (README "Configuration"); defaults are those of an empty configuration. */
export class FilterConfig {
  /** Names this listener in every stat (kafka.<stat_prefix>.…); letters, digits and '_'. */
  statPrefix: string = "kafka";
  /** Frames larger than this close the connection: Kafka's own default socket.request.max.bytes. */
  maxFrameBytes: i32 = 104857600;
  /** Requests tracked per connection while awaiting their responses. */
  maxInFlightRequests: i32 = 1024;
  /** Distinct client software (name, version) labels; later ones are counted as "other". */
  maxClientSoftwareLabels: i32 = 50;
  /** Responses up to this size are decoded whole to count their error codes; 0 turns that off. */
  maxInspectedResponseBytes: i32 = 262144;
  /**
   * With ACLs, requests are decided whole and responses that need editing are edited
   * whole, held in Envoy's buffer meanwhile: frames above this close the connection
   * (failing closed). Envoy's per_connection_buffer_limit_bytes must exceed it.
   */
  maxHeldFrameBytes: i32 = 8388608;
  /** Topic ACLs; null: none, every request passes. */
  acl: AclConfig | null = null;
  /** Distinct topics with their own kafka_topic label; the rest share "_other". 0 turns per-topic stats off. */
  maxTopicLabels: i32 = 100;
  /** When set, only these topics get their own label. */
  topicLabels: string[] | null = null;
  /** Cluster mode: the Envoy address fronting each broker, by node id; null: no address rewriting. */
  brokerAddresses: BrokerAddressesConfig | null = null;
  /** Compression, batching, record age, throttling and consumer lag stats read off the wire. */
  insight: InsightOptions = new InsightOptions();
}

const KNOWN_FIELDS: string[] = [
  "stat_prefix", "max_frame_bytes", "max_in_flight_requests", "max_client_software_labels", "max_inspected_response_bytes",
  "max_topic_labels", "topic_labels",
  "max_held_frame_bytes", "acl", "broker_addresses",
  "compression_stats", "batch_size_histograms", "record_age", "throttle_stats", "max_client_id_labels", "client_id_labels",
  "consumer_lag",
];
const LAG_FIELDS: string[] = ["max_consumer_labels", "expiry_ms", "max_partitions_per_connection"];
/** Longest client id accepted in client_id_labels (Kafka sets no limit; real ones are short). */
const MAX_CLIENT_ID_LABEL_LENGTH: i32 = 255;

/** parseFilterConfig's answer: `config` when valid, else null and `error` naming the field. */
export class ConfigResult {
  config: FilterConfig | null = null;
  error: string = "";
}

/**
 * Parses and validates the plugin configuration as Envoy hands it over: bytes, which
 * must be UTF-8 (RFC 8259 section 8.1). Decoding invalid UTF-8 leniently would turn a
 * stray byte into U+FFFD, or swallow the quote after it, and load a principal or client
 * id that matches nothing; such bytes are refused, naming their offset.
 */
export function parseFilterConfigBytes(bytes: ArrayBuffer): ConfigResult {
  const bad = invalidUtf8Offset(bytes);
  if (bad >= 0) {
    const result = new ConfigResult();
    result.error = "configuration is not valid UTF-8 at byte " + bad.toString();
    return result;
  }
  return parseFilterConfig(String.UTF8.decode(bytes));
}

/** Parses and validates the plugin configuration. Empty text means all defaults. */
export function parseFilterConfig(text: string): ConfigResult {
  const result = new ConfigResult();
  const config = new FilterConfig();
  if (text.trim().length == 0) {
    result.config = config;
    return result;
  }
  const parser = new JsonParser();
  const root = parser.parse(text);
  if (root == null) {
    result.error = "configuration is not valid JSON: " + parser.error;
    return result;
  }
  if (root.kind != JsonKind.Object) {
    result.error = "configuration must be a JSON object, got " + jsonKindName(root.kind);
    return result;
  }
  for (let i = 0; i < root.keys.length; i++) {
    if (!KNOWN_FIELDS.includes(root.keys[i])) {
      result.error = "field \"" + root.keys[i] + "\": unknown field (known: " + KNOWN_FIELDS.join(", ") + ")";
      return result;
    }
  }

  const statPrefix = root.member("stat_prefix");
  if (statPrefix != null) {
    if (statPrefix.kind != JsonKind.String || !isStatNameSegment(statPrefix.stringValue)) {
      result.error = "field \"stat_prefix\": must be a non-empty string of letters, digits and '_' (at most 64)";
      return result;
    }
    config.statPrefix = statPrefix.stringValue;
  }
  const maxFrame = integerField(root, "max_frame_bytes", 64, i32.MAX_VALUE, result);
  if (result.error.length > 0) return result;
  if (maxFrame >= 0) config.maxFrameBytes = <i32>maxFrame;
  const maxInFlight = integerField(root, "max_in_flight_requests", 1, 65536, result);
  if (result.error.length > 0) return result;
  if (maxInFlight >= 0) config.maxInFlightRequests = <i32>maxInFlight;
  const maxClientSoftware = integerField(root, "max_client_software_labels", 0, 10000, result);
  if (result.error.length > 0) return result;
  if (maxClientSoftware >= 0) config.maxClientSoftwareLabels = <i32>maxClientSoftware;
  const maxInspected = integerField(root, "max_inspected_response_bytes", 0, 16777216, result);
  if (result.error.length > 0) return result;
  if (maxInspected >= 0) config.maxInspectedResponseBytes = <i32>maxInspected;
  const maxTopicLabels = integerField(root, "max_topic_labels", 0, 10000, result);
  if (result.error.length > 0) return result;
  if (maxTopicLabels >= 0) config.maxTopicLabels = <i32>maxTopicLabels;
  const topicLabels = root.member("topic_labels");
  if (topicLabels != null) {
    const names = topicNameList(topicLabels, config.maxTopicLabels, result);
    if (names == null) return result;
    config.topicLabels = names;
  }
  const maxHeld = integerField(root, "max_held_frame_bytes", 1024, 1073741824, result);
  if (result.error.length > 0) return result;
  if (maxHeld >= 0) config.maxHeldFrameBytes = <i32>maxHeld;
  const insight = config.insight;
  insight.compression = boolField(root, "compression_stats", insight.compression, result);
  insight.batchSizeHistograms = boolField(root, "batch_size_histograms", insight.batchSizeHistograms, result);
  insight.recordAge = boolField(root, "record_age", insight.recordAge, result);
  insight.throttle = boolField(root, "throttle_stats", insight.throttle, result);
  if (result.error.length > 0) return result;
  const maxClientIds = integerField(root, "max_client_id_labels", 0, 10000, result);
  if (result.error.length > 0) return result;
  if (maxClientIds >= 0) insight.maxClientIdLabels = <i32>maxClientIds;
  const clientIdLabels = root.member("client_id_labels");
  if (clientIdLabels != null) {
    const ids = clientIdList(clientIdLabels, insight.maxClientIdLabels, result);
    if (ids == null) return result;
    insight.clientIdLabels = ids;
  }
  const lag = root.member("consumer_lag");
  if (lag != null && lag.kind != JsonKind.Null) {
    if (!parseLag(lag, insight, result)) return result;
    if (config.maxTopicLabels == 0) {
      result.error = "field \"consumer_lag\": needs per-topic stats (max_topic_labels above 0)";
      return result;
    }
  }
  const acl = root.member("acl");
  if (acl != null && acl.kind != JsonKind.Null) {
    const parsed = parseAclConfig(acl);
    if (parsed.config == null) {
      result.error = parsed.error;
      return result;
    }
    config.acl = parsed.config;
  }
  const brokerAddresses = root.member("broker_addresses");
  if (brokerAddresses != null && brokerAddresses.kind != JsonKind.Null) {
    const parsed = parseBrokerAddresses(brokerAddresses);
    if (parsed.config == null) {
      result.error = parsed.error;
      return result;
    }
    config.brokerAddresses = parsed.config;
  }

  result.config = config;
  return result;
}

/** Returns the field's value, -1 when absent; sets result.error when out of range. */
function integerField(root: JsonValue, name: string, minimum: i64, maximum: i64, result: ConfigResult, path: string = ""): i64 {
  const value = root.member(name);
  if (value == null) return -1;
  if (!value.isInteger || value.numberValue < <f64>minimum || value.numberValue > <f64>maximum) {
    result.error = "field \"" + path + name + "\": must be an integer from " + minimum.toString() + " to " + maximum.toString();
    return -1;
  }
  return <i64>value.numberValue;
}

/** The consumer_lag object: every field optional; its presence turns consumer lag on. */
function parseLag(value: JsonValue, insight: InsightOptions, result: ConfigResult): bool {
  if (value.kind != JsonKind.Object) {
    result.error = "field \"consumer_lag\": must be an object or null, got " + jsonKindName(value.kind);
    return false;
  }
  for (let i = 0; i < value.keys.length; i++) {
    if (!LAG_FIELDS.includes(value.keys[i])) {
      result.error = "field \"consumer_lag." + value.keys[i] + "\": unknown field (known: " + LAG_FIELDS.join(", ") + ")";
      return false;
    }
  }
  const lag = insight.lag;
  lag.enabled = true;
  const labels = integerField(value, "max_consumer_labels", 0, 10000, result, "consumer_lag.");
  if (result.error.length > 0) return false;
  if (labels >= 0) lag.maxConsumerLabels = <i32>labels;
  const expiry = integerField(value, "expiry_ms", 1000, 86400000, result, "consumer_lag.");
  if (result.error.length > 0) return false;
  if (expiry >= 0) lag.expiryMs = <i32>expiry;
  const partitions = integerField(value, "max_partitions_per_connection", 1, 100000, result, "consumer_lag.");
  if (result.error.length > 0) return false;
  if (partitions >= 0) lag.maxPartitionsPerConnection = <i32>partitions;
  return true;
}

/** Returns the boolean field's value, `fallback` when absent; sets result.error when not a boolean. */
function boolField(root: JsonValue, name: string, fallback: bool, result: ConfigResult): bool {
  const value = root.member(name);
  if (value == null || result.error.length > 0) return fallback;
  if (value.kind != JsonKind.Bool) {
    result.error = "field \"" + name + "\": must be true or false, got " + jsonKindName(value.kind);
    return fallback;
  }
  return value.boolValue;
}

/** A client id worth a label: non-empty, at most MAX_CLIENT_ID_LABEL_LENGTH UTF-8 bytes. */
function isClientIdLabel(id: string): bool {
  return id.length > 0 && String.UTF8.byteLength(id) <= MAX_CLIENT_ID_LABEL_LENGTH;
}

/** The client_id_labels allowlist: distinct client ids of at most 255 UTF-8 bytes, no more than max_client_id_labels. */
function clientIdList(value: JsonValue, maxLabels: i32, result: ConfigResult): string[] | null {
  return labelList(value, "client_id_labels", "client ids", "client id", "max_client_id_labels", maxLabels, isClientIdLabel,
    "a non-empty string of at most " + MAX_CLIENT_ID_LABEL_LENGTH.toString() + " bytes", result);
}

/** The topic_labels allowlist: distinct legal topic names, no more than max_topic_labels. */
function topicNameList(value: JsonValue, maxLabels: i32, result: ConfigResult): string[] | null {
  return labelList(value, "topic_labels", "topic names", "topic", "max_topic_labels", maxLabels, isTopicName,
    "a Kafka topic name (1 to 249 of [A-Za-z0-9._-], not \".\" or \"..\")", result);
}

/**
 * A label allowlist (`field`): an array of `plural` (strings), each passing `isValid` (else the
 * error names the item, `field[i]`, and `requirement`); repeats are dropped through a
 * set, and the list is refused at the first distinct entry past `maxLabels` (the value
 * of `limitField`), so a 1 MB list is read in one pass.
 */
function labelList(
  value: JsonValue, field: string, plural: string, entry: string, limitField: string, maxLabels: i32,
  isValid: (text: string) => bool, requirement: string, result: ConfigResult,
): string[] | null {
  if (value.kind != JsonKind.Array) {
    result.error = "field \"" + field + "\": must be an array of " + plural + ", got " + jsonKindName(value.kind);
    return null;
  }
  const labels: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < value.items.length; i++) {
    const item = value.items[i];
    if (item.kind != JsonKind.String || !isValid(item.stringValue)) {
      result.error = "field \"" + field + "[" + i.toString() + "]\": must be " + requirement;
      return null;
    }
    if (seen.has(item.stringValue)) continue;
    if (labels.length == maxLabels) {
      result.error = "field \"" + field + "[" + i.toString() + "]\": one " + entry + " more than " + limitField + " (" +
        maxLabels.toString() + ") allows";
      return null;
    }
    seen.add(item.stringValue);
    labels.push(item.stringValue);
  }
  return labels;
}

function isStatNameSegment(s: string): bool {
  if (s.length == 0 || s.length > 64) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f;
    if (!ok) return false;
  }
  return true;
}

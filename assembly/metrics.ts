// The filter's stats, defined through the proxy-wasm metrics ABI.
//
// Names are dotted: kafka.<stat_prefix>.api.<ApiName>.v<version>.<stat>,
// kafka.<stat_prefix>.connections_<stat>, kafka.<stat_prefix>.filter.<stat>,
// kafka.<stat_prefix>.topic.<topic>.<stat> (topics.ts; .produced.<codec>.<stat> for
// batches by codec), kafka.<stat_prefix>.client.<name>.<version>.<stat>,
// kafka.<stat_prefix>.throttle.<Api>.client_id.<client id>.<stat> (client-ids.ts) and
// kafka.<stat_prefix>.consumer_lag.<group|client_id>.<consumer>.<topic>.<stat> (lag/).
// envoy/envoy.yaml's stats_tags turn the prefix, API name and version into
// Prometheus labels. Per-API stats are defined the first time an (API, version) is
// seen, so /stats lists only what clients actually use, and the ids are cached in a
// flat table so counting costs one array load and one host call.
import { API_KEY_LIMIT, apiName, isSupportedVersion } from "./codec/generated/apis";
import { errorName } from "./codec/generated/errors";
import {
  INVALID_METRIC, MetricType, defineMetric, getSharedData, incrementMetric, nowNanoseconds, recordMetric, setSharedData,
  SharedRead, SharedValueBuffer, readSharedData, setSharedDataBytes, sharedDataCas,
} from "./proxy/host";
import { NO_TOPIC_LABEL, SharedTopicIdStore, SharedTopicNames, TopicLabels, TopicNames, TopicStat } from "./topics";
import { ClientIdLabels } from "./client-ids";
import { CODEC_COUNT } from "./walkers/sink";
import { InsightOptions } from "./config/insight";
import { ConsumerBy, ConsumerLagTable, LagGauges, SharedTies } from "./lag/consumer-lag";
import { MaxMerge, mergeMax } from "./lag/shared-max";

const NOT_DEFINED: u32 = u32.MAX_VALUE - 1;

/** Kafka versions run far below this; a version at or above it is not a supported one anyway. */
const VERSION_SLOTS: i32 = 32;

/** Per (api key, version) stats: kafka.<stat_prefix>.api.<ApiName>.v<version>.<name> (API_STAT_NAMES). */
export const enum ApiStat {
  Requests = 0,
  Responses = 1,
  RequestBytes = 2,
  ResponseBytes = 3,
  /** Requests sent and not yet answered (gauge). */
  InFlight = 4,
  /** From the request's last byte in to the response's first byte back, in microseconds (histogram). */
  LatencyMicros = 5,
}
const API_STAT_COUNT: i32 = 6;
const API_STAT_NAMES: StaticArray<string> = ["requests", "responses", "request_bytes", "response_bytes", "in_flight", "latency_us"];
const API_STAT_TYPES: StaticArray<MetricType> = [
  MetricType.Counter, MetricType.Counter, MetricType.Counter, MetricType.Counter, MetricType.Gauge, MetricType.Histogram,
];

const TOPIC_STAT_COUNT: i32 = 4;
const TOPIC_STAT_NAMES: StaticArray<string> = ["produced_bytes", "produced_records", "fetched_bytes", "fetched_records"];

/** Filter health counters: kafka.<stat_prefix>.filter.<name> (FILTER_STAT_NAMES). */
export const enum FilterStat {
  /** Requests whose api key or version this filter's codec does not know. */
  UnknownApiRequests = 0,
  /** Requests whose header could not be decoded. */
  RequestHeaderErrors,
  /** Responses whose correlation id matches no pending request. */
  UnmatchedResponses,
  /** Pending requests passed over by a later response: they got no answer. */
  UnansweredRequests,
  /** Pending requests forgotten because a client pipelined more than max_in_flight_requests. */
  InFlightOverflow,
  /** Streams that broke Kafka framing (negative or oversized frame size). */
  FramingErrors,
  /** Connections the filter closed. */
  ConnectionsClosed,
  /** Connections that ended, from either side, with a request frame only partly received. */
  ClosedMidRequest,
  /** Connections that ended, from either side, with a response frame only partly received. */
  ClosedMidResponse,
  /** Raw SASL token frames stepped over after a SaslHandshake v0, both directions. */
  SaslTokens,
  /** Connections closed at once because the VM's memory neared the wasm32 limit. */
  ConnectionsRefused,
  /** Responses larger than max_inspected_response_bytes, whose error codes were not read. */
  ResponsesNotInspected,
  /** Inspected responses whose body did not decode (matched to the wrong request, or malformed). */
  ResponseBodyErrors,
  /** Produce requests and Fetch responses whose streaming walk met data it could not follow and stopped. */
  WalkErrors,
  /** Connections the ACL enforcer closed, failing closed (an unreadable or oversized request, say). */
  AclConnectionsClosed,
  /** Requests forwarded with their denied entries removed. */
  AclRequestsRewritten,
  /** Requests denied whole: the broker never saw them and the client got a synthesized answer. */
  AclRequestsDenied,
  /** Responses the enforcer re-encoded (merged denials, filtered listings, capped ApiVersions). */
  AclResponsesRewritten,
  /** TLS connections whose certificate subject acl.tls_principal_mapping_rules gave no name: closed (in a dry run, reported). */
  AclTlsSubjectsUnmapped,
  /** Of those, subjects on which a rule's regex match ran out of steps (counted as no match). */
  AclTlsMappingStepLimit,
  /** Responses forwarded with broker addresses rewritten (or controller endpoints stripped). */
  AddressRewrites,
  /** Connections closed because a response named a node id broker_addresses does not map. */
  AddressRewriteUnknownNode,
  /** Streamed Fetch responses whose node endpoints were replaced by padding (the rewrite did not fit). */
  AddressRewriteEndpointsDropped,
  /** Connections closed so that no broker address could pass unrewritten (unknown node ids included). */
  AddressRewriteConnectionsClosed,
}
const FILTER_STAT_NAMES: StaticArray<string> = [
  "unknown_api_requests", "request_header_errors", "unmatched_responses", "unanswered_requests",
  "in_flight_overflow", "framing_errors", "connections_closed", "closed_mid_request", "closed_mid_response", "sasl_tokens", "connections_refused",
  "responses_not_inspected", "response_body_errors", "walk_errors",
  "acl_connections_closed", "acl_requests_rewritten", "acl_requests_denied", "acl_responses_rewritten",
  "acl_tls_subjects_unmapped", "acl_tls_mapping_step_limit",
  "address_rewrites", "address_rewrite_unknown_node", "address_rewrite_endpoints_dropped", "address_rewrite_connections_closed",
];

const WASM_PAGE_BYTES: i64 = 65536;

/** Codec label values by codec index (walkers/sink.ts), ids Kafka does not define last. */
const CODEC_LABELS: StaticArray<string> = ["none", "gzip", "snappy", "lz4", "zstd", "unknown"];
const CODEC_SLOTS: i32 = CODEC_COUNT + 1;
/** Per (label, codec): batches, then batch bytes. */
const CODEC_STATS: i32 = 2;
const CODEC_STAT_NAMES: StaticArray<string> = ["batches", "batch_bytes"];
/** Per-topic histograms, by index into a label's slots. */
const TOPIC_RECORDS_PER_BATCH: i32 = 0;
const TOPIC_RECORD_AGE: i32 = 1;
const TOPIC_HISTOGRAMS: i32 = 2;
/** Per client software label: its codec counters, then its records-per-batch histogram. */
const SOFTWARE_STATS: i32 = CODEC_SLOTS * CODEC_STATS + 1;

/** True when per-API stats may be kept for this pair; unknown pairs only reach filter stats. */
export function isTrackedApi(apiKey: i32, apiVersion: i32): bool {
  return apiVersion >= 0 && apiVersion < VERSION_SLOTS && isSupportedVersion(apiKey, apiVersion);
}

/** Label value for client software beyond the configured cap. */
export const OTHER_CLIENT_SOFTWARE = "other";
/** Label value for connections whose client did not name itself (no ApiVersions v3+ seen). */
export const UNKNOWN_CLIENT_SOFTWARE = "unknown";

function undefinedIds(count: i32): StaticArray<u32> {
  const ids = new StaticArray<u32>(count);
  for (let i = 0; i < count; i++) unchecked(ids[i] = NOT_DEFINED);
  return ids;
}

/**
 * The stats of one plugin VM (README "Metrics"), defined through proxy-wasm
 * define_metric (per-API and labelled ones on first use) and moved with
 * increment/record_metric. Every label set is bounded (client software, topics, client
 * ids, consumers); beyond a cap values share an overflow label, so no peer can grow the
 * number of stats without bound.
 */
export class KafkaMetrics {
  private readonly apiStatIds: StaticArray<u32>;
  private readonly clientSoftwareIds: Map<string, u32> = new Map<string, u32>();
  /** Error counters by (api key << 16 | error code). Errors are rare, so a map is cheap enough. */
  private readonly errorIds: Map<i32, u32> = new Map<i32, u32>();
  private clientSoftwareOverflowId: u32 = NOT_DEFINED;
  private readonly filterStatIds: StaticArray<u32>;
  private readonly connectionsTotal: u32;
  private readonly connectionsActive: u32;
  private readonly memoryBytes: u32;
  private reportedMemoryPages: i32 = 0;
  /** Which topics get a label of their own, shared by every connection of this VM. */
  readonly topics: TopicLabels;
  /** Per-topic counter ids by (label, TopicStat); defined the first time a label is counted. */
  private readonly topicStatIds: StaticArray<u32>;
  /** Per-topic codec counter ids by ((label, codec), CODEC_STATS); empty without compression stats. */
  private readonly topicCodecIds: StaticArray<u32>;
  /** Per-topic histogram ids by (label, TOPIC_HISTOGRAMS); empty when no histogram is on. */
  private readonly topicHistogramIds: StaticArray<u32>;
  /** Client software label texts ("name.version"), by label index. */
  private readonly clientSoftwareNames: string[] = [];
  /** Per client software label stats by (label * SOFTWARE_STATS + stat); defined when first counted. */
  private readonly clientSoftwareStatIds: Map<i32, u32> = new Map<i32, u32>();
  /** The label of connections whose client did not name itself; -1 until needed. */
  private unknownClientSoftwareLabel: i32 = -1;
  private clientSoftwareOverflow: i32 = -1;
  /** Which client ids get a label in throttling stats. */
  readonly clientIds: ClientIdLabels;
  /** Throttle counter ids by (api key << 20 | client id label << 1 | stat); throttling is rare. */
  private readonly throttleIds: Map<i32, u32> = new Map<i32, u32>();
  readonly insight: InsightOptions;
  /** Consumer lag of this VM; null unless `consumer_lag` is configured. */
  readonly lag: ConsumerLagTable | null;

  /**
   * `maxTopicLabels` 0 turns per-topic stats off; `topicAllowlist` limits them to the listed names;
   * `topicIdStore` shares topic id → name pairs with the other workers' VMs (null: this VM's only).
   */
  constructor(private readonly statPrefix: string, private readonly maxClientSoftwareLabels: i32,
    maxTopicLabels: i32 = 0, topicAllowlist: string[] | null = null, insight: InsightOptions = new InsightOptions(),
    topicIdStore: SharedTopicIdStore | null = null) {
    const topics = new TopicLabels(maxTopicLabels, topicAllowlist, topicIdStore != null ? new SharedTopicNames(topicIdStore) : new TopicNames());
    this.topics = topics;
    this.insight = insight;
    this.clientIds = new ClientIdLabels(insight.throttle ? insight.maxClientIdLabels : 0, insight.clientIdLabels);
    const topicSlots = maxTopicLabels > 0 ? topics.slotCount : 0;
    this.topicStatIds = undefinedIds(topicSlots * TOPIC_STAT_COUNT);
    this.topicCodecIds = undefinedIds(insight.compression ? topicSlots * CODEC_SLOTS * CODEC_STATS : 0);
    this.topicHistogramIds = undefinedIds(insight.batchSizeHistograms || insight.recordAge ? topicSlots * TOPIC_HISTOGRAMS : 0);
    this.lag = insight.lag.enabled ? new ConsumerLagTable(insight.lag, new HostLagGauges(statPrefix, topics, <i64>insight.lag.expiryMs), new HostSharedTies()) : null;
    const apiStatIds = new StaticArray<u32>(API_KEY_LIMIT * VERSION_SLOTS * API_STAT_COUNT);
    for (let i = 0; i < apiStatIds.length; i++) unchecked(apiStatIds[i] = NOT_DEFINED);
    this.apiStatIds = apiStatIds;
    const filterStatIds = new StaticArray<u32>(FILTER_STAT_NAMES.length);
    for (let i = 0; i < filterStatIds.length; i++) {
      filterStatIds[i] = defineMetric(MetricType.Counter, "kafka." + statPrefix + ".filter." + FILTER_STAT_NAMES[i]);
    }
    this.filterStatIds = filterStatIds;
    this.connectionsTotal = defineMetric(MetricType.Counter, "kafka." + statPrefix + ".connections_total");
    this.connectionsActive = defineMetric(MetricType.Gauge, "kafka." + statPrefix + ".connections_active");
    this.memoryBytes = defineMetric(MetricType.Gauge, "kafka." + statPrefix + ".filter.wasm_memory_bytes");
    this.noteMemory();
  }

  /**
   * Keeps the wasm_memory_bytes gauge at the sum of every VM's linear memory (one VM
   * per Envoy worker): each VM adds the change since it last reported.
   */
  noteMemory(): void {
    const pages = memory.size();
    if (pages == this.reportedMemoryPages) return;
    incrementMetric(this.memoryBytes, <i64>(pages - this.reportedMemoryPages) * WASM_PAGE_BYTES);
    this.reportedMemoryPages = pages;
  }

  /**
   * Takes back everything this instance reported into wasm_memory_bytes, once Envoy is
   * done with the root context that owns it (proxy_on_done: its plugin configuration was
   * replaced or removed, and its listener drained). A VM outlives its root contexts: after
   * a configuration reload the new root context in the same VM reports the VM's whole
   * memory again, so without this every reload would add the VM once more to the gauge
   * (the soak, tools/soak/soak.mjs, saw +9 MiB per ACL reload with 4 VMs alive).
   */
  releaseMemory(): void {
    if (this.reportedMemoryPages == 0) return;
    incrementMetric(this.memoryBytes, -(<i64>this.reportedMemoryPages * WASM_PAGE_BYTES));
    this.reportedMemoryPages = 0;
  }

  /**
   * Takes back everything this instance added to gauges that outlive it: its share of
   * wasm_memory_bytes (releaseMemory) and its consumer lag series
   * (ConsumerLagTable.withdraw). Called when its configuration is replaced or Envoy is
   * done with it (proxy_on_done).
   */
  releaseSharedGauges(): void {
    this.releaseMemory();
    const lag = this.lag;
    if (lag != null) lag.withdraw();
  }

  /** Adds to a counter or gauge of an (API, version) that isTrackedApi accepted. */
  addApi(apiKey: i32, apiVersion: i32, stat: ApiStat, delta: i64): void {
    incrementMetric(this.apiStatId(apiKey, apiVersion, stat), delta);
  }

  /** Records one request's latency, in microseconds, into the API's latency_us histogram. */
  recordLatency(apiKey: i32, apiVersion: i32, micros: u64): void {
    recordMetric(this.apiStatId(apiKey, apiVersion, ApiStat.LatencyMicros), micros);
  }

  /** Adds `delta` (default 1) to a filter health counter. */
  count(stat: FilterStat, delta: i64 = 1): void {
    if (delta != 0) incrementMetric(unchecked(this.filterStatIds[<i32>stat]), delta);
  }

  /** connections_total + 1 and the connections_active gauge + 1. */
  connectionOpened(): void {
    incrementMetric(this.connectionsTotal, 1);
    incrementMetric(this.connectionsActive, 1);
  }

  /** The connections_active gauge - 1. */
  connectionClosed(): void {
    incrementMetric(this.connectionsActive, -1);
  }

  /** Counts one error code (other than NONE) found in a response of `apiKey`. */
  countError(apiKey: i32, code: i16): void {
    const slot = (apiKey << 16) | (<i32>code & 0xffff);
    let id: u32;
    if (this.errorIds.has(slot)) {
      id = this.errorIds.get(slot);
    } else {
      id = defineMetric(MetricType.Counter, "kafka." + this.statPrefix + ".errors." + apiName(apiKey) + "." + errorName(code));
      this.errorIds.set(slot, id);
    }
    incrementMetric(id, 1);
  }

  /** Adds to a per-topic counter of a label from this.topics; NO_TOPIC_LABEL is ignored. */
  addTopic(label: i32, stat: TopicStat, delta: i64): void {
    if (delta == 0 || label == NO_TOPIC_LABEL) return;
    const slot = label * TOPIC_STAT_COUNT + <i32>stat;
    if (slot < 0 || slot >= this.topicStatIds.length) return;
    if (unchecked(this.topicStatIds[slot]) == NOT_DEFINED) this.defineTopic(label);
    incrementMetric(unchecked(this.topicStatIds[slot]), delta);
  }

  /** Defines a label's four counters together, so a topic lists them all once it is seen. */
  private defineTopic(label: i32): void {
    const name = this.topics.labelName(label);
    for (let stat = 0; stat < TOPIC_STAT_COUNT; stat++) {
      unchecked(this.topicStatIds[label * TOPIC_STAT_COUNT + stat] = defineMetric(MetricType.Counter,
        "kafka." + this.statPrefix + ".topic." + name + "." + unchecked(TOPIC_STAT_NAMES[stat])));
    }
  }

  /**
   * Counts a connection whose client named itself in ApiVersions v3+, and returns its
   * client software label for the per-client-software stats. Distinct (name, version)
   * pairs are capped; the rest share the "other" label.
   */
  clientSoftwareSeen(name: string, version: string): i32 {
    const label = statLabel(name, true) + "." + statLabel(version, false);
    let id: u32;
    let index: i32;
    if (this.clientSoftwareIds.has(label)) {
      id = this.clientSoftwareIds.get(label);
      index = this.clientSoftwareNames.indexOf(label);
    } else if (this.clientSoftwareIds.size < this.maxClientSoftwareLabels) {
      id = defineMetric(MetricType.Counter, "kafka." + this.statPrefix + ".client." + label + ".connections");
      this.clientSoftwareIds.set(label, id);
      index = this.clientSoftwareNames.length;
      this.clientSoftwareNames.push(label);
    } else {
      if (this.clientSoftwareOverflowId == NOT_DEFINED) {
        this.clientSoftwareOverflowId = defineMetric(MetricType.Counter,
          "kafka." + this.statPrefix + ".client." + OTHER_CLIENT_SOFTWARE + "." + OTHER_CLIENT_SOFTWARE + ".connections");
      }
      id = this.clientSoftwareOverflowId;
      if (this.clientSoftwareOverflow < 0) {
        this.clientSoftwareOverflow = this.clientSoftwareNames.length;
        this.clientSoftwareNames.push(OTHER_CLIENT_SOFTWARE + "." + OTHER_CLIENT_SOFTWARE);
      }
      index = this.clientSoftwareOverflow;
    }
    incrementMetric(id, 1);
    return index;
  }

  /** The client software label of connections whose client never named itself (no ApiVersions v3+). */
  get unknownClientSoftware(): i32 {
    if (this.unknownClientSoftwareLabel < 0) {
      this.unknownClientSoftwareLabel = this.clientSoftwareNames.length;
      this.clientSoftwareNames.push(UNKNOWN_CLIENT_SOFTWARE + "." + UNKNOWN_CLIENT_SOFTWARE);
    }
    return this.unknownClientSoftwareLabel;
  }

  /**
   * Counts `batches` produced v2 batches of `bytes` bytes compressed with `codec` (a
   * codec index, walkers/sink.ts) for a topic label and a client software label.
   */
  addProducedBatches(topic: i32, software: i32, codec: i32, batches: i64, bytes: i64): void {
    if (!this.insight.compression || codec < 0 || codec >= CODEC_SLOTS) return;
    if (topic != NO_TOPIC_LABEL) {
      const slot = (topic * CODEC_SLOTS + codec) * CODEC_STATS;
      if (slot >= 0 && slot < this.topicCodecIds.length) {
        if (unchecked(this.topicCodecIds[slot]) == NOT_DEFINED) {
          const base = "kafka." + this.statPrefix + ".topic." + this.topics.labelName(topic) + ".produced." + unchecked(CODEC_LABELS[codec]) + ".";
          for (let stat = 0; stat < CODEC_STATS; stat++) {
            unchecked(this.topicCodecIds[slot + stat] = defineMetric(MetricType.Counter, base + unchecked(CODEC_STAT_NAMES[stat])));
          }
        }
        incrementMetric(unchecked(this.topicCodecIds[slot]), batches);
        incrementMetric(unchecked(this.topicCodecIds[slot + 1]), bytes);
      }
    }
    if (software >= 0 && software < this.clientSoftwareNames.length) {
      incrementMetric(this.clientSoftwareCodecStat(software, codec, 0), batches);
      incrementMetric(this.clientSoftwareCodecStat(software, codec, 1), bytes);
    }
  }

  /** Records one produced batch's record count in the records-per-batch histograms of a topic and a client software. */
  recordBatchSize(topic: i32, software: i32, records: i32): void {
    if (!this.insight.batchSizeHistograms || records < 0) return;
    if (topic != NO_TOPIC_LABEL) {
      const id = this.topicHistogram(topic, TOPIC_RECORDS_PER_BATCH, "produced_records_per_batch");
      recordMetric(id, <u64>records);
    }
    if (software >= 0 && software < this.clientSoftwareNames.length) {
      recordMetric(this.clientSoftwareStat(software, software * SOFTWARE_STATS + SOFTWARE_STATS - 1, MetricType.Histogram,
        "produced_records_per_batch"), <u64>records);
    }
  }

  /** Records the age of one fetched batch (ms, clamped at 0) in its topic's record age histogram. */
  recordAge(topic: i32, ageMs: i64): void {
    if (!this.insight.recordAge || topic == NO_TOPIC_LABEL) return;
    recordMetric(this.topicHistogram(topic, TOPIC_RECORD_AGE, "fetched_record_age_ms"), ageMs < 0 ? 0 : <u64>ageMs);
  }

  /** Counts a response of `apiKey` the broker delayed by `ms` (> 0) for a quota, under a client id label. */
  addThrottle(apiKey: i32, clientIdLabel: i32, ms: i32): void {
    if (!this.insight.throttle || ms <= 0 || clientIdLabel < 0) return;
    const key = (apiKey << 20) | (clientIdLabel << 1);
    let responses: u32;
    let time: u32;
    if (this.throttleIds.has(key)) {
      responses = this.throttleIds.get(key);
      time = this.throttleIds.get(key | 1);
    } else {
      const base = "kafka." + this.statPrefix + ".throttle." + apiName(apiKey) + ".client_id." + this.clientIds.labelName(clientIdLabel) + ".";
      responses = defineMetric(MetricType.Counter, base + "responses");
      time = defineMetric(MetricType.Counter, base + "time_ms");
      this.throttleIds.set(key, responses);
      this.throttleIds.set(key | 1, time);
    }
    incrementMetric(responses, 1);
    incrementMetric(time, ms);
  }

  private topicHistogram(topic: i32, which: i32, name: string): u32 {
    const slot = topic * TOPIC_HISTOGRAMS + which;
    if (slot < 0 || slot >= this.topicHistogramIds.length) return INVALID_METRIC;
    let id = unchecked(this.topicHistogramIds[slot]);
    if (id == NOT_DEFINED) {
      id = defineMetric(MetricType.Histogram, "kafka." + this.statPrefix + ".topic." + this.topics.labelName(topic) + "." + name);
      unchecked(this.topicHistogramIds[slot] = id);
    }
    return id;
  }

  /**
   * A client software's counter of `CODEC_STAT_NAMES[stat]` for `codec`. Its name is only
   * built when the counter is first defined: this runs for every produced batch group.
   */
  private clientSoftwareCodecStat(software: i32, codec: i32, stat: i32): u32 {
    const key = software * SOFTWARE_STATS + codec * CODEC_STATS + stat;
    const ids = this.clientSoftwareStatIds;
    if (ids.has(key)) return ids.get(key);
    return this.clientSoftwareStat(software, key, MetricType.Counter,
      "produced." + unchecked(CODEC_LABELS[codec]) + "." + unchecked(CODEC_STAT_NAMES[stat]));
  }

  private clientSoftwareStat(software: i32, key: i32, type: MetricType, name: string): u32 {
    const ids = this.clientSoftwareStatIds;
    if (ids.has(key)) return ids.get(key);
    const id = defineMetric(type, "kafka." + this.statPrefix + ".client." + this.clientSoftwareNames[software] + "." + name);
    ids.set(key, id);
    return id;
  }

  private apiStatId(apiKey: i32, apiVersion: i32, stat: ApiStat): u32 {
    const slot = (apiKey * VERSION_SLOTS + apiVersion) * API_STAT_COUNT + <i32>stat;
    let id = unchecked(this.apiStatIds[slot]);
    if (id == NOT_DEFINED) {
      id = defineMetric(unchecked(API_STAT_TYPES[<i32>stat]), "kafka." + this.statPrefix + ".api." + apiName(apiKey) +
        ".v" + apiVersion.toString() + "." + unchecked(API_STAT_NAMES[<i32>stat]));
      unchecked(this.apiStatIds[slot] = id);
    }
    return id;
  }
}

/**
 * The consumer lag gauges: kafka.<prefix>.consumer_lag.<group|client_id>.<consumer>.<topic>.max_records
 * and .sum_records, in records. Sums move by each table's changes; a max is set to the
 * largest of every worker's, kept in shared data under "kafka_filter.lag_max.<gauge name>"
 * (lag/shared-max.ts).
 */
class HostLagGauges extends LagGauges {
  /** The shared-data key (UTF-8) of each max gauge, by metric id. */
  private readonly maxKeys: Map<u32, ArrayBuffer> = new Map<u32, ArrayBuffer>();
  /** When this table last wrote each max gauge's entry (ms). */
  private readonly writtenMs: Map<u32, i64> = new Map<u32, i64>();
  private readonly merge: MaxMerge = new MaxMerge();
  private readonly stored: SharedValueBuffer = new SharedValueBuffer();
  private owner: u64 = 0;

  /** `expiryMs`: consumer_lag.expiry_ms, after which another table drops an entry this one stopped writing. */
  constructor(private readonly statPrefix: string, private readonly topics: TopicLabels, private readonly expiryMs: i64) { super(); }

  define(by: ConsumerBy, consumer: string, topicLabel: i32): StaticArray<u32> {
    const base = "kafka." + this.statPrefix + ".consumer_lag." + (by == ConsumerBy.Group ? "group." : "client_id.") + consumer + "." +
      this.topics.labelName(topicLabel) + ".";
    const ids = new StaticArray<u32>(2);
    ids[0] = defineMetric(MetricType.Gauge, base + "max_records");
    ids[1] = defineMetric(MetricType.Gauge, base + "sum_records");
    if (ids[0] != INVALID_METRIC) this.maxKeys.set(ids[0], String.UTF8.encode(LAG_MAX_KEY_PREFIX + base + "max_records"));
    return ids;
  }

  adjust(id: u32, delta: i64): void {
    incrementMetric(id, delta);
  }

  setMax(id: u32, max: i64): void {
    this.write(id, max, <i64>(nowNanoseconds() / 1000000));
  }

  refreshMax(id: u32, max: i64, nowMs: i64): void {
    // A quarter of the expiry: at least three writes before another table may drop the entry.
    if (this.writtenMs.has(id) && nowMs - this.writtenMs.get(id) < this.expiryMs / 4) return;
    this.write(id, max, nowMs);
  }

  /**
   * Puts this table's `max` into the shared entries of gauge `id` and sets the gauge to the
   * largest; a read-merge-write with proxy-wasm's compare-and-swap, tried again when another
   * worker wrote in between. When every attempt loses, the next change or refresh writes it.
   */
  private write(id: u32, max: i64, nowMs: i64): void {
    if (!this.maxKeys.has(id)) return;
    const key = this.maxKeys.get(id);
    const owner = this.ownerToken();
    const merge = this.merge;
    const stored = this.stored;
    for (let attempt = 0; attempt < LAG_MAX_WRITE_ATTEMPTS; attempt++) {
      if (readSharedData(key, stored) == SharedRead.Failed) return;
      mergeMax(changetype<usize>(stored.buffer), stored.length, owner, max, nowMs, this.expiryMs, merge);
      if (setSharedDataBytes(key, changetype<usize>(merge.buffer), merge.length, sharedDataCas)) {
        recordMetric(id, <u64>merge.max);
        this.writtenMs.set(id, nowMs);
        return;
      }
    }
  }

  /**
   * This table's entries' owner: a shared counter's next value in the high half, the
   * clock's nanoseconds in the low half. proxy-wasm's compare-and-swap cannot guard the
   * counter's creation (a write with token 0 always succeeds), so two workers starting at
   * once may both read it absent and both take 1; the clock keeps their tokens apart.
   */
  private ownerToken(): u64 {
    if (this.owner != 0) return this.owner;
    const key = String.UTF8.encode(LAG_MAX_OWNER_KEY);
    const stored = this.stored;
    const next = new ArrayBuffer(8);
    let counter: u64 = 0;
    for (let attempt = 0; attempt < LAG_MAX_WRITE_ATTEMPTS; attempt++) {
      const found = readSharedData(key, stored) == SharedRead.Found && stored.length == 8;
      const last: u64 = found ? load<u64>(changetype<usize>(stored.buffer)) : 0;
      store<u64>(changetype<usize>(next), last + 1);
      if (setSharedDataBytes(key, changetype<usize>(next), 8, sharedDataCas)) {
        counter = last + 1;
        break;
      }
    }
    this.owner = (counter << 32) | (nowNanoseconds() & 0xffffffff) | 1;
    return this.owner;
  }
}

const LAG_MAX_KEY_PREFIX = "kafka_filter.lag_max.";
const LAG_MAX_OWNER_KEY = "kafka_filter.lag_max_owner";
const LAG_MAX_WRITE_ATTEMPTS: i32 = 8;

/** Shares client id → group ties between this Envoy's VMs through proxy-wasm shared data. */
class HostSharedTies extends SharedTies {
  publish(clientId: usize, clientIdLength: i32, groupId: usize, groupIdLength: i32): void {
    const value = new ArrayBuffer(groupIdLength);
    memory.copy(changetype<usize>(value), groupId, <usize>groupIdLength);
    setSharedData(tieKey(clientId, clientIdLength), value);
  }

  lookup(clientId: usize, clientIdLength: i32): ArrayBuffer | null {
    return getSharedData(tieKey(clientId, clientIdLength));
  }
}

function tieKey(clientId: usize, clientIdLength: i32): string {
  return "kafka_filter.consumer_group." + String.UTF8.decodeUnsafe(clientId, <usize>clientIdLength);
}

/**
 * Makes peer-supplied text safe as one stat-name segment: Kafka allows client software
 * names and versions of [A-Za-z0-9.-], but the filter sees them before the broker
 * checks. Anything else becomes '_', and so does '.' where it would split the name.
 */
function statLabel(text: string, dotsSplit: bool): string {
  const length = min(text.length, 64);
  if (length == 0) return "unknown";
  let out = "";
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    const plain = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2d || c == 0x5f ||
      (c == 0x2e && !dotsSplit);
    out += plain ? String.fromCharCode(c) : "_";
  }
  return out;
}

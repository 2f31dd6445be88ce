// The filter's stats, defined through the proxy-wasm metrics ABI.
//
// Names are dotted, kafka.<stat_prefix>.api.<ApiName>.<metric> and
// kafka.<stat_prefix>.filter.<metric>; envoy/envoy.yaml's stats_tags turn the
// prefix and API name into Prometheus labels. Per-API stats are defined the first
// time an API is seen, so /stats lists only the APIs clients actually use.
import { API_KEY_LIMIT, apiName } from "./codec/generated/apis";
import { MetricType, defineMetric, incrementMetric } from "./proxy/host";

const NOT_DEFINED: u32 = u32.MAX_VALUE - 1;

export const enum ApiMetric { Requests = 0, Responses = 1 }
const API_METRIC_COUNT: i32 = 2;
const API_METRIC_NAMES: StaticArray<string> = ["requests", "responses"];

export const enum FilterMetric {
  /** Requests whose api key this filter's codec does not know. */
  UnknownApiRequests = 0,
  /** Requests whose header could not be decoded. */
  RequestHeaderErrors,
  /** Responses whose correlation id matches no pending request. */
  UnmatchedResponses,
  /** Pending requests that never got a response (Produce with acks=0). */
  UnansweredRequests,
  /** Streams that broke Kafka framing (negative or oversized frame size). */
  FramingErrors,
  /** Connections the filter closed. */
  ConnectionsClosed,
}
const FILTER_METRIC_NAMES: StaticArray<string> = [
  "unknown_api_requests", "request_header_errors", "unmatched_responses",
  "unanswered_requests", "framing_errors", "connections_closed",
];

export class KafkaMetrics {
  private readonly apiMetricIds: StaticArray<u32>;
  private readonly filterMetricIds: StaticArray<u32>;

  constructor(private readonly statPrefix: string) {
    const apiMetricIds = new StaticArray<u32>(API_KEY_LIMIT * API_METRIC_COUNT);
    for (let i = 0; i < apiMetricIds.length; i++) apiMetricIds[i] = NOT_DEFINED;
    this.apiMetricIds = apiMetricIds;
    const filterMetricIds = new StaticArray<u32>(FILTER_METRIC_NAMES.length);
    for (let i = 0; i < filterMetricIds.length; i++) {
      filterMetricIds[i] = defineMetric(MetricType.Counter, "kafka." + statPrefix + ".filter." + FILTER_METRIC_NAMES[i]);
    }
    this.filterMetricIds = filterMetricIds;
  }

  /** Counts `delta` for a known API key; callers route unknown keys to FilterMetric.UnknownApiRequests. */
  countApi(apiKey: i32, metric: ApiMetric, delta: i64 = 1): void {
    if (apiKey < 0 || apiKey >= API_KEY_LIMIT) return;
    const slot = apiKey * API_METRIC_COUNT + <i32>metric;
    let id = unchecked(this.apiMetricIds[slot]);
    if (id == NOT_DEFINED) {
      id = defineMetric(MetricType.Counter,
        "kafka." + this.statPrefix + ".api." + apiName(apiKey) + "." + API_METRIC_NAMES[<i32>metric]);
      this.apiMetricIds[slot] = id;
    }
    incrementMetric(id, delta);
  }

  count(metric: FilterMetric, delta: i64 = 1): void {
    if (delta != 0) incrementMetric(this.filterMetricIds[<i32>metric], delta);
  }
}

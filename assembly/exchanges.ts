// One connection's exchanges: the requests awaiting responses (correlation.ts), the
// per-API counters, in-flight gauges and latency they move, the SASL exchange state,
// and the connection's client labels. Shared by both directions' frame handlers
// (connection.ts) and the stats sinks (stats-sinks.ts).
import { InFlightRequests, PendingRequest } from "./correlation";
import { LegacySaslExchange } from "./sasl";
import { ApiStat, FilterStat, KafkaMetrics, isTrackedApi } from "./metrics";
import { ConnectionLag } from "./lag/consumer-lag";
import { nowNanoseconds } from "./proxy/host";
import { SASL_AUTHENTICATE, SASL_HANDSHAKE } from "./codec/generated/apis";

const SIZE_FIELD_BYTES: i64 = 4;
/** Marks a pending request whose (API, version) gets no per-API stats. */
export const UNTRACKED_API: i16 = -1;

/** SaslHandshake or SaslAuthenticate: the requests of a SASL exchange. */
export function isSaslRequest(apiKey: i16): bool {
  return apiKey == SASL_HANDSHAKE || apiKey == SASL_AUTHENTICATE;
}

/** Pending requests and their stats, shared by both directions of one connection. */
export class Exchanges {
  readonly pending: InFlightRequests;
  readonly sasl: LegacySaslExchange = new LegacySaslExchange();
  /** SaslHandshake and SaslAuthenticate requests awaiting their responses. */
  private saslInFlight: i32 = 0;
  /** The connection's client software label (metrics.ts), once its ApiVersions named it; -1 before. */
  clientSoftwareLabel: i32 = -1;
  /** The client id label (client-ids.ts) of the connection's first request; -1 before it. */
  clientIdLabel: i32 = -1;
  /** The connection's consumer lag, from its first Fetch request on; null before, or without consumer_lag. */
  lag: ConnectionLag | null = null;

  /**
   * True while a SASL exchange waits on the broker: a SaslHandshake or SaslAuthenticate
   * in flight, or (legacy v0) every raw client token sent and a broker token still due.
   */
  get saslUnanswered(): bool {
    return this.saslInFlight > 0 || (this.sasl.rawRequestsLeft == 0 && this.sasl.rawResponsesLeft > 0);
  }

  constructor(readonly metrics: KafkaMetrics, maxInFlight: i32) {
    this.pending = new InFlightRequests(maxInFlight);
  }

  /** Counts a request and queues it when it awaits a response; returns its queue slot (null: none). */
  requestStarted(correlationId: i32, apiKey: i16, apiVersion: i16, frameSize: i32, awaitsResponse: bool): PendingRequest | null {
    const tracked = isTrackedApi(apiKey, apiVersion);
    if (tracked) {
      this.metrics.addApi(apiKey, apiVersion, ApiStat.Requests, 1);
      this.metrics.addApi(apiKey, apiVersion, ApiStat.RequestBytes, <i64>frameSize + SIZE_FIELD_BYTES);
    }
    if (!awaitsResponse) return null;
    if (this.pending.full) {
      this.metrics.count(FilterStat.InFlightOverflow);
      this.forgetOldest();
    }
    const slot = this.pending.push(correlationId, tracked ? apiKey : UNTRACKED_API, apiVersion);
    if (tracked && isSaslRequest(apiKey)) this.saslInFlight++;
    if (tracked) this.metrics.addApi(apiKey, apiVersion, ApiStat.InFlight, 1);
    return slot;
  }

  /**
   * Stamps the newest pending request with the time (host ns) its last byte arrived, once; latency is measured from
   * there.
   */
  requestCompleted(): void {
    if (this.pending.size > 0 && this.pending.newest().completedAtNanos == 0) {
      this.pending.newest().completedAtNanos = nowNanoseconds();
    }
  }

  /**
   * Counts a response whose request sits at `position` in the pending queue (-1: none),
   * dropping the older, unanswered ones. Returns the request, or null when nothing
   * matched; the object is only valid until the next request is queued.
   */
  responseStarted(position: i32, frameSize: i32): PendingRequest | null {
    if (position < 0) {
      this.metrics.count(FilterStat.UnmatchedResponses);
      return null;
    }
    for (let i = 0; i < position; i++) this.forgetOldest();
    this.metrics.count(FilterStat.UnansweredRequests, position);
    const request = this.pending.oldest();
    const apiKey = request.apiKey;
    if (apiKey != UNTRACKED_API) {
      const apiVersion = request.apiVersion;
      this.metrics.addApi(apiKey, apiVersion, ApiStat.Responses, 1);
      this.metrics.addApi(apiKey, apiVersion, ApiStat.ResponseBytes, <i64>frameSize + SIZE_FIELD_BYTES);
      this.metrics.addApi(apiKey, apiVersion, ApiStat.InFlight, -1);
      if (request.completedAtNanos != 0) {
        const now = nowNanoseconds();
        if (now > request.completedAtNanos) this.metrics.recordLatency(apiKey, apiVersion, (now - request.completedAtNanos) / 1000);
      }
    }
    if (isSaslRequest(apiKey)) this.saslInFlight--;
    this.pending.dropOldest();
    return request;
  }

  /** Drops every pending request, keeping the in-flight gauges true when a connection ends. */
  forgetAll(): void {
    while (this.pending.size > 0) this.forgetOldest();
  }

  private forgetOldest(): void {
    const request = this.pending.oldest();
    if (isSaslRequest(request.apiKey)) this.saslInFlight--;
    if (request.apiKey != UNTRACKED_API) this.metrics.addApi(request.apiKey, request.apiVersion, ApiStat.InFlight, -1);
    this.pending.dropOldest();
  }
}

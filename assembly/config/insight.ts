// The insight part of the plugin configuration: which wire-level stats beyond the
// per-API and per-topic counters are kept (parsed in filter-config.ts).

import { LagOptions } from "../lag/consumer-lag";

/**
 * What the wire-level insight stats count (the README's "Metrics" and "Configuration"):
 * the cheap ones are on by default, the histograms opt-in.
 */
export class InsightOptions {
  /** Produced batches and bytes per (topic, codec) and per (client software, codec). */
  compression: bool = true;
  /** Records-per-batch histograms per topic and per client software. */
  batchSizeHistograms: bool = false;
  /** Fetched record age histograms per topic. */
  recordAge: bool = false;
  /** Responses delayed by a quota, and the delay, per (API, client id). */
  throttle: bool = true;
  /**
   * `max_client_id_labels` (0 … 10000, default 100): distinct client ids with their own
   * `kafka_client_id` label in the throttling stats, per VM (Envoy worker). With
   * `throttle` on, a connection's client id takes a slot at its first request, throttled
   * or not, so the first ids to connect get the labels; later ones count under `_other`,
   * connections without one under `_none` (client-ids.ts). Out of range: a config error.
   */
  maxClientIdLabels: i32 = 100;
  /**
   * `client_id_labels`: an allowlist of client ids (raw, as clients send them; 1–255
   * bytes each, at most maxClientIdLabels of them); only these get a label, the rest
   * count under `_other`. null (absent): the first maxClientIdLabels ids to connect.
   * Parsed by clientIdList in filter-config.ts, which rejects empty, long and too many ids.
   */
  clientIdLabels: string[] | null = null;
  /** Consumer lag gauges (opt-in: the `consumer_lag` object). */
  lag: LagOptions = new LagOptions();
}

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
  maxClientIdLabels: i32 = 100;
  clientIdLabels: string[] | null = null;
  /** Consumer lag gauges (opt-in: the `consumer_lag` object). */
  lag: LagOptions = new LagOptions();
}

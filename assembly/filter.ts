// The Kafka network filter: the proxy-wasm module Envoy loads. It wires the plugin
// configuration, the stats and one KafkaConnection per downstream connection.
import "./proxy/runtime";
import { ConnectionContext, RootContext } from "./proxy/context";
import { registerRootContext } from "./proxy/registry";
import { BufferType, LogLevel, bufferAsString, log } from "./proxy/host";
import { FilterConfig, parseFilterConfig } from "./config/filter-config";
import { KafkaMetrics } from "./metrics";
import { KafkaConnection } from "./connection";
export * from "./proxy/exports";

class KafkaFilterRoot extends RootContext {
  private config: FilterConfig = new FilterConfig();
  private metrics: KafkaMetrics | null = null;

  onConfigure(pluginConfigurationSize: u32): bool {
    const parsed = parseFilterConfig(bufferAsString(BufferType.PluginConfiguration, pluginConfigurationSize));
    const config = parsed.config;
    if (config == null) {
      log(LogLevel.Error, "kafka filter: invalid plugin configuration: " + parsed.error);
      return false;
    }
    this.config = config;
    this.metrics = new KafkaMetrics(config.statPrefix, config.maxClientSoftwareLabels);
    return true;
  }

  createConnectionContext(contextId: u32): ConnectionContext {
    let metrics = this.metrics;
    if (metrics == null) {
      // Envoy configures a root context before any connection; this only guards the contract.
      metrics = new KafkaMetrics(this.config.statPrefix, this.config.maxClientSoftwareLabels);
      this.metrics = metrics;
    }
    return new KafkaConnection(contextId, this, this.config, metrics);
  }
}

registerRootContext((contextId: u32): RootContext => new KafkaFilterRoot(contextId));

// The Kafka network filter: the proxy-wasm module Envoy loads. It wires the plugin
// configuration, the stats and one KafkaConnection per downstream connection.
import "./proxy/runtime";
import { ConnectionContext, RootContext } from "./proxy/context";
import { registerRootContext } from "./proxy/registry";
import { BufferType, FilterStatus, LogLevel, bufferAsString, closeDownstream, log } from "./proxy/host";
import { FilterConfig, parseFilterConfig } from "./config/filter-config";
import { FilterStat, KafkaMetrics } from "./metrics";
import { KafkaConnection } from "./connection";
export * from "./proxy/exports";

// wasm32 memory ends at 4 GiB and the allocator traps when it cannot grow, which would
// kill the filter for every connection of this worker. Past this mark new connections
// are closed instead; at about 1.2 KiB per idle connection it takes millions of them.
const MEMORY_GUARD_PAGES: i32 = 49152; // 3 GiB

/** Stands in for a connection that is refused: closes it, and keeps no state. */
class RefusedConnection extends ConnectionContext {
  constructor(root: RootContext, private readonly metrics: KafkaMetrics) { super(0, root); }

  onNewConnection(): FilterStatus {
    this.metrics.count(FilterStat.ConnectionsRefused);
    closeDownstream();
    return FilterStatus.StopIteration;
  }
  onDownstreamData(dataSize: u32, endOfStream: bool): FilterStatus { return FilterStatus.StopIteration; }
  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus { return FilterStatus.StopIteration; }
}

class KafkaFilterRoot extends RootContext {
  private config: FilterConfig = new FilterConfig();
  private metrics: KafkaMetrics | null = null;
  private refused: RefusedConnection | null = null;

  onConfigure(pluginConfigurationSize: u32): bool {
    const parsed = parseFilterConfig(bufferAsString(BufferType.PluginConfiguration, pluginConfigurationSize));
    const config = parsed.config;
    if (config == null) {
      log(LogLevel.Error, "kafka filter: invalid plugin configuration: " + parsed.error);
      return false;
    }
    this.config = config;
    this.metrics = new KafkaMetrics(config.statPrefix, config.maxClientSoftwareLabels, config.maxTopicLabels, config.topicLabels);
    return true;
  }

  createConnectionContext(contextId: u32): ConnectionContext {
    let metrics = this.metrics;
    if (metrics == null) {
      // Envoy configures a root context before any connection; this only guards the contract.
      metrics = new KafkaMetrics(this.config.statPrefix, this.config.maxClientSoftwareLabels,
        this.config.maxTopicLabels, this.config.topicLabels);
      this.metrics = metrics;
    }
    if (memory.size() >= MEMORY_GUARD_PAGES) {
      let refused = this.refused;
      if (refused == null) {
        refused = new RefusedConnection(this, metrics);
        this.refused = refused;
        log(LogLevel.Error, "kafka filter: Wasm memory is near its 4 GiB limit; refusing new connections");
      }
      return refused;
    }
    return new KafkaConnection(contextId, this, this.config, metrics);
  }
}

registerRootContext((contextId: u32): RootContext => new KafkaFilterRoot(contextId));

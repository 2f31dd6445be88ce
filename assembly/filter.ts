// The Kafka network filter: the proxy-wasm module Envoy loads. It wires the plugin
// configuration, the stats and one KafkaConnection per downstream connection.
import "./proxy/runtime";
import { ConnectionContext, RootContext } from "./proxy/context";
import { registerRootContext } from "./proxy/registry";
import { BufferType, FilterStatus, LogLevel, bufferBytes, closeDownstream, log, nowNanoseconds, setTickPeriod } from "./proxy/host";
import { FilterConfig, parseFilterConfigBytes } from "./config/filter-config";
import { FilterStat, KafkaMetrics } from "./metrics";
import { KafkaConnection } from "./connection";
import { memoryNearLimit } from "./held-stream";
import { AclEnforcer, EnforcementStats } from "./acl/enforcer";
import { AclContext, ConnectionAuthorizer } from "./acl/authorizer";
import { HostAclMetrics, HostAuditLog } from "./acl/audit";
import { HostProperties, PrincipalResolver } from "./acl/principal";
import { HostTopicIdStore, TopicIds } from "./acl/topic-ids";
import { ResponseEditor, RewriteStats } from "./editing/response-editor";
import { AddressRewriter } from "./rewrite/rewriter";
import { BrokerAddressMap } from "./rewrite/addresses";
export * from "./proxy/exports";

/** Counts what the ACL enforcer did to frames, among the filter health stats. */
class EnforcementCounters extends EnforcementStats {
  constructor(private readonly metrics: KafkaMetrics) { super(); }
  requestRewritten(): void { this.metrics.count(FilterStat.AclRequestsRewritten); }
  requestDenied(): void { this.metrics.count(FilterStat.AclRequestsDenied); }
  responseRewritten(): void { this.metrics.count(FilterStat.AclResponsesRewritten); }
  tlsSubjectUnmapped(gaveUp: bool): void {
    this.metrics.count(FilterStat.AclTlsSubjectsUnmapped);
    if (gaveUp) this.metrics.count(FilterStat.AclTlsMappingStepLimit);
  }
}

/** Counts what broker address rewriting did, among the filter health stats. */
class RewriteCounters extends RewriteStats {
  constructor(private readonly metrics: KafkaMetrics) { super(); }
  addressesRewritten(): void { this.metrics.count(FilterStat.AddressRewrites); }
  unknownNode(): void { this.metrics.count(FilterStat.AddressRewriteUnknownNode); }
  endpointsDropped(): void { this.metrics.count(FilterStat.AddressRewriteEndpointsDropped); }
}

/** Learned topic ids outlive configurations: the pairs stay true whatever the rules. */
const topicIds = new TopicIds();
// The per-topic stats learn ids into, and look them up in, the same shared entries.
const sharedTopicIds = new HostTopicIdStore();
const hostProperties = new HostProperties();

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
  private aclContext: AclContext | null = null;
  private enforcementCounters: EnforcementCounters | null = null;
  private rewriter: AddressRewriter | null = null;
  private rewriteCounters: RewriteCounters | null = null;

  onConfigure(pluginConfigurationSize: u32): bool {
    const parsed = parseFilterConfigBytes(bufferBytes(BufferType.PluginConfiguration, pluginConfigurationSize));
    const config = parsed.config;
    if (config == null) {
      log(LogLevel.Error, "kafka filter: invalid plugin configuration: " + parsed.error);
      return false;
    }
    this.config = config;
    const previous = this.metrics;
    if (previous != null) previous.releaseSharedGauges();
    const metrics = new KafkaMetrics(config.statPrefix, config.maxClientSoftwareLabels, config.maxTopicLabels, config.topicLabels,
      config.insight, sharedTopicIds);
    this.metrics = metrics;
    const acl = config.acl;
    this.aclContext = acl == null ? null
      : new AclContext(acl.policy, acl.mode, new HostAuditLog(), new HostAclMetrics(config.statPrefix), topicIds);
    this.enforcementCounters = acl == null ? null : new EnforcementCounters(metrics);
    const brokerAddresses = config.brokerAddresses;
    this.rewriter = brokerAddresses == null ? null : new AddressRewriter(new BrokerAddressMap(brokerAddresses));
    this.rewriteCounters = new RewriteCounters(metrics);
    // Consumer lag shares expire on a timer, so a consumer that stops fetching leaves the gauges.
    if (metrics.lag != null) setTickPeriod(<u32>min(5000, config.insight.lag.expiryMs / 4));
    return true;
  }

  onTick(): void {
    const metrics = this.metrics;
    if (metrics == null) return;
    const lag = metrics.lag;
    if (lag != null) lag.sweep(<i64>(nowNanoseconds() / 1000000));
  }

  /** Envoy is done with this configuration: what it added to shared gauges goes (KafkaMetrics.releaseSharedGauges). */
  onDone(): bool {
    const metrics = this.metrics;
    if (metrics != null) metrics.releaseSharedGauges();
    return true;
  }

  createConnectionContext(contextId: u32): ConnectionContext {
    let metrics = this.metrics;
    if (metrics == null) {
      // Envoy configures a root context before any connection; this only guards the contract.
      metrics = new KafkaMetrics(this.config.statPrefix, this.config.maxClientSoftwareLabels,
        this.config.maxTopicLabels, this.config.topicLabels, this.config.insight, sharedTopicIds);
      this.metrics = metrics;
    }
    if (memoryNearLimit()) {
      let refused = this.refused;
      if (refused == null) {
        refused = new RefusedConnection(this, metrics);
        this.refused = refused;
        log(LogLevel.Error, "kafka filter: Wasm memory is near its 4 GiB limit; refusing new connections");
      }
      return refused;
    }
    const enforcer = this.newEnforcer(metrics);
    return new KafkaConnection(contextId, this, this.config, metrics, enforcer, this.newEditor(enforcer, metrics));
  }

  /** One per connection when ACLs or address rewriting may edit responses: the one response-editing path. */
  private newEditor(enforcer: AclEnforcer | null, metrics: KafkaMetrics): ResponseEditor | null {
    const rewriter = this.rewriter;
    if (enforcer == null && rewriter == null) return null;
    let counters = this.rewriteCounters;
    if (counters == null) {
      counters = new RewriteCounters(metrics);
      this.rewriteCounters = counters;
    }
    const labels = metrics.topics.enabled ? metrics.topics.topicNames : null;
    return new ResponseEditor(enforcer, rewriter, labels, counters, this.config.maxHeldFrameBytes);
  }

  /** One per connection when ACLs are configured: its principal, authorizer and held-frame state. */
  private newEnforcer(metrics: KafkaMetrics): AclEnforcer | null {
    // All three are set together by onConfigure when the configuration has ACLs.
    const context = this.aclContext;
    const acl = this.config.acl;
    const counters = this.enforcementCounters;
    if (context == null || acl == null || counters == null) return null;
    const principals = new PrincipalResolver(acl.principalSources, acl.addressPrincipals, acl.tlsPrincipalMapping);
    const labels = metrics.topics.enabled ? metrics.topics.topicNames : null;
    return new AclEnforcer(new ConnectionAuthorizer(context), principals, hostProperties, topicIds, labels, counters,
      this.config.maxHeldFrameBytes);
  }
}

registerRootContext((contextId: u32): RootContext => new KafkaFilterRoot(contextId));

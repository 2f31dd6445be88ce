// Which address a client must use for a broker, by node id (cluster mode): the
// explicit `nodes` map first, then the host template. See notes/cluster-config.md.
import { BrokerAddressesConfig, NODE_ID_PLACEHOLDER, NodeAddress } from "./config";

/** Node id -1 is Kafka's "no node" (FindCoordinator without a coordinator, a leader not known). */
export const NO_NODE_ID: i32 = -1;
const MAX_PORT: i32 = 65535;
/** Template hosts built for distinct node ids are kept up to this many; later ones are built each time. */
const MAX_CACHED_TEMPLATE_HOSTS: i32 = 4096;

/**
 * Resolves node ids to the Envoy address fronting each broker. After `resolve(id)`
 * returns true, `host` and `port` hold the answer; false means the id has no mapping
 * (a template whose port_base + id passes 65535 has none either). Strings are built
 * once per node id and reused, so a lookup allocates nothing in steady state.
 */
export class BrokerAddressMap {
  host: string = "";
  port: i32 = 0;
  private readonly explicit: Map<i32, NodeAddress> = new Map<i32, NodeAddress>();
  private readonly templateHosts: Map<i32, string> = new Map<i32, string>();
  private readonly hostTemplate: string;
  private readonly portBase: i32;
  private readonly fixedPort: i32;

  constructor(config: BrokerAddressesConfig) {
    this.hostTemplate = config.hostTemplate;
    this.portBase = config.portBase;
    this.fixedPort = config.fixedPort;
    for (let i = 0; i < config.nodes.length; i++) this.explicit.set(config.nodes[i].nodeId, config.nodes[i]);
  }

  /**
   * Looks up `nodeId`: true with `host`/`port` set (port 1-65535), false when it has no mapping
   * (no explicit entry and no template, a negative id, or port_base + id above 65535).
   */
  resolve(nodeId: i32): bool {
    if (this.explicit.has(nodeId)) {
      const address = this.explicit.get(nodeId);
      this.host = address.host;
      this.port = address.port;
      return true;
    }
    if (this.hostTemplate.length == 0 || nodeId < 0) return false;
    let port = this.fixedPort;
    if (port < 0) {
      const sum = <i64>this.portBase + <i64>nodeId;
      if (sum > <i64>MAX_PORT) return false;
      port = <i32>sum;
    }
    const cache = this.templateHosts;
    if (cache.has(nodeId)) {
      this.host = cache.get(nodeId);
    } else {
      const host = this.hostTemplate.replaceAll(NODE_ID_PLACEHOLDER, nodeId.toString());
      if (cache.size < MAX_CACHED_TEMPLATE_HOSTS) cache.set(nodeId, host);
      this.host = host;
    }
    this.port = port;
    return true;
  }
}

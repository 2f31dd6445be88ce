// The "broker_addresses" member of the plugin configuration (cluster mode): which
// address a client must use for each broker, by node id. The interface is agreed in
// notes/cluster-config.md; every error names its place, e.g.
//   broker_addresses.nodes."7": must be "host:port" with a port from 1 to 65535, got "b7"
import { JsonKind, JsonValue, jsonKindName } from "../config/json";

const KNOWN_FIELDS: string[] = ["nodes", "host_template", "port_base", "port", "unknown_node"];
/** The placeholder host_template must contain. */
export const NODE_ID_PLACEHOLDER = "{node_id}";
/** DNS names are at most 253 characters; IPv6 literals are shorter. */
const MAX_HOST_CHARS: i32 = 253;
const MAX_PORT: i32 = 65535;

/** What happens when a response names a node id with no mapping (only "close" for now). */
export const enum UnknownNodePolicy {
  /** Close the connection: the response never reaches the client. */
  Close = 0,
}

/** One explicit mapping: node id -> the address the client must use. */
export class NodeAddress {
  constructor(readonly nodeId: i32, readonly host: string, readonly port: i32) {}
}

/**
 * The parsed `broker_addresses` object. `nodes` takes precedence over the template;
 * with a template, the port is `port_base + node id` (`portBase` >= 0) or one fixed
 * `port` (`fixedPort` >= 0, SNI set-ups).
 */
export class BrokerAddressesConfig {
  nodes: NodeAddress[] = [];
  /** Empty: no template. */
  hostTemplate: string = "";
  portBase: i32 = -1;
  fixedPort: i32 = -1;
  unknownNode: UnknownNodePolicy = UnknownNodePolicy.Close;
}

/** parseBrokerAddresses' answer: `config` when valid, else null and `error` naming the field. */
export class BrokerAddressesResult {
  config: BrokerAddressesConfig | null = null;
  error: string = "";
}

/** Parses and validates the "broker_addresses" member (`value`) of the plugin configuration. */
export function parseBrokerAddresses(value: JsonValue): BrokerAddressesResult {
  const result = new BrokerAddressesResult();
  const config = new BrokerAddressesConfig();
  if (value.kind != JsonKind.Object) return fail(result, "broker_addresses: must be an object, got " + jsonKindName(value.kind));
  for (let i = 0; i < value.keys.length; i++) {
    if (!KNOWN_FIELDS.includes(value.keys[i])) {
      return fail(result, "broker_addresses." + value.keys[i] + ": unknown field (known: " + KNOWN_FIELDS.join(", ") + ")");
    }
  }

  const nodes = value.member("nodes");
  if (nodes != null) {
    if (nodes.kind != JsonKind.Object) return fail(result, "broker_addresses.nodes: must be an object of node id to \"host:port\", got " + jsonKindName(nodes.kind));
    for (let i = 0; i < nodes.keys.length; i++) {
      const key = nodes.keys[i];
      const where = "broker_addresses.nodes.\"" + key + "\"";
      const nodeId = parseNodeId(key);
      if (nodeId < 0) return fail(result, where + ": a node id must be a decimal integer from 0 to 2147483647");
      // Keys are canonical decimals and the JSON reader refuses repeated keys: no id is mapped twice.
      const item = nodes.items[i];
      const address = item.kind == JsonKind.String ? parseHostPort(item.stringValue) : null;
      if (address == null) {
        const hostChars = item.kind == JsonKind.String ? item.stringValue.lastIndexOf(":") : -1;
        if (hostChars > MAX_HOST_CHARS) {
          return fail(result, where + ": the host has " + hostChars.toString() + " characters; host names have at most " +
            MAX_HOST_CHARS.toString());
        }
        return fail(result, where + ": must be \"host:port\" with a port from 1 to 65535 (IPv6 as \"[addr]:port\"), got " + describe(item));
      }
      config.nodes.push(new NodeAddress(nodeId, address.host, address.port));
    }
  }

  const template = value.member("host_template");
  const portBase = value.member("port_base");
  const port = value.member("port");
  if (template != null) {
    if (template.kind != JsonKind.String || !template.stringValue.includes(NODE_ID_PLACEHOLDER) ||
      !isHostText(template.stringValue.replaceAll(NODE_ID_PLACEHOLDER, "0"))) {
      return fail(result, "broker_addresses.host_template: must be a host name containing \"" + NODE_ID_PLACEHOLDER +
        "\" (no spaces, ':' or '/'), got " + describe(template));
    }
    // Node ids reach 2^31-1: the template must stay a legal host name for the widest one too.
    const widest = template.stringValue.replaceAll(NODE_ID_PLACEHOLDER, i32.MAX_VALUE.toString());
    if (widest.length > MAX_HOST_CHARS) {
      return fail(result, "broker_addresses.host_template: for node id " + i32.MAX_VALUE.toString() + " the host has " +
        widest.length.toString() + " characters; host names have at most " + MAX_HOST_CHARS.toString());
    }
    config.hostTemplate = template.stringValue;
    if ((portBase == null) == (port == null)) {
      return fail(result, "broker_addresses: host_template needs exactly one of port_base (port = port_base + node id) or port");
    }
  } else if (portBase != null || port != null) {
    return fail(result, "broker_addresses." + (portBase != null ? "port_base" : "port") + ": only meaningful with host_template");
  }
  if (portBase != null) {
    if (!portBase.isInteger || portBase.numberValue < 1 || portBase.numberValue > <f64>MAX_PORT) {
      return fail(result, "broker_addresses.port_base: must be an integer from 1 to 65535, got " + describe(portBase));
    }
    config.portBase = <i32>portBase.numberValue;
  }
  if (port != null) {
    if (!port.isInteger || port.numberValue < 1 || port.numberValue > <f64>MAX_PORT) {
      return fail(result, "broker_addresses.port: must be an integer from 1 to 65535, got " + describe(port));
    }
    config.fixedPort = <i32>port.numberValue;
  }
  if (nodes == null && template == null) {
    return fail(result, "broker_addresses: needs nodes, host_template, or both");
  }
  if (template == null && config.nodes.length == 0) {
    // Every response naming a broker would close its connection: the listener could serve no client.
    return fail(result, "broker_addresses.nodes: maps no node id (and there is no host_template)");
  }

  const unknownNode = value.member("unknown_node");
  if (unknownNode != null && !(unknownNode.kind == JsonKind.String && unknownNode.stringValue == "close")) {
    return fail(result, "broker_addresses.unknown_node: must be \"close\", got " + describe(unknownNode));
  }

  result.config = config;
  return result;
}

class HostPort {
  constructor(readonly host: string, readonly port: i32) {}
}

/** "host:port" or "[v6]:port"; null when malformed. The host is returned as Kafka carries it (no brackets). */
function parseHostPort(text: string): HostPort | null {
  const colon = text.lastIndexOf(":");
  if (colon <= 0) return null;
  let host = text.substring(0, colon);
  const port = parsePort(text.substring(colon + 1));
  if (port < 0) return null;
  if (host.startsWith("[")) {
    if (!host.endsWith("]") || host.length < 3) return null;
    host = host.substring(1, host.length - 1);
    if (!isIpv6Text(host)) return null;
  } else if (!isHostText(host)) {
    return null;
  }
  return new HostPort(host, port);
}

function parsePort(text: string): i32 {
  if (text.length == 0 || text.length > 5) return -1;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    value = value * 10 + (c - 0x30);
  }
  return value >= 1 && value <= MAX_PORT ? value : -1;
}

/** A decimal node id from 0 to 2^31-1 without sign or leading zeros; -1 when not one. */
export function parseNodeId(text: string): i32 {
  if (text.length == 0 || text.length > 10) return -1;
  if (text.length > 1 && text.charCodeAt(0) == 0x30) return -1;
  let value: i64 = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    value = value * 10 + <i64>(c - 0x30);
  }
  return value <= <i64>i32.MAX_VALUE ? <i32>value : -1;
}

/** A DNS name or IPv4 literal as a client resolves it: letters, digits, '.', '-', '_'. */
function isHostText(host: string): bool {
  if (host.length == 0 || host.length > MAX_HOST_CHARS) return false;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
      c == 0x2e || c == 0x2d || c == 0x5f;
    if (!ok) return false;
  }
  return true;
}

function isIpv6Text(host: string): bool {
  let colons = 0;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    const hex = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
    if (c == 0x3a) colons++;
    else if (!hex && c != 0x2e) return false;
  }
  return colons >= 2;
}

function describe(value: JsonValue): string {
  if (value.kind == JsonKind.String) return "\"" + value.stringValue + "\"";
  // As the operator wrote it: 9092, not f64's "9092.0".
  if (value.isInteger && Math.abs(value.numberValue) < 9007199254740992) return (<i64>value.numberValue).toString();
  if (value.kind == JsonKind.Number) return value.numberValue.toString();
  return jsonKindName(value.kind);
}

function fail(result: BrokerAddressesResult, message: string): BrokerAddressesResult {
  result.error = message;
  return result;
}

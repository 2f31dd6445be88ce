import { parseFilterConfig } from "../../../assembly/config/filter-config";
import { BrokerAddressMap } from "../../../assembly/rewrite/addresses";
import { BrokerAddressesConfig } from "../../../assembly/rewrite/config";

function configOf(brokerAddresses: string): BrokerAddressesConfig {
  const result = parseFilterConfig('{"broker_addresses":' + brokerAddresses + "}");
  expect(result.error).toBe("");
  return result.config!.brokerAddresses!;
}

function errorOf(brokerAddresses: string): string {
  return parseFilterConfig('{"broker_addresses":' + brokerAddresses + "}").error;
}

describe("broker_addresses configuration", () => {
  it("is off when absent or null", () => {
    expect(parseFilterConfig("{}").config!.brokerAddresses == null).toBe(true);
    expect(parseFilterConfig('{"broker_addresses":null}').config!.brokerAddresses == null).toBe(true);
  });

  it("reads the agreed example (notes/cluster-config.md)", () => {
    const config = configOf('{"nodes":{"1":"127.0.0.1:19093","2":"127.0.0.1:19094","3":"127.0.0.1:19095"},' +
      '"host_template":"broker-{node_id}.kafka.example.com","port_base":19092,"unknown_node":"close"}');
    expect(config.nodes.length).toBe(3);
    expect(config.nodes[1].nodeId).toBe(2);
    expect(config.nodes[1].host).toBe("127.0.0.1");
    expect(config.nodes[1].port).toBe(19094);
    expect(config.hostTemplate).toBe("broker-{node_id}.kafka.example.com");
    expect(config.portBase).toBe(19092);
    expect(config.fixedPort).toBe(-1);
  });

  it("resolves explicit nodes first, then the template with port_base or port", () => {
    const map = new BrokerAddressMap(configOf('{"nodes":{"7":"envoy-7:9000"},"host_template":"b{node_id}.example","port_base":19092}'));
    expect(map.resolve(7)).toBe(true);
    expect(map.host).toBe("envoy-7");
    expect(map.port).toBe(9000);
    expect(map.resolve(3)).toBe(true);
    expect(map.host).toBe("b3.example");
    expect(map.port).toBe(19095);
    expect(map.resolve(3)).toBe(true);
    expect(map.host).toBe("b3.example");
    expect(map.resolve(-1)).toBe(false);
    // port_base + node id must stay a port.
    expect(map.resolve(46443)).toBe(true);
    expect(map.port).toBe(65535);
    expect(map.resolve(46444)).toBe(false);
    const fixed = new BrokerAddressMap(configOf('{"host_template":"{node_id}.kafka.example","port":9092}'));
    expect(fixed.resolve(2147483647)).toBe(true);
    expect(fixed.host).toBe("2147483647.kafka.example");
    expect(fixed.port).toBe(9092);
    const explicitOnly = new BrokerAddressMap(configOf('{"nodes":{"0":"[::1]:9092"}}'));
    expect(explicitOnly.resolve(0)).toBe(true);
    expect(explicitOnly.host).toBe("::1");
    expect(explicitOnly.resolve(1)).toBe(false);
  });

  it("rejects each bad value naming the field", () => {
    expect(errorOf("[]")).toBe("broker_addresses: must be an object, got an array");
    expect(errorOf("{}")).toBe("broker_addresses: needs nodes, host_template, or both");
    expect(errorOf('{"nodes":{}}')).toBe("broker_addresses.nodes: maps no node id (and there is no host_template)");
    expect(errorOf('{"nodes":{},"host_template":"b{node_id}","port":1}')).toBe("");
    expect(errorOf('{"host_template":"b{node_id}","port":-3}')).toBe("broker_addresses.port: must be an integer from 1 to 65535, got -3");
    expect(errorOf('{"nodes":{},"ports":1}')).toBe(
      "broker_addresses.ports: unknown field (known: nodes, host_template, port_base, port, unknown_node)");
    expect(errorOf('{"nodes":[]}')).toBe('broker_addresses.nodes: must be an object of node id to "host:port", got an array');
    expect(errorOf('{"nodes":{"7":"b7"}}')).toBe(
      'broker_addresses.nodes."7": must be "host:port" with a port from 1 to 65535 (IPv6 as "[addr]:port"), got "b7"');
    expect(errorOf('{"nodes":{"7":"b7:0"}}').startsWith('broker_addresses.nodes."7": must be "host:port"')).toBe(true);
    expect(errorOf('{"nodes":{"7":"b7:65536"}}').startsWith('broker_addresses.nodes."7": must be "host:port"')).toBe(true);
    expect(errorOf('{"nodes":{"7":":9092"}}').startsWith('broker_addresses.nodes."7": must be "host:port"')).toBe(true);
    expect(errorOf('{"nodes":{"7":"b 7:9092"}}').startsWith('broker_addresses.nodes."7": must be "host:port"')).toBe(true);
    expect(errorOf('{"nodes":{"7":"[zz]:9092"}}').startsWith('broker_addresses.nodes."7": must be "host:port"')).toBe(true);
    expect(errorOf('{"nodes":{"7":9092}}')).toBe(
      'broker_addresses.nodes."7": must be "host:port" with a port from 1 to 65535 (IPv6 as "[addr]:port"), got 9092');
    expect(errorOf('{"nodes":{"-1":"a:1"}}')).toBe('broker_addresses.nodes."-1": a node id must be a decimal integer from 0 to 2147483647');
    expect(errorOf('{"nodes":{"07":"a:1"}}')).toBe('broker_addresses.nodes."07": a node id must be a decimal integer from 0 to 2147483647');
    expect(errorOf('{"nodes":{"2147483648":"a:1"}}')).toBe(
      'broker_addresses.nodes."2147483648": a node id must be a decimal integer from 0 to 2147483647');
    expect(errorOf('{"nodes":{"x":"a:1"}}')).toBe('broker_addresses.nodes."x": a node id must be a decimal integer from 0 to 2147483647');
    // The JSON reader already refuses a repeated key; "1" and "01" are refused as not canonical.
    expect(errorOf('{"nodes":{"1":"a:1","1":"b:2"}}').includes('duplicate member "1"')).toBe(true);
    expect(errorOf('{"host_template":"broker.example","port_base":1}')).toBe(
      'broker_addresses.host_template: must be a host name containing "{node_id}" (no spaces, \':\' or \'/\'), got "broker.example"');
    expect(errorOf('{"host_template":"b{node_id}:1","port_base":1}').startsWith("broker_addresses.host_template:")).toBe(true);
    expect(errorOf('{"host_template":7,"port_base":1}').startsWith("broker_addresses.host_template:")).toBe(true);
    expect(errorOf('{"host_template":"b{node_id}"}')).toBe(
      "broker_addresses: host_template needs exactly one of port_base (port = port_base + node id) or port");
    expect(errorOf('{"host_template":"b{node_id}","port_base":1,"port":2}')).toBe(
      "broker_addresses: host_template needs exactly one of port_base (port = port_base + node id) or port");
    expect(errorOf('{"nodes":{},"port_base":1}')).toBe("broker_addresses.port_base: only meaningful with host_template");
    expect(errorOf('{"nodes":{},"port":1}')).toBe("broker_addresses.port: only meaningful with host_template");
    expect(errorOf('{"host_template":"b{node_id}","port_base":0}')).toBe("broker_addresses.port_base: must be an integer from 1 to 65535, got 0");
    expect(errorOf('{"host_template":"b{node_id}","port_base":1.5}')).toBe("broker_addresses.port_base: must be an integer from 1 to 65535, got 1.5");
    expect(errorOf('{"host_template":"b{node_id}","port":70000}')).toBe("broker_addresses.port: must be an integer from 1 to 65535, got 70000");
    expect(errorOf('{"nodes":{"1":"a:1"},"unknown_node":"pass"}')).toBe('broker_addresses.unknown_node: must be "close", got "pass"');
  });

  it("keeps every host within 253 characters, the template's for the widest node id too", () => {
    const longHost = "h".repeat(254);
    expect(errorOf('{"nodes":{"1":"' + longHost + ':9092"}}')).toBe(
      'broker_addresses.nodes."1": the host has 254 characters; host names have at most 253');
    // 244 characters + "{node_id}": fine for node id 0 (245), too long for 2147483647 (254).
    const template = "t".repeat(244) + "{node_id}";
    expect(errorOf('{"host_template":"' + template + '","port":9092}')).toBe(
      "broker_addresses.host_template: for node id 2147483647 the host has 254 characters; host names have at most 253");
    expect(errorOf('{"host_template":"' + "t".repeat(243) + '{node_id}","port":9092}')).toBe("");
  });
});

// The plugin configuration as a user writes it from the README's "Configuration" and
// "Topic ACLs" reference, loaded into the release module under the in-process
// proxy-wasm host: a bad configuration makes proxy_on_configure answer false and the
// error log line names the field by its full path; the documented edge values load.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyWasmHost } from "./host.mjs";
import { compiledFilter } from "../../scripts/lib/build.mjs";

const PREFIX = "kafka filter: invalid plugin configuration: ";

/** Configures a fresh VM with `config` (object, JSON text or raw bytes): { ok, error }. */
function configure(config) {
  const host = new ProxyWasmHost(compiledFilter(), { config });
  let ok = true;
  try {
    host.start();
  } catch (e) {
    if (!/proxy_on_configure returned 0/.test(e.message)) throw e;
    ok = false;
  }
  assert.deepEqual(host.violations, [], "no host contract broken");
  const lines = host.logs.map((l) => l.message).filter((m) => m.startsWith(PREFIX));
  return { ok, error: lines.length > 0 ? lines[0].slice(PREFIX.length) : "" };
}

function refused(config, mention) {
  const { ok, error } = configure(config);
  const shown = config instanceof Uint8Array ? `${config.length} bytes` : (typeof config === "string" ? config : JSON.stringify(config)).slice(0, 200);
  assert.equal(ok, false, `loaded: ${shown}`);
  assert.ok(error.includes(mention), `${shown}\n  error: ${error}\n  should mention: ${mention}`);
}

function loads(config) {
  const { ok, error } = configure(config);
  assert.equal(ok, true, `refused ${JSON.stringify(config).slice(0, 200)}: ${error}`);
}

const RULE = { name: "r", effect: "allow", principal: "User:alice", resource_type: "topic", resource_name: "t", operations: ["read"] };
const rule = (patch) => ({ acl: { rules: [{ ...RULE, ...patch }] } });

test("every integer field of the README's table: its range's ends load; one past them, a wrong type, a fraction and a huge number are refused naming it", () => {
  const ranges = {
    max_frame_bytes: [64, 2147483647], max_in_flight_requests: [1, 65536], max_client_software_labels: [0, 10000],
    max_inspected_response_bytes: [0, 16777216], max_topic_labels: [0, 10000], max_held_frame_bytes: [1024, 1073741824],
    max_client_id_labels: [0, 10000],
  };
  for (const [field, [low, high]] of Object.entries(ranges)) {
    loads({ [field]: low });
    loads({ [field]: high });
    for (const bad of [low - 1, high + 1, "100", 100.5, true, null, [], {}]) refused({ [field]: bad }, `field "${field}": must be an integer from ${low} to ${high}`);
    refused(`{"${field}": 9007199254740993}`, `field "${field}"`);
    refused(`{"${field}": 1e400}`, `field "${field}"`);
  }
  const lag = { max_consumer_labels: [0, 10000], expiry_ms: [1000, 86400000], max_partitions_per_connection: [1, 100000] };
  for (const [field, [low, high]] of Object.entries(lag)) {
    loads({ consumer_lag: { [field]: low } });
    loads({ consumer_lag: { [field]: high } });
    for (const bad of [low - 1, high + 1, "1000", 1000.5]) refused({ consumer_lag: { [field]: bad } }, `field "consumer_lag.${field}"`);
  }
  for (const [field, [low, high]] of Object.entries({ port_base: [1, 65535], port: [1, 65535] })) {
    loads({ broker_addresses: { host_template: "b-{node_id}", [field]: low } });
    loads({ broker_addresses: { host_template: "b-{node_id}", [field]: high } });
    for (const bad of [low - 1, high + 1, "9092", 9092.5]) refused({ broker_addresses: { host_template: "b-{node_id}", [field]: bad } }, `broker_addresses.${field}:`);
  }
});

test("malformed numbers are refused, not read by their prefix", () => {
  // "100-5" loaded as 100, "1e+" as 1: a typo became a different limit.
  for (const bad of ["100-5", "1e+", "0100", "128.", "1--2"]) refused(`{"max_in_flight_requests": ${bad}}`, "(at max_in_flight_requests)");
  loads('{"max_in_flight_requests": 1e3}');
});

test("booleans, strings and lists: a wrong type, an empty value and a bad item are refused naming the field; edge values load", () => {
  for (const field of ["compression_stats", "batch_size_histograms", "record_age", "throttle_stats"]) {
    loads({ [field]: false });
    for (const bad of ["true", 1, null]) refused({ [field]: bad }, `field "${field}": must be true or false`);
  }
  loads({ stat_prefix: "A_1" });
  loads({ stat_prefix: "x".repeat(64) });
  for (const bad of ["", "x".repeat(65), "a-b", "é", 5]) refused({ stat_prefix: bad }, 'field "stat_prefix"');
  loads({ topic_labels: [] });
  loads({ topic_labels: ["x".repeat(249), "a", "a"], max_topic_labels: 2 });
  for (const bad of ["", ".", "..", "x".repeat(250), "a/b", 7]) refused({ topic_labels: ["ok", bad] }, 'field "topic_labels[1]"');
  refused({ topic_labels: "t" }, 'field "topic_labels": must be an array');
  refused({ topic_labels: ["a", "a", "b", "c"], max_topic_labels: 2 }, 'field "topic_labels[3]": one topic more than max_topic_labels (2)');
  loads({ client_id_labels: ["x".repeat(255)] });
  for (const bad of ["", "x".repeat(256), "é".repeat(128), 1]) refused({ client_id_labels: [bad] }, 'field "client_id_labels[0]"');
  refused({ client_id_labels: ["a"], max_client_id_labels: 0 }, 'field "client_id_labels[0]"');
  loads({ consumer_lag: {} });
  loads({ consumer_lag: null, max_topic_labels: 0 });
  refused({ consumer_lag: {}, max_topic_labels: 0 }, 'field "consumer_lag"');
  refused({ consumer_lag: [] }, 'field "consumer_lag"');
});

test("a misspelt field is refused naming it, at every level", () => {
  refused({ max_frame_byte: 64 }, 'field "max_frame_byte": unknown field');
  refused({ consumer_lag: { expiry: 1000 } }, 'field "consumer_lag.expiry": unknown field');
  refused({ acl: { mdoe: "enforce" } }, "acl.mdoe: unknown field");
  refused({ acl: { source_address_principals: [{ cidr: "10.0.0.0/8", principal: "User:b", princpal: 1 }] } },
    "acl.source_address_principals[0].princpal: unknown field");
  refused(rule({ effcet: "allow" }), 'acl.rules[0] ("r").effcet: unknown field');
  const { name, ...nameless } = RULE;
  refused({ acl: { rules: [{ ...nameless, nmae: "r" }] } }, "acl.rules[0].nmae: unknown field");
  refused({ broker_addresses: { ndoes: { 1: "h:1" } } }, "broker_addresses.ndoes: unknown field");
});

test("the acl object and its rules: wrong types, empty values and bad items are refused naming their place; edge values load", () => {
  loads({ acl: {} });
  loads({ acl: null });
  loads({ acl: { mode: "dry_run", default: "allow", principal_sources: [] } });
  refused({ acl: [] }, "acl: must be an object");
  refused({ acl: { mode: "dry-run" } }, "acl.mode:");
  refused({ acl: { default: "Deny" } }, "acl.default:");
  refused({ acl: { principal_sources: ["sasl", "sasl"] } }, "acl.principal_sources[1]:");
  refused({ acl: { principal_sources: "sasl" } }, "acl.principal_sources: must be an array");
  loads({ acl: { source_address_principals: [{ cidr: "::/0", principal: "User:b" }, { cidr: "10.0.0.1", principal: "User:c" }] } });
  refused({ acl: { source_address_principals: [{ cidr: "10.0.0.1/8", principal: "User:b" }] } }, "acl.source_address_principals[0].cidr:");
  refused({ acl: { source_address_principals: [{ cidr: "10.0.0.0/8", principal: "User:*" }] } }, "acl.source_address_principals[0].principal:");
  loads({ acl: { tls_principal_mapping_rules: Array(1000).fill("DEFAULT") } });
  refused({ acl: { tls_principal_mapping_rules: Array(1001).fill("DEFAULT") } }, "acl.tls_principal_mapping_rules:");
  refused({ acl: { tls_principal_mapping_rules: [] } }, "acl.tls_principal_mapping_rules:");
  refused({ acl: { principal_sources: ["sasl"], tls_principal_mapping_rules: "DEFAULT" } }, "acl.tls_principal_mapping_rules:");
  loads(rule({ name: "x".repeat(256) }));
  loads(rule({ name: "\u{1F600}".repeat(256) }));
  refused(rule({ name: "x".repeat(257) }), "acl.rules[0].name:");
  refused(rule({ name: "default" }), "acl.rules[0].name:");
  refused({ acl: { rules: [RULE, RULE] } }, 'acl.rules[1] ("r").name: duplicate rule name');
  refused(rule({ effect: "ALLOW" }), 'acl.rules[0] ("r").effect:');
  refused(rule({ principal: "User:" }), 'acl.rules[0] ("r").principal:');
  refused(rule({ resource_type: "Topic" }), 'acl.rules[0] ("r").resource_type:');
  refused(rule({ pattern_type: "prefixed", resource_name: "*" }), 'acl.rules[0] ("r").resource_name:');
  refused(rule({ resource_type: "cluster", resource_name: "x" }), 'acl.rules[0] ("r").resource_name:');
  loads(rule({ resource_type: "cluster", resource_name: "kafka-cluster", operations: ["all"] }));
  refused(rule({ operations: [] }), 'acl.rules[0] ("r").operations:');
  refused(rule({ operations: ["read", "wrte"] }), 'acl.rules[0] ("r").operations[1]:');
  refused(rule({ hosts: [] }), 'acl.rules[0] ("r").hosts:');
  refused(rule({ hosts: ["10.0.0.0/8", "x"] }), 'acl.rules[0] ("r").hosts[1]:');
  const many = (n) => ({ acl: { rules: Array.from({ length: n }, (_, i) => ({ ...RULE, name: `r${i}` })) } });
  loads(many(10000));
  refused(many(10001), "acl.rules: at most 10000 rules");
});

test("broker_addresses: node ids, host:port values and the template are checked, naming the place", () => {
  loads({ broker_addresses: { nodes: { 0: "h:1", 2147483647: "[::1]:65535" }, unknown_node: "close" } });
  refused({ broker_addresses: {} }, "broker_addresses: needs nodes, host_template, or both");
  refused({ broker_addresses: { nodes: {} } }, "broker_addresses.nodes: maps no node id");
  refused({ broker_addresses: { nodes: { "01": "h:1" } } }, 'broker_addresses.nodes."01":');
  refused({ broker_addresses: { nodes: { 2147483648: "h:1" } } }, 'broker_addresses.nodes."2147483648":');
  refused({ broker_addresses: { nodes: { 1: "h:0" } } }, 'broker_addresses.nodes."1":');
  refused({ broker_addresses: { host_template: "b.x", port: 1 } }, "broker_addresses.host_template:");
  refused({ broker_addresses: { host_template: "b-{node_id}" } }, "broker_addresses: host_template needs exactly one of");
  refused({ broker_addresses: { nodes: { 1: "h:1" }, port: 1 } }, "broker_addresses.port: only meaningful with host_template");
  refused({ broker_addresses: { nodes: { 1: "h:1" }, unknown_node: "ignore" } }, "broker_addresses.unknown_node:");
});

test("JSON-level faults: repeated members name their path; invalid JSON and non-UTF-8 bytes are refused", () => {
  refused('{"stat_prefix":"a","stat_prefix":"b"}', 'duplicate member "stat_prefix"');
  refused('{"consumer_lag":{"expiry_ms":1000,"expiry_ms":2000}}', "(at consumer_lag.expiry_ms)");
  refused('{"acl":{"rules":[{"name":"r","name":"s"}]}}', "(at acl.rules[0].name)");
  refused('{"broker_addresses":{"nodes":{"1":"a:1","1":"b:1"}}}', '(at broker_addresses.nodes."1")');
  refused("{", "configuration is not valid JSON");
  refused("[]", "configuration must be a JSON object");
  refused('{"acl":' + "[".repeat(100000) + "]".repeat(100000) + "}", "nesting deeper than 64");
  loads("");
  const utf8 = (text) => new TextEncoder().encode(text);
  const withByte = (before, bytes, after) => Uint8Array.from([...utf8(before), ...bytes, ...utf8(after)]);
  // A stray byte in a principal loaded as U+FFFD (a principal nobody has); one before a
  // quote swallowed it; one after the document was dropped.
  const principal = '{"acl":{"rules":[{"name":"r","effect":"allow","principal":"User:al';
  const rest = 'ice","resource_type":"topic","resource_name":"t","operations":["read"]}]}}';
  refused(withByte(principal, [0xc3, 0x28], rest), `configuration is not valid UTF-8 at byte ${principal.length}`);
  refused(withByte('{"stat_prefix":"a', [0xff], '"}'), "configuration is not valid UTF-8 at byte 17");
  refused(withByte('{"stat_prefix":"a"}', [0xff], ""), "configuration is not valid UTF-8 at byte 19");
  loads(withByte(principal, [0xc3, 0xa9], rest));
  refused('{"client_id_labels":["\\ud800"]}', "lone surrogate in \\u escape at offset 28 (at client_id_labels[0])");
  loads('{"client_id_labels":["\\ud83d\\ude00"]}');
});

test("1 MB configurations load or are refused in one pass: 50,000 node ids, 90,000 topic labels", () => {
  // Repeated-member and repeated-label checks scanned all earlier entries: these took minutes.
  const nodes = Object.fromEntries(Array.from({ length: 50000 }, (_, i) => [String(i), `b${i}.example.com:9092`]));
  const text = JSON.stringify({ broker_addresses: { nodes } });
  assert.ok(text.length > 1 << 20);
  loads(text);
  refused(JSON.stringify({ max_topic_labels: 10000, topic_labels: Array.from({ length: 90000 }, (_, i) => `t${i}`) }),
    'field "topic_labels[10000]": one topic more than max_topic_labels (10000)');
  refused(JSON.stringify({ max_client_id_labels: 10000, client_id_labels: Array.from({ length: 90000 }, (_, i) => `c${i}`) }),
    'field "client_id_labels[10000]"');
  refused('{"stat_prefix":"' + "a".repeat(1 << 20) + '"}', 'field "stat_prefix"');
});

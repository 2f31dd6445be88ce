#!/usr/bin/env node
// Writes the Envoy configuration that fronts an existing Kafka cluster: one listener per
// broker, each with the Kafka Wasm filter and tcp_proxy to that broker (README "Cluster mode").
//
//   node scripts/cluster-config.mjs --bootstrap HOST:PORT[,HOST:PORT…] [options]
//   node scripts/cluster-config.mjs --nodes 1=HOST:PORT,2=HOST:PORT… [options]   (no discovery)
//
//   --port 19092              first listener port: the lowest node id gets it, the next port + 1, …
//   --admin-port 9901         Envoy admin port
//   --config plugin.json      plugin configuration for every listener (default: envoy/envoy.yaml's)
//   --out envoy-cluster.yaml  where to write the YAML (default: standard output)
//   --listen-address 0.0.0.0  where the listeners bind
//   --advertised-host HOST    the host clients reach the listeners at (default: the listen
//                             address, or this machine's host name when that is a wildcard)
//   --admin-address 127.0.0.1 where the admin interface binds (it can stop Envoy: keep it private)
//   --wasm build/kafka_filter.wasm   the filter module, as Envoy will find it
//   --skip-validate           do not run `envoy --mode validate` on the result
//
// Client TLS, terminated by Envoy (README "TLS"); the filter sees plaintext Kafka:
//   --tls-cert server.crt --tls-key server.key   PEM certificate chain and key for every chain
//   --tls-ca ca.crt           verify client certificates against this CA
//   --require-client-cert     refuse clients without a certificate (mutual TLS; needs --tls-ca)
// TLS from Envoy to brokers whose client listener is SSL (discovery uses TLS too):
//   --upstream-tls --upstream-ca brokers-ca.crt   verify the brokers' certificates (SAN = advertised host)
// SNI mode, one port for the whole cluster (needs --tls-cert/--tls-key; --port is unused):
//   --sni-host-template 'broker-{node_id}.kafka.example.com'   each broker's server name
//   --sni-port 9092           the one listener port (also the port every broker is advertised on)
//   --bootstrap-host bootstrap.kafka.example.com   a server name routed to any broker
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { discoverBrokers, generateClusterConfig, parseNodes } from "./lib/cluster-config.mjs";

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      bootstrap: { type: "string" },
      nodes: { type: "string" },
      port: { type: "string", default: "19092" },
      "admin-port": { type: "string", default: "9901" },
      config: { type: "string" },
      out: { type: "string" },
      "listen-address": { type: "string", default: "0.0.0.0" },
      "advertised-host": { type: "string" },
      "admin-address": { type: "string", default: "127.0.0.1" },
      wasm: { type: "string", default: "build/kafka_filter.wasm" },
      "skip-validate": { type: "boolean", default: false },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "tls-ca": { type: "string" },
      "require-client-cert": { type: "boolean", default: false },
      "sni-host-template": { type: "string" },
      "sni-port": { type: "string" },
      "bootstrap-host": { type: "string" },
      "upstream-tls": { type: "boolean", default: false },
      "upstream-ca": { type: "string" },
    },
  }));
} catch (error) {
  // parseArgs throws a TypeError whose stack would hide the one line that matters.
  console.error(`cluster-config: ${error.message.replace(/\n/g, " ")} (usage: see the header of scripts/cluster-config.mjs, or README "Cluster mode")`);
  process.exit(1);
}

function portOption(name) {
  const port = Number(options[name]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--${name} must be a port number, got "${options[name]}"`);
  return port;
}

try {
  if (!options.bootstrap === !options.nodes) throw new Error("give exactly one of --bootstrap HOST:PORT[,…] (discover) or --nodes ID=HOST:PORT[,…]");
  const firstPort = portOption("port");
  const adminPort = portOption("admin-port");
  if (options["upstream-ca"] && !options["upstream-tls"]) throw new Error("--upstream-ca is only meaningful with --upstream-tls");
  const upstreamTls = options["upstream-tls"] ? { caFile: options["upstream-ca"] } : undefined;
  if (upstreamTls && !upstreamTls.caFile) throw new Error("--upstream-tls needs --upstream-ca (the CA that issued the brokers' certificates)");
  const brokers = options.nodes ? parseNodes(options.nodes)
    : (await discoverBrokers(options.bootstrap, { ssl: upstreamTls ? { ca: [fs.readFileSync(upstreamTls.caFile, "utf8")] } : undefined })).brokers;
  const listenAddress = options["listen-address"];
  const wildcard = listenAddress === "0.0.0.0" || listenAddress === "::";
  let pluginConfig;
  if (options.config) {
    try { pluginConfig = JSON.parse(fs.readFileSync(options.config, "utf8")); } catch (error) {
      throw new Error(`--config ${options.config}: ${error.message}`);
    }
  }
  const command = ["node scripts/cluster-config.mjs", ...process.argv.slice(2)].join(" ");
  const tlsGiven = ["tls-cert", "tls-key", "tls-ca"].some((name) => options[name] !== undefined) || options["require-client-cert"];
  const downstreamTls = tlsGiven ? {
    certFile: options["tls-cert"], keyFile: options["tls-key"], caFile: options["tls-ca"], requireClientCert: options["require-client-cert"],
  } : undefined;
  const sniGiven = ["sni-host-template", "sni-port", "bootstrap-host"].filter((name) => options[name] !== undefined);
  if (sniGiven.length > 0 && sniGiven.length < 3) throw new Error("SNI mode needs all of --sni-host-template, --sni-port and --bootstrap-host");
  const sni = sniGiven.length === 3
    ? { hostTemplate: options["sni-host-template"], port: portOption("sni-port"), bootstrapHost: options["bootstrap-host"] }
    : undefined;
  const { yaml, listeners } = generateClusterConfig({
    brokers,
    firstPort,
    adminPort,
    listenAddress,
    advertisedHost: options["advertised-host"] ?? (wildcard ? os.hostname() : listenAddress),
    adminAddress: options["admin-address"],
    wasmFile: options.wasm,
    pluginConfig,
    downstreamTls,
    sni,
    upstreamTls,
    command,
    validate: !options["skip-validate"],
  });
  if (options.out) {
    fs.mkdirSync(path.dirname(path.resolve(options.out)), { recursive: true });
    fs.writeFileSync(options.out, yaml);
    for (const l of listeners) {
      const match = l.serverNames ? ` server name ${l.serverNames.join(",")}` : "";
      const who = l.nodeId === null ? "bootstrap" : `node ${l.nodeId}`;
      console.error(`${who}: ${l.address}:${l.port}${match}${l.tls ? " (TLS)" : ""} (clients use ${l.advertised ?? "it to bootstrap"}, stat_prefix ${l.statPrefix}) -> ${l.upstream}`);
    }
    console.error(`wrote ${options.out}${options["skip-validate"] ? "" : " (envoy --mode validate: OK)"}`);
  } else {
    process.stdout.write(yaml);
  }
} catch (error) {
  console.error(`cluster-config: ${error.message}`);
  process.exit(1);
}

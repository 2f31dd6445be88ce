// The test harness hands out ports that Envoy and Kafka bind seconds later. A port the
// kernel picked with listen(0) comes from the ephemeral range, and an outgoing connection
// made in those seconds could take it (CI once failed with Envoy's admin port "already in
// use"). These checks pin down the rule that closes that race.
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import test from "node:test";
import { freePort, freePortRun } from "../../scripts/lib/processes.mjs";

const [ephemeralLow, ephemeralHigh] = fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
  .trim().split(/\s+/).map(Number);

test("freePort hands out distinct ports outside the kernel's ephemeral range", async () => {
  const ports = [];
  for (let i = 0; i < 50; i++) ports.push(await freePort());
  assert.equal(new Set(ports).size, ports.length, `a port was handed out twice: ${ports}`);
  for (const port of ports) {
    assert.ok(port < ephemeralLow || port > ephemeralHigh,
      `port ${port} is inside the ephemeral range ${ephemeralLow}-${ephemeralHigh}`);
  }
});

test("freePort and freePortRun skip a port something listens on, on any loopback address", async () => {
  // Find the next port the allocator would hand out, occupy it on 127.0.0.3 (as a cluster
  // broker would), and check that the allocator steps over it.
  const probe = await freePort();
  const occupied = probe + 1;
  const server = net.createServer();
  await new Promise((resolve, reject) => { server.once("error", reject); server.listen(occupied, "127.0.0.3", resolve); });
  try {
    const next = await freePort();
    assert.notEqual(next, occupied);
    const first = await freePortRun(4);
    assert.ok(occupied < first || occupied > first + 3, `run ${first}..${first + 3} includes the occupied port ${occupied}`);
    for (let port = first; port < first + 4; port++) {
      await new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once("error", reject);
        s.listen(port, "0.0.0.0", () => s.close(resolve));
      });
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

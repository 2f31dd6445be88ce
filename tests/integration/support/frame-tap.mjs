// A transparent TCP relay between Envoy and the broker that counts the Kafka frames
// crossing it, by api key. It gives the tests an independent count of what the
// clients really sent, to hold the filter's stats against. It forwards bytes
// untouched; the broker behind it is the real one.
import net from "node:net";

class FrameCounter {
  constructor(onFrame) {
    this.pending = Buffer.alloc(0);
    this.onFrame = onFrame;
  }
  push(chunk) {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 4) {
      const size = this.pending.readInt32BE(0);
      if (this.pending.length < 4 + size) break;
      this.onFrame(this.pending.subarray(4, 4 + size));
      this.pending = this.pending.subarray(4 + size);
    }
  }
}

/**
 * `capture`: also keep every frame, as { direction, apiKey, apiVersion, frame } with
 * the size field stripped; responses carry their request's key and version.
 * `onConnection()`, when given, is called for each client connection and may return
 * { responseBytes(chunk), responseFrame({ apiKey, apiVersion, frame }) }: every byte and
 * every matched response frame sent back to that client, as it passes.
 * `upstreamLocalPorts` holds the local port of every connection the tap opened upstream.
 */
export async function startFrameTap({ port, upstreamPort, upstreamHost = "127.0.0.1", capture = false, onConnection }) {
  const captured = [];
  // Per "apiKey.apiVersion": frames and bytes (size field included) in each direction.
  const requests = new Map();
  const responses = new Map();
  let connections = 0;
  const upstreamLocalPorts = new Set();
  const add = (map, key, bytes) => {
    const entry = map.get(key) ?? { frames: 0, bytes: 0 };
    entry.frames += 1;
    entry.bytes += bytes;
    map.set(key, entry);
  };
  const sockets = new Set();
  const server = net.createServer((client) => {
    connections += 1;
    const broker = net.connect(upstreamPort, upstreamHost);
    broker.once("connect", () => upstreamLocalPorts.add(broker.localPort));
    const observer = onConnection?.() ?? null;
    sockets.add(client).add(broker);
    const apiKeyByCorrelation = new Map();
    const requestFrames = new FrameCounter((frame) => {
      const api = `${frame.readInt16BE(0)}.${frame.readInt16BE(2)}`;
      add(requests, api, frame.length + 4);
      apiKeyByCorrelation.set(frame.readInt32BE(4), api);
      if (capture) captured.push({ direction: "request", apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), frame: Buffer.from(frame) });
    });
    const responseFrames = new FrameCounter((frame) => {
      const correlationId = frame.readInt32BE(0);
      const api = apiKeyByCorrelation.get(correlationId) ?? "unmatched";
      apiKeyByCorrelation.delete(correlationId);
      add(responses, api, frame.length + 4);
      if (observer?.responseFrame && api !== "unmatched") {
        const [apiKey, apiVersion] = api.split(".").map(Number);
        observer.responseFrame({ apiKey, apiVersion, frame });
      }
      if (capture && api !== "unmatched") {
        const [apiKey, apiVersion] = api.split(".").map(Number);
        captured.push({ direction: "response", apiKey, apiVersion, frame: Buffer.from(frame) });
      }
    });
    client.on("data", (chunk) => { requestFrames.push(chunk); broker.write(chunk); });
    broker.on("data", (chunk) => { client.write(chunk); observer?.responseBytes?.(chunk); responseFrames.push(chunk); });
    client.on("end", () => broker.end());
    broker.on("end", () => client.end());
    client.on("error", () => broker.destroy());
    broker.on("error", () => client.destroy());
    client.on("close", () => { sockets.delete(client); broker.destroy(); });
    broker.on("close", () => { sockets.delete(broker); client.destroy(); });
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port,
    requests,
    responses,
    /** Returns and forgets the frames captured so far. */
    drain: () => captured.splice(0, captured.length),
    upstreamLocalPorts,
    get connections() { return connections; },
    stop: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

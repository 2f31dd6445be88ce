// A layer-4 round-robin balancer: the shared address in front of several Envoy replicas
// (what a Kubernetes Service or a cloud TCP load balancer is to a set of proxy pods).
// Each new client connection goes to the next upstream in turn and is relayed byte for
// byte; nothing is parsed.
import net from "node:net";

/**
 * Listens on 127.0.0.1:`port` and relays each accepted connection to the next of
 * `upstreams` ([{ name, port, host? }]) in turn. Returns { port, connections: [{ upstream,
 * at }], resetTo(index), stop() }: `connections` records which upstream each connection went to and when
 * (ms since the epoch), in accept order.
 */
export async function startBalancer({ port, upstreams }) {
  if (!Array.isArray(upstreams) || upstreams.length === 0) throw new Error("a balancer needs at least one upstream");
  const connections = [];
  const sockets = new Set();
  let next = 0;
  const server = net.createServer((client) => {
    const upstream = upstreams[next];
    next = (next + 1) % upstreams.length;
    connections.push({ upstream: upstream.name, at: Date.now() });
    const server = net.connect(upstream.port, upstream.host ?? "127.0.0.1");
    for (const socket of [client, server]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => { client.destroy(); server.destroy(); });
    }
    client.setNoDelay(true);
    server.setNoDelay(true);
    client.pipe(server);
    server.pipe(client);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    port,
    connections,
    /** The next connection goes to upstreams[`index`] (then on in turn). */
    resetTo: (index) => { next = index % upstreams.length; },
    stop: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

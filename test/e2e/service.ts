// The chart's webhook Service, as far as the apiserver sees it: one address (kube-mini's
// --service-addr maps cvm-system/cvm-admission there) forwarding each TCP connection to a ready
// replica. With no kube-proxy and no endpoints controller here, the test names the ready
// replicas itself; with none, connections are refused, as with a Service without endpoints.

import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export class ServiceEndpoints {
  private backends: number[] = [];
  private next = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<ServiceEndpoints> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const service = new ServiceEndpoints(server, (server.address() as AddressInfo).port);
    server.on("connection", (socket) => service.forward(socket));
    return service;
  }

  /** The loopback ports of the ready replicas; connections take turns among them. */
  route(ports: number[]): void {
    this.backends = [...ports];
  }

  private forward(client: Socket): void {
    const port = this.backends[this.next++ % Math.max(1, this.backends.length)];
    if (port === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect(port, "127.0.0.1");
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect as tcpConnect, type NatsConnection } from "nats";
import { WebSocket } from "undici";
import { startNatsServer, type NatsServerHandle } from "./helpers/nats-server.js";

// Node 20 has no global WebSocket (it arrived in Node 22); nats.ws needs one, and undici
// (already a dependency) provides a standard implementation.
if (typeof (globalThis as { WebSocket?: unknown }).WebSocket === "undefined") {
  (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
}

async function roundTrip(nc: NatsConnection, subject: string, text: string): Promise<string> {
  const sub = nc.subscribe(subject, { max: 1 });
  await nc.flush(); // the subscription must reach the server before the publish
  nc.publish(subject, new TextEncoder().encode(text));
  for await (const m of sub) return new TextDecoder().decode(m.data);
  throw new Error("subscription ended without a message");
}

describe("nats-server test helper", () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("listens on loopback TCP and WebSocket ports", () => {
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    expect(server.wsUrl).toBe(`ws://127.0.0.1:${server.wsPort}`);
    expect(server.port).not.toBe(server.wsPort);
  });

  it("carries a message over TCP", async () => {
    const nc = await tcpConnect({ servers: server.url });
    try {
      expect(await roundTrip(nc, "natsbridge.test.tcp", "hello tcp")).toBe("hello tcp");
      expect(nc.info?.jetstream).toBe(true);
    } finally {
      await nc.close();
    }
  });

  it("carries a message over WebSocket (nats.ws), also to a TCP subscriber", async () => {
    const { connect: wsConnect } = await import("nats.ws");
    const ws = (await wsConnect({ servers: server.wsUrl })) as unknown as NatsConnection;
    const tcp = await tcpConnect({ servers: server.url });
    try {
      expect(await roundTrip(ws, "natsbridge.test.ws", "hello ws")).toBe("hello ws");
      const sub = tcp.subscribe("natsbridge.test.cross", { max: 1 });
      await tcp.flush();
      ws.publish("natsbridge.test.cross", new TextEncoder().encode("ws→tcp"));
      await ws.flush();
      for await (const m of sub) expect(new TextDecoder().decode(m.data)).toBe("ws→tcp");
    } finally {
      await ws.close();
      await tcp.close();
    }
  });
});

describe("nats-server options and lifecycle", () => {
  it("reflects maxPayload in the server INFO", async () => {
    const server = await startNatsServer({ maxPayload: 2 * 1024 * 1024 });
    try {
      const nc = await tcpConnect({ servers: server.url });
      expect(nc.info?.max_payload).toBe(2 * 1024 * 1024);
      await nc.close();
    } finally {
      await server.stop();
    }
  });

  it("defaults to the server's 1 MiB max_payload", async () => {
    const server = await startNatsServer();
    try {
      const nc = await tcpConnect({ servers: server.url });
      expect(nc.info?.max_payload).toBe(1024 * 1024);
      await nc.close();
    } finally {
      await server.stop();
    }
  });

  it("runs several servers side by side and stops them", async () => {
    const servers = await Promise.all([startNatsServer(), startNatsServer(), startNatsServer()]);
    expect(new Set(servers.flatMap((s) => [s.port, s.wsPort])).size).toBe(6);
    await Promise.all(servers.map((s) => s.stop()));
    await expect(tcpConnect({ servers: servers[0].url, reconnect: false, timeout: 1000 })).rejects.toThrow();
    await servers[0].stop(); // idempotent
  });
});

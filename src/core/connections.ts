import { NatsBridgeError } from "./errors.js";
import type { NatsConnectionLike } from "./runtime.js";

/**
 * One connection per broker_url. The seeds connect and drain on every send, which costs a TCP
 * (or WebSocket) handshake and the server INFO round trip per message.
 */
export class ConnectionCache {
  private readonly conns = new Map<string, Promise<NatsConnectionLike>>();

  constructor(private readonly open: (url: string) => Promise<NatsConnectionLike>) {}

  get(url: string): Promise<NatsConnectionLike> {
    const cached = this.conns.get(url);
    if (cached) {
      return cached.then((c) => (c.isClosed?.() ? this.reopen(url) : c));
    }
    return this.reopen(url);
  }

  private reopen(url: string): Promise<NatsConnectionLike> {
    const p = this.open(url).catch((e) => {
      this.conns.delete(url);
      if (e instanceof NatsBridgeError) throw e;
      throw new NatsBridgeError("NATS_CONNECTION_FAILED", `cannot connect to NATS at ${url}: ${(e as Error)?.message ?? e}`, {
        cause: e,
        details: { broker_url: url },
      });
    });
    this.conns.set(url, p);
    return p;
  }

  /** Drain (deliver what is pending, then close) every cached connection. */
  async closeAll(): Promise<void> {
    const all = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(
      all.map(async (p) => {
        const c = await p.catch(() => null);
        if (!c || c.isClosed?.()) return;
        await (c.drain ? c.drain() : c.close?.())?.catch(() => undefined);
      }),
    );
  }
}

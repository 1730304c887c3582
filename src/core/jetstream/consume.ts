/**
 * Consume a durable JetStream consumer with smartreceive (issue 10): the handler gets each
 * received envelope; success acks, a failure that may pass naks with a growing delay, a message
 * that can never be read is termed — so nothing acknowledged is lost and nothing poisons the
 * stream. Delivery is at least once: a handler may see a message again (dedupe on msg_id).
 */
import { NatsBridgeError, type ErrorCode } from "../errors.js";
import type { IncomingMessage } from "../smartreceive.js";
import type { ReceivedEnvelope, SmartreceiveOptions } from "../types.js";
import { hasJetStream, type JsMsgLike, type ConsumerMessagesLike } from "./api.js";
import { isTransient } from "./retry.js";
import type { NatsConnectionLike } from "../runtime.js";

export interface ConsumeOptions {
  /** The stream holding the envelopes. */
  stream: string;
  /** The durable consumer's name; it keeps its place across restarts. */
  durable: string;
  /** Only this subject (filter_subject), when the consumer is created here. */
  subject?: string;
  /** Create the durable consumer when it does not exist (default true). */
  create?: boolean;
  /** Deliveries before the server gives up on a message that keeps failing (default 10); -1 for no limit. */
  max_deliver?: number;
  /** How long the server waits for an ack before it redelivers, ms (default 30000), when created here. */
  ack_wait_ms?: number;
  /** First nak delay in ms (default 1000), doubled per delivery up to max_nak_delay_ms (default 30000). */
  nak_delay_ms?: number;
  max_nak_delay_ms?: number;
  /** Told about every message that was not acked, with what was done; the library itself stays quiet. */
  on_error?: (error: unknown, msg: JsMsgLike, action: "nak" | "term") => void;
  /** Options for each smartreceive (download handler, retries, log, …). */
  receive?: SmartreceiveOptions;
  /** Per JetStream API request, ms (default 5000). */
  timeout_ms?: number;
  /**
   * How long one pull request lives on the server, ms (default 5000). A pull lost in a failover
   * (its server or the consumer's leader went away) costs at most this long.
   */
  pull_expires_ms?: number;
  /** Messages asked for per pull (default 64). */
  batch?: number;
}

export type ConsumeHandler = (env: ReceivedEnvelope, msg: JsMsgLike) => unknown;

export interface Consumption {
  /** Stop pulling; resolves when the message in hand is settled. */
  stop(): Promise<void>;
  /** Resolves when consuming ends (stop, or the connection closes); rejects if it broke. */
  readonly done: Promise<void>;
}

type Receive = (msg: IncomingMessage, options?: SmartreceiveOptions) => Promise<ReceivedEnvelope>;

/** Codes that say the message itself is bad: no redelivery can change the verdict. */
const TERMINAL: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "INVALID_ENVELOPE",
  "DESERIALIZATION_ERROR",
  "INVALID_PAYLOAD_TYPE",
  "INVALID_TRANSPORT",
  "ENVELOPE_TOO_LARGE",
  "SERIALIZATION_ERROR",
  "INVALID_OPTIONS",
]);

/** term for a bad message or a failure marked `retryable: false` (a deleted or replaced object); nak for the rest. */
export function settleAction(e: unknown): "nak" | "term" {
  if (!(e instanceof NatsBridgeError)) return "nak";
  if (TERMINAL.has(e.code)) return "term";
  return e.details?.retryable === false ? "term" : "nak";
}

const notFound = (e: unknown) => String((e as { code?: unknown })?.code) === "404" || /not found/i.test(String((e as Error)?.message));

export async function consume(receive: Receive, conn: NatsConnectionLike, o: ConsumeOptions, handler: ConsumeHandler): Promise<Consumption> {
  if (!hasJetStream(conn)) throw new NatsBridgeError("INVALID_OPTIONS", "consume needs a connection with jetstream() (nats or nats.ws)");
  if (!o || typeof o.stream !== "string" || typeof o.durable !== "string" || o.stream === "" || o.durable === "") {
    throw new NatsBridgeError("INVALID_OPTIONS", "consume needs { stream, durable }");
  }
  if (typeof handler !== "function") throw new NatsBridgeError("INVALID_OPTIONS", "consume needs a handler function");
  const timeout = o.timeout_ms ?? 5_000;
  const base = o.nak_delay_ms ?? 1_000;
  const cap = o.max_nak_delay_ms ?? 30_000;

  try {
    const jsm = await conn.jetstreamManager({ timeout, checkAPI: false });
    try {
      await jsm.consumers.info(o.stream, o.durable);
    } catch (e) {
      if (!notFound(e) || o.create === false) throw e;
      await jsm.consumers.add(o.stream, {
        durable_name: o.durable,
        ack_policy: "explicit",
        deliver_policy: "all",
        max_deliver: o.max_deliver ?? 10,
        ack_wait: (o.ack_wait_ms ?? 30_000) * 1_000_000, // nanoseconds
        ...(o.subject ? { filter_subject: o.subject } : {}),
      });
    }
  } catch (e) {
    if (e instanceof NatsBridgeError) throw e;
    throw new NatsBridgeError("NATS_CONNECTION_FAILED", `cannot set up consumer ${o.durable} on stream ${o.stream}: ${(e as Error)?.message ?? e}`, {
      cause: e,
      details: { stream: o.stream, durable: o.durable },
    });
  }

  const settle = async (m: JsMsgLike) => {
    try {
      const env = await receive(m, o.receive);
      await handler(env, m);
      m.ack();
    } catch (e) {
      const action = settleAction(e);
      // No reason text: nats-server before 2.10 reads "+TERM <reason>" as no ack at all and
      // redelivers the message forever (found with Debian's 2.9.10); on_error has the reason.
      if (action === "term") m.term();
      else {
        const n = Math.max(1, m.info.deliveryCount ?? m.info.redeliveryCount ?? 1);
        m.nak(Math.min(cap, base * 2 ** Math.min(n - 1, 20)));
      }
      // A reporter that throws must not stop the consumer.
      try {
        o.on_error?.(e, m, action);
      } catch {
        /* the caller's bug, not the stream's */
      }
    }
  };

  // A loop of bounded pulls rather than nats.js's consume(): after a failover its pull accounting
  // can wait out whole expiry periods for a message or two (seen on a 3-node cluster, 2.9 and
  // 2.15); each fetch here is a fresh request, so a lost one costs at most pull_expires_ms.
  let stopped = false;
  let current: ConsumerMessagesLike | undefined;
  const expires = o.pull_expires_ms ?? 5_000;
  const done = (async () => {
    const consumer = await conn.jetstream({ timeout }).consumers.get(o.stream, o.durable);
    while (!stopped && !conn.isClosed?.()) {
      try {
        current = await consumer.fetch({ max_messages: o.batch ?? 64, expires });
        for await (const m of current) {
          await settle(m);
          if (stopped) break;
        }
      } catch (e) {
        if (stopped || conn.isClosed?.()) break;
        // Lost leaders, reconnects and missed heartbeats end a pull; a deleted consumer is final.
        if (/consumer (deleted|not found)/i.test(String((e as Error)?.message)) && !isTransient(e)) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  })();
  done.catch(() => undefined);
  return {
    stop: async () => {
      stopped = true;
      current?.stop();
      await done.catch(() => undefined);
    },
    done,
  };
}

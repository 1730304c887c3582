/**
 * Request/reply with NATSBridge envelopes (issue 11), built on smartsend/smartreceive.
 *
 * smartrequest subscribes to a fresh inbox, then publishes the request envelope with `reply_to`
 * set to that inbox **and** the NATS message's own reply subject set to it. Both matter:
 * - the seeds' responders answer with `smartsend(env.reply_to, …)`, a plain publish to the
 *   envelope's `reply_to`; NATS-style responders answer `msg.reply` — both reach the inbox;
 * - a publish that carries a reply subject is what lets nats-server report "no responders": when
 *   no subscription matches, it sends an empty message with status 503 to the reply subject (for
 *   clients that announced headers and no_responders in CONNECT, as nats.js, nats.ws and
 *   @nats-io/* do against any server with headers).
 * The subscription is made before the publish on the same connection, and NATS keeps a
 * connection's protocol in order, so the server knows the inbox before any responder can answer.
 */
import { appendMember, errorMemberJson, readErrorResponse, remoteErrorOf, type ReplyError } from "./error-response.js";
import { NatsBridgeError, withCorrelation } from "./errors.js";
import type { ConnectionCache } from "./connections.js";
import type { NatsConnectionLike } from "./runtime.js";
import type { IncomingMessage } from "./smartreceive.js";
import { DEFAULT_BROKER_URL } from "./smartsend.js";
import { maxPayloadOf } from "./transport.js";
import type { ReceivedEnvelope, SendTuple, SmartreceiveOptions, SmartsendOptions, WireEnvelope } from "./types.js";
import { uuidv4 } from "./uuid.js";

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_INBOX_PREFIX = "_INBOX";

export interface SmartrequestOptions extends Omit<SmartsendOptions, "reply_to" | "is_publish">, Omit<SmartreceiveOptions, "fileserver_url"> {
  /** How long to wait for the answer once the request is published, in ms (default 10 000). */
  timeout_ms?: number;
  /** The reply inbox is `<inbox_prefix>.<random>` (default `_INBOX`), for accounts that allow another prefix. */
  inbox_prefix?: string;
}

/** The reply goes to the request's `reply_to` with its correlation_id and `reply_to_msg_id` = its msg_id. */
export type SmartreplyOptions = Omit<SmartsendOptions, "correlation_id" | "reply_to_msg_id" | "is_publish">;

/** What smartreply needs of the request: a received envelope has it. */
export type RequestEnvelope = Pick<WireEnvelope, "reply_to" | "msg_id" | "correlation_id">;

/** A message as nats.js, nats.ws and @nats-io/* hand it to a subscription callback. */
interface InboxMessage {
  data: Uint8Array;
  headers?: { code?: number } | undefined;
}

/** What smartrequest needs beyond publish: a callback subscription (the same call in every nats.js flavour). */
interface SubscribingConnection extends NatsConnectionLike {
  subscribe(subject: string, opts: { max?: number; callback: (err: unknown, msg: InboxMessage) => void }): { unsubscribe(): void };
}

export interface RequestContext {
  connections: ConnectionCache;
  smartsend(subject: string, data: readonly SendTuple[], options?: SmartsendOptions): Promise<[WireEnvelope, string]>;
  smartreceive(msg: IncomingMessage, options?: SmartreceiveOptions): Promise<ReceivedEnvelope>;
}

// setTimeout's limit; a longer wait would fire at once.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
// A NATS token: no whitespace, no dot, and not a wildcard on its own.
const TOKEN = String.raw`(?![*>](?:\.|$))[^\s.]+`;
const PUBLISH_SUBJECT = new RegExp(`^${TOKEN}(?:\\.${TOKEN})*$`);

/** `conn` with `publish` replaced: smartsend publishes through it, so its checks, tracing and errors stay as they are. */
function withPublish(conn: NatsConnectionLike, publish: NatsConnectionLike["publish"]): NatsConnectionLike {
  return {
    publish,
    get info() {
      return conn.info;
    },
    flush: conn.flush && (() => conn.flush!()),
  };
}

function connectionFor(ctx: RequestContext, o: SmartsendOptions): Promise<NatsConnectionLike> {
  return o.nats_connection ? Promise.resolve(o.nats_connection) : ctx.connections.get(o.broker_url ?? DEFAULT_BROKER_URL);
}

/** Subscribed at once; the clock starts with `start`, after the request is out (uploads may take long). */
function awaitFirst(conn: SubscribingConnection, inbox: string) {
  let settle!: { resolve: (m: InboxMessage) => void; reject: (e: unknown) => void };
  const first = new Promise<InboxMessage>((resolve, reject) => (settle = { resolve, reject }));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let answered = false;
  const sub = conn.subscribe(inbox, {
    max: 1,
    callback: (err, msg) => {
      answered = true;
      clearTimeout(timer);
      if (err) settle.reject(err);
      else settle.resolve(msg);
    },
  });
  return {
    first,
    start(ms: number, onTimeout: () => unknown) {
      // An answer may beat the clock (if publishing awaited anything); a timer started then would
      // only keep the process alive for nothing.
      if (answered) return;
      timer = setTimeout(() => {
        sub.unsubscribe();
        settle.reject(onTimeout());
      }, ms);
    },
    cancel() {
      clearTimeout(timer);
      sub.unsubscribe();
    },
  };
}

/** nats-server's "no responders": an empty message with status 503 on the reply subject. */
const isNoResponders = (m: InboxMessage) => m.data.byteLength === 0 && m.headers?.code === 503;

function checkRequestOptions(o: SmartrequestOptions): { timeout_ms: number; inbox_prefix: string } {
  const timeout_ms = o.timeout_ms ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (typeof timeout_ms !== "number" || !(timeout_ms > 0) || timeout_ms > MAX_TIMEOUT_MS) {
    throw new NatsBridgeError("INVALID_OPTIONS", `timeout_ms must be a number of milliseconds between 1 and ${MAX_TIMEOUT_MS}`);
  }
  const inbox_prefix = o.inbox_prefix ?? DEFAULT_INBOX_PREFIX;
  if (typeof inbox_prefix !== "string" || !PUBLISH_SUBJECT.test(inbox_prefix)) {
    throw new NatsBridgeError("INVALID_OPTIONS", `inbox_prefix must be a NATS subject without wildcards, got ${JSON.stringify(inbox_prefix)}`);
  }
  return { timeout_ms, inbox_prefix };
}

/**
 * Send `data` to `subject` as a request and resolve with the answer, received like smartreceive
 * does. Rejects with REQUEST_TIMEOUT, NO_RESPONDERS, or REMOTE_ERROR (the responder's code, message
 * and details in `details.remote`) besides smartsend's and smartreceive's own codes.
 */
export async function smartrequest(
  ctx: RequestContext,
  subject: string,
  data: readonly SendTuple[],
  options: SmartrequestOptions = {},
): Promise<ReceivedEnvelope> {
  const o = options ?? {};
  const correlation_id = (typeof o.correlation_id === "string" && o.correlation_id) || uuidv4();
  try {
    const { timeout_ms, inbox_prefix } = checkRequestOptions(o);
    const conn = (await connectionFor(ctx, o)) as SubscribingConnection;
    if (typeof conn.subscribe !== "function") {
      throw new NatsBridgeError("INVALID_OPTIONS", "smartrequest needs a nats_connection that can subscribe (nats, nats.ws, @nats-io/transport-*)");
    }
    const inbox = `${inbox_prefix}.${uuidv4().replaceAll("-", "")}`;
    const reply = awaitFirst(conn, inbox);
    try {
      await ctx.smartsend(subject, data, {
        ...o,
        correlation_id,
        reply_to: inbox,
        is_publish: true,
        nats_connection: withPublish(conn, (s, d, po) => conn.publish(s, d, { ...(po as object), reply: inbox })),
      });
    } catch (e) {
      reply.cancel();
      throw e;
    }
    reply.start(timeout_ms, () => new NatsBridgeError("REQUEST_TIMEOUT", `no reply on ${subject} within ${timeout_ms} ms`, { correlation_id, details: { subject, timeout_ms } }));
    const msg = await reply.first;
    if (isNoResponders(msg)) {
      throw new NatsBridgeError("NO_RESPONDERS", `no one is subscribed to ${subject}`, { correlation_id, details: { subject } });
    }
    const remote = readErrorResponse(msg.data);
    if (remote) {
      throw new NatsBridgeError("REMOTE_ERROR", `the responder on ${subject} answered ${remote.code}: ${remote.message}`, {
        correlation_id,
        details: { subject, remote },
      });
    }
    return await ctx.smartreceive(msg, o);
  } catch (e) {
    throw withCorrelation(e, "NATS_CONNECTION_FAILED", `request on ${subject} failed`, correlation_id);
  }
}

/** The request's reply subject: a requester's message decides where we publish, so it must be a literal subject. */
function replySubjectOf(request: RequestEnvelope): string {
  if (typeof request !== "object" || request === null) throw new NatsBridgeError("INVALID_OPTIONS", "smartreply needs the received request envelope");
  const { reply_to, msg_id, correlation_id } = request;
  if (typeof msg_id !== "string" || typeof correlation_id !== "string" || typeof reply_to !== "string") {
    throw new NatsBridgeError("INVALID_OPTIONS", "smartreply needs the received request envelope (reply_to, msg_id, correlation_id)");
  }
  if (reply_to === "") throw new NatsBridgeError("INVALID_OPTIONS", "the request has no reply_to: its sender expects no answer", { correlation_id });
  // A wildcard would fan the answer out to every matching subscriber.
  if (!PUBLISH_SUBJECT.test(reply_to)) {
    throw new NatsBridgeError("INVALID_ENVELOPE", `the request's reply_to is not a literal NATS subject: ${JSON.stringify(reply_to.slice(0, 200))}`, { correlation_id });
  }
  return reply_to;
}

/**
 * Answer `request` on its `reply_to`, with `reply_to_msg_id` = its msg_id and the same
 * correlation_id. With an array, the answer carries those payloads; with an error (a
 * NatsBridgeError, any Error, or `{ code, message, details }`), it is the seeds' error-response
 * envelope: no payloads and a top-level `error` member.
 */
export async function smartreply(
  ctx: RequestContext,
  request: RequestEnvelope,
  answer: readonly SendTuple[] | ReplyError,
  options: SmartreplyOptions = {},
): Promise<[WireEnvelope, string]> {
  const reply_to = replySubjectOf(request);
  const o: SmartsendOptions = { ...options, correlation_id: request.correlation_id, reply_to_msg_id: request.msg_id, is_publish: true };
  if (Array.isArray(answer)) return ctx.smartsend(reply_to, answer as readonly SendTuple[], o);

  const error = remoteErrorOf(answer as ReplyError);
  const member = errorMemberJson(error);
  const memberBytes = new TextEncoder().encode(member);
  const conn = await connectionFor(ctx, o).catch((e) => {
    throw withCorrelation(e, "NATS_CONNECTION_FAILED", "smartreply failed", request.correlation_id);
  });
  const publishWithError: NatsConnectionLike["publish"] = (s, d, po) => {
    const wire = appendMember(d!, memberBytes);
    // smartsend measured the envelope without the member; the server would drop the connection's publish.
    const max_payload = maxPayloadOf(conn);
    if (wire.byteLength > max_payload) {
      throw new NatsBridgeError("ENVELOPE_TOO_LARGE", `the error answer is ${wire.byteLength} bytes; the server accepts ${max_payload}`, {
        details: { envelope_bytes: wire.byteLength, max_payload },
      });
    }
    conn.publish(s, wire, po);
  };
  const [env, json] = await ctx.smartsend(reply_to, [], { ...o, nats_connection: withPublish(conn, publishWithError) });
  return [{ ...env, error } as WireEnvelope, json.slice(0, -1) + member + "}"];
}

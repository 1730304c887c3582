/**
 * What natsbridge needs of a JetStream-capable connection, typed structurally (like
 * NatsConnectionLike) so `nats` (Node) and `nats.ws` (browser) connections both fit and the core
 * imports neither. Only the members natsbridge calls are listed.
 */
import type { NatsConnectionLike } from "../runtime.js";

export interface PubAckLike {
  stream: string;
  seq: number;
  duplicate: boolean;
  domain?: string;
}

export interface JsPublishOptions {
  msgID?: string;
  timeout?: number;
  expect?: { streamName?: string; lastMsgID?: string; lastSequence?: number; lastSubjectSequence?: number };
}

/** A JetStream message as the consume helper uses it (nats.js JsMsg). */
export interface JsMsgLike {
  data: Uint8Array;
  subject: string;
  seq: number;
  info: { deliveryCount?: number; redeliveryCount: number; streamSequence: number };
  ack(): void;
  nak(millis?: number): void;
  term(reason?: string): void;
  working?(): void;
}

export interface ObjectInfoLike {
  name: string;
  description?: string;
  size: number;
  digest: string;
  deleted: boolean;
  nuid?: string;
  bucket?: string;
}

export interface ObjectStoreLike {
  info(name: string): Promise<ObjectInfoLike | null>;
  put(meta: { name: string; description?: string }, data: ReadableStream<Uint8Array>, opts?: { timeout?: number }): Promise<ObjectInfoLike>;
  getBlob(name: string): Promise<Uint8Array | null>;
  putBlob(meta: { name: string; description?: string }, data: Uint8Array | null, opts?: { timeout?: number }): Promise<ObjectInfoLike>;
  get(name: string): Promise<{ info: ObjectInfoLike; data: ReadableStream<Uint8Array>; error: Promise<Error | null | void> } | null>;
  delete(name: string): Promise<unknown>;
}

export interface StreamInfoLike {
  config: { name: string; subjects?: string[]; num_replicas?: number; max_age?: number; max_bytes?: number };
  cluster?: { leader?: string; replicas?: { name: string }[] };
}

export interface JetStreamManagerLike {
  streams: {
    info(name: string): Promise<StreamInfoLike>;
    add(config: Record<string, unknown>): Promise<StreamInfoLike>;
  };
  consumers: {
    info(stream: string, durable: string): Promise<unknown>;
    add(stream: string, config: Record<string, unknown>): Promise<unknown>;
  };
}

export interface ConsumerMessagesLike extends AsyncIterable<JsMsgLike> {
  stop(err?: Error): void;
  close?(): Promise<void | Error>;
  closed?(): Promise<void | Error>;
}

export interface JetStreamClientLike {
  publish(subject: string, data?: Uint8Array, opts?: JsPublishOptions): Promise<PubAckLike>;
  views: { os(name: string, opts?: Record<string, unknown>): Promise<ObjectStoreLike> };
  consumers: { get(stream: string, durable: string): Promise<{ fetch(opts?: Record<string, unknown>): Promise<ConsumerMessagesLike> }> };
}

export interface JetStreamConnectionLike extends NatsConnectionLike {
  jetstream(opts?: { timeout?: number }): JetStreamClientLike;
  jetstreamManager(opts?: { timeout?: number; checkAPI?: boolean }): Promise<JetStreamManagerLike>;
}

/** A connection, or a function that gives one (called for every use, so it may reconnect or cache). */
export type ConnectionSource = JetStreamConnectionLike | (() => JetStreamConnectionLike | Promise<JetStreamConnectionLike>);

export async function resolveConnection(source: ConnectionSource): Promise<JetStreamConnectionLike> {
  return typeof source === "function" ? await source() : source;
}

export function hasJetStream(c: unknown): c is JetStreamConnectionLike {
  return typeof (c as { jetstream?: unknown })?.jetstream === "function" && typeof (c as { jetstreamManager?: unknown })?.jetstreamManager === "function";
}

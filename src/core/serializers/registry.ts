import { NatsBridgeError } from "../errors.js";
import { text } from "./text.js";
import { dictionary } from "./dictionary.js";
import { jsontable } from "./jsontable.js";
import { arrowtable } from "./arrowtable.js";
import { bytes } from "./bytes.js";

/** Turns a payload's value into the bytes that travel, and back. Either side may be async. */
export interface Serializer<Send = any, Receive = any> {
  serialize(data: Send): Uint8Array | Promise<Uint8Array>;
  deserialize(bytes: Uint8Array): Receive | Promise<Receive>;
}

const builtins: Record<string, Serializer> = {
  text,
  dictionary,
  jsontable,
  arrowtable,
  image: bytes("image"),
  audio: bytes("audio"),
  video: bytes("video"),
  binary: bytes("binary"),
};

const registry = new Map<string, Serializer>(Object.entries(builtins));

/**
 * Add a payload type (or replace a built-in one). Peers in other languages must know the type too,
 * so a custom type is a private agreement between your own services.
 */
export function registerSerializer(payload_type: string, serializer: Serializer): void {
  if (typeof payload_type !== "string" || payload_type === "") {
    throw new NatsBridgeError("INVALID_OPTIONS", "payload_type must be a non-empty string");
  }
  registry.set(payload_type, serializer);
}

export function unregisterSerializer(payload_type: string): void {
  const builtin = builtins[payload_type];
  if (builtin) registry.set(payload_type, builtin);
  else registry.delete(payload_type);
}

export function getSerializer(payload_type: string): Serializer {
  const s = typeof payload_type === "string" ? registry.get(payload_type) : undefined;
  if (!s) {
    throw new NatsBridgeError("INVALID_PAYLOAD_TYPE", `unknown payload_type: ${JSON.stringify(payload_type)}`, {
      details: { payload_type, known: [...registry.keys()] },
    });
  }
  return s;
}

export const payloadTypes = (): string[] => [...registry.keys()];

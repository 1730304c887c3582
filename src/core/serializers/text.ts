import { NatsBridgeError } from "../errors.js";
import { utf8Decode, utf8Encode } from "../bytes.js";
import type { Serializer } from "./registry.js";

export const text: Serializer<string, string> = {
  serialize(data) {
    if (typeof data !== "string") throw new NatsBridgeError("SERIALIZATION_ERROR", `text data must be a string, got ${describe(data)}`);
    // UTF-8 cannot carry a lone surrogate; the encoder would put U+FFFD in its place unannounced.
    if (!isWellFormed(data)) throw new NatsBridgeError("SERIALIZATION_ERROR", "text data contains a lone UTF-16 surrogate, which UTF-8 cannot encode");
    return utf8Encode(data);
  },
  deserialize: utf8Decode,
};

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return (v as object).constructor?.name ?? "an object";
  return typeof v;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isWellFormed(s: string): boolean {
  const native = (s as { isWellFormed?: () => boolean }).isWellFormed;
  return native ? native.call(s) : !LONE_SURROGATE.test(s);
}

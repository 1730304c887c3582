import { NatsBridgeError } from "../errors.js";
import { utf8Decode, utf8Encode } from "../bytes.js";
import type { Serializer } from "./registry.js";

export const text: Serializer<string, string> = {
  serialize(data) {
    if (typeof data !== "string") throw new NatsBridgeError("SERIALIZATION_ERROR", `text data must be a string, got ${describe(data)}`);
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

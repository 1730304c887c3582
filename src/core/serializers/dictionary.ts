import { NatsBridgeError } from "../errors.js";
import { utf8Decode, utf8Encode } from "../bytes.js";
import { parseJson, stringifyJson } from "../json.js";
import { JsonTooDeepError, walkJson } from "../json-walk.js";
import type { JsonValue } from "../types.js";
import type { Serializer } from "./registry.js";

export function encodeJson(data: unknown, what: string): Uint8Array {
  // JSON has no NaN or Infinity: JSON.stringify would write null in their place without a word.
  let bad: number | undefined;
  try {
    walkJson(data, (n) => !Number.isFinite(n) && ((bad = n), true), new Set());
  } catch (e) {
    // What natsbridge refuses to read it does not write either (MAX_JSON_DEPTH).
    if (e instanceof JsonTooDeepError) throw new NatsBridgeError("SERIALIZATION_ERROR", `${what} data ${e.message}`, { cause: e });
    throw e;
  }
  if (bad !== undefined) throw new NatsBridgeError("SERIALIZATION_ERROR", `${what} data holds ${bad}, which JSON cannot represent`);
  let s: string;
  try {
    s = stringifyJson(data);
  } catch (e) {
    throw new NatsBridgeError("SERIALIZATION_ERROR", `${what} data is not JSON-serializable: ${(e as Error).message}`, { cause: e });
  }
  return utf8Encode(s);
}

export function decodeJson(bytes: Uint8Array, what: string): unknown {
  const s = utf8Decode(bytes);
  try {
    return parseJson(s);
  } catch (e) {
    if (e instanceof JsonTooDeepError) throw new NatsBridgeError("DESERIALIZATION_ERROR", `${what} payload ${e.message}`, { cause: e });
    throw new NatsBridgeError("DESERIALIZATION_ERROR", `${what} payload is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

/** Any JSON value (the seeds' JS and Python peers send arrays as "dictionary" too). */
export const dictionary: Serializer<unknown, JsonValue> = {
  serialize: (data) => encodeJson(data, "dictionary"),
  deserialize: (bytes) => decodeJson(bytes, "dictionary") as JsonValue,
};

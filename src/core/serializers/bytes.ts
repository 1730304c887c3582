import { NatsBridgeError } from "../errors.js";
import { asBytes } from "../bytes.js";
import type { Serializer } from "./registry.js";
import { describe } from "./text.js";

/** image, audio, video and binary are opaque bytes: the type only tells the receiver what they are. */
export function bytes(payload_type: string): Serializer<unknown, Uint8Array> {
  return {
    serialize(data) {
      const b = asBytes(data);
      if (!b) {
        throw new NatsBridgeError(
          "SERIALIZATION_ERROR",
          `${payload_type} data must be a Uint8Array, Buffer, ArrayBuffer or typed array, got ${describe(data)}`,
        );
      }
      return b;
    },
    deserialize: (b) => b,
    streams: true,
  };
}

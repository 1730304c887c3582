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
  /** True for the opaque byte types: smartsend then also takes a Blob or stream and uploads it as it is (issue 9). */
  readonly streams?: boolean;
}

/** The eight payload types of the wire format. */
export const BUILTIN_SERIALIZERS: Readonly<Record<string, Serializer>> = Object.freeze({
  text,
  dictionary,
  jsontable,
  arrowtable,
  image: bytes("image"),
  audio: bytes("audio"),
  video: bytes("video"),
  binary: bytes("binary"),
});

/**
 * One bridge's payload types: its own copy of the built-ins plus what it registers, so a
 * registration on one bridge never changes another (issue 7: nothing process-global).
 * Peers in other languages must know a custom type too: it is a private agreement between your services.
 */
export class SerializerRegistry {
  private readonly map: Map<string, Serializer>;

  constructor(from: Iterable<[string, Serializer]> = Object.entries(BUILTIN_SERIALIZERS)) {
    this.map = new Map(from);
  }

  /** A registry that starts as this one is now and then goes its own way (for bridge.extend). */
  copy(extra: Record<string, Serializer> = {}): SerializerRegistry {
    const r = new SerializerRegistry(this.map);
    for (const [k, s] of Object.entries(extra)) r.register(k, s);
    return r;
  }

  register(payload_type: string, serializer: Serializer): void {
    if (typeof payload_type !== "string" || payload_type === "") {
      throw new NatsBridgeError("INVALID_OPTIONS", "payload_type must be a non-empty string");
    }
    if (typeof serializer?.serialize !== "function" || typeof serializer?.deserialize !== "function") {
      throw new NatsBridgeError("INVALID_OPTIONS", `serializer for ${JSON.stringify(payload_type)} needs serialize and deserialize functions`);
    }
    this.map.set(payload_type, serializer);
  }

  /** Remove a custom type, or put a replaced built-in back. */
  unregister(payload_type: string): void {
    const builtin = BUILTIN_SERIALIZERS[payload_type];
    if (builtin) this.map.set(payload_type, builtin);
    else this.map.delete(payload_type);
  }

  get(payload_type: string): Serializer {
    const s = typeof payload_type === "string" ? this.map.get(payload_type) : undefined;
    if (!s) {
      throw new NatsBridgeError("INVALID_PAYLOAD_TYPE", `unknown payload_type: ${JSON.stringify(payload_type)}`, {
        details: { payload_type, known: [...this.map.keys()] },
      });
    }
    return s;
  }

  types(): string[] {
    return [...this.map.keys()];
  }
}

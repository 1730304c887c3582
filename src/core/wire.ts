import { utf8Encode } from "./bytes.js";
import { HEADER_FIELD_NAMES, PAYLOAD_FIELD_NAMES, type EnvelopeHeader, type WirePayload } from "./envelope.js";

/**
 * The envelope as the bytes that are published and as the JSON text smartsend returns, both
 * byte-identical to `JSON.stringify(env)` for the envelopes natsbridge builds.
 *
 * Large payloads are what cost: their base64 is ASCII and needs no JSON escaping, so it is never
 * pushed through the JSON serializer nor re-encoded as part of one huge string. With a bytes→bytes
 * base64 encoder (the WebAssembly codec) a large direct payload does not become a JS string at
 * all unless someone reads `payload.data` or the JSON text: creating a 700 KB string costs more
 * than encoding it.
 */

export interface WireIo {
  /** Copy an ASCII string into dst at `at`; returns bytes written. */
  writeAscii(s: string, dst: Uint8Array, at: number): number;
  /** Bytes of an ASCII string, when the runtime has something faster than UTF-8 encoding. */
  encodeAscii?: ((s: string) => Uint8Array) | undefined;
  /** Uninitialized bytes for the wire buffer, every one of which is then written. */
  alloc?: ((n: number) => Uint8Array) | undefined;
  /** Base64 of src straight into dst at `at`; returns bytes written. */
  encodeBase64Into?: ((src: Uint8Array, dst: Uint8Array, at: number) => number) | undefined;
}

export interface WireLayout {
  /** Exact size of the published message. */
  byteLength: number;
  bytes(): Uint8Array;
  json(): string;
  /** True when json() would have to materialize large base64 strings. */
  jsonIsCostly: boolean;
}

interface LazySource {
  bytes: Uint8Array;
  /** The base64 as written into the wire: text read later comes from here, so a caller reusing its buffer cannot change what the envelope says it sent. */
  written?: Uint8Array;
  text?: string;
}

const ascii = new TextDecoder();

const lazySources = new WeakMap<WirePayload, LazySource>();

/** A direct payload whose `data` (base64) is made a string only when read. */
export function lazyDirectPayload(
  id: string,
  dataname: string,
  payload_type: string,
  bytes: Uint8Array,
  toBase64: (b: Uint8Array) => string,
): WirePayload {
  const size = bytes.byteLength;
  const p: WirePayload = { id, dataname, payload_type, transport: "direct", encoding: "base64", size, data: "", metadata: { payload_bytes: size } };
  const src: LazySource = { bytes };
  // Redefining an existing key keeps its place in the key order, so the wire layout is unchanged.
  Object.defineProperty(p, "data", {
    enumerable: true,
    configurable: true,
    get: () => (src.text ??= src.written ? ascii.decode(src.written) : toBase64(src.bytes)),
    set: (v: string) => {
      lazySources.delete(p);
      Object.defineProperty(p, "data", { value: v, writable: true, enumerable: true, configurable: true });
    },
  });
  lazySources.set(p, src);
  return p;
}

const encoder = new TextEncoder();
export const encodeAsciiInto = (s: string, dst: Uint8Array, at: number): number => encoder.encodeInto(s, dst.subarray(at)).written;

/** Above this many characters the parts are written one by one instead of encoding one string. */
const SPLIT_ABOVE = 64 * 1024;
// Printable ASCII other than `"` and `\` is written by JSON.stringify as is; only other strings
// need its escaping (and it is the slow part of writing a header of short strings). A plain loop:
// for ids and names a regex call costs more than looking at the characters.
function plain(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}
function isAscii(v: string): boolean {
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) > 0x7f) return false;
  return true;
}
// Cleared when a piece of JSON text holds non-ASCII (JSON.stringify escapes control characters,
// quotes and backslashes, but leaves other characters as they are); layoutEnvelope is
// synchronous, so one module-level flag per call is safe.
let allAscii = true;
/** A string's JSON form without its quotes: the quotes are part of the surrounding template. */
const s = (v: string): string => {
  if (plain(v)) return v;
  const escaped = JSON.stringify(v).slice(1, -1);
  if (!isAscii(escaped)) allAscii = false;
  return escaped;
};

/**
 * A payload's metadata as JSON. The shapes natsbridge itself writes — `{}`, `{"payload_bytes":n}`,
 * `{"sha256":"hex"}` — are written without a serializer call (a measured share of a small send);
 * anything else goes through `stringify`. Same text as JSON.stringify either way (wire tests).
 */
function metadataJson(m: Record<string, unknown>, stringify: (v: unknown) => string): string {
  let key: string | undefined;
  for (const k in m) {
    if (key !== undefined || !Object.prototype.hasOwnProperty.call(m, k)) return stringify(m);
    key = k;
  }
  if (key === undefined) return Object.getPrototypeOf(m) === Object.prototype ? "{}" : stringify(m);
  const v = m[key];
  if (key === "payload_bytes" && Number.isSafeInteger(v)) return `{"payload_bytes":${v}}`;
  if (key === "sha256" && typeof v === "string" && /^[0-9a-f]{64}$/.test(v)) return `{"sha256":"${v}"}`;
  return stringify(m);
}

/** `{"correlation_id":"`, `,"msg_id":"`, …: each header key with its opening quote. */
const HEADER_KEYS = HEADER_FIELD_NAMES.map((k, i) => `${i === 0 ? "{" : ","}"${k}":"`);
/** `{"id":`, `,"dataname":`, …: each payload key (values bring their own quotes). */
const PAYLOAD_KEYS = PAYLOAD_FIELD_NAMES.map((k, i) => `${i === 0 ? "{" : ","}"${k}":`);

type Part = string | { ascii: string } | { src: Uint8Array; payload: WirePayload };

export function layoutEnvelope(
  header: EnvelopeHeader,
  payloads: readonly WirePayload[],
  stringify: (v: unknown) => string,
  io: WireIo,
): WireLayout {
  const parts: Part[] = [];
  const h = header;
  allAscii = true;
  const metadata = stringify(h.metadata);
  if (!isAscii(metadata)) allAscii = false;
  // Field by field in the envelope table's order (src/core/envelope.ts), whatever order the
  // header object was built in. Every header field is a string.
  let text = "";
  for (let i = 0; i < HEADER_FIELD_NAMES.length; i++) text += HEADER_KEYS[i]! + s(h[HEADER_FIELD_NAMES[i]!]) + '"';
  text += `,"metadata":${metadata},"payloads":[`;
  let large = 0;
  for (let i = 0; i < payloads.length; i++) {
    const p = payloads[i]!;
    if (i > 0) text += ",";
    for (let f = 0; f < PAYLOAD_FIELD_NAMES.length; f++) {
      const name = PAYLOAD_FIELD_NAMES[f]!;
      text += PAYLOAD_KEYS[f]!;
      if (name === "size") text += p.size;
      else if (name === "metadata") {
        const m = metadataJson(p.metadata, stringify);
        if (!isAscii(m)) allAscii = false;
        text += m;
      } else if (name === "data" && p.transport === "direct") {
        // Base64 is ASCII and needs no escaping: it goes in as a part of its own.
        parts.push(text + '"');
        const lazy = lazySources.get(p);
        if (lazy && lazy.text === undefined && io.encodeBase64Into) {
          parts.push({ src: lazy.bytes, payload: p });
          large += Math.ceil(lazy.bytes.byteLength / 3) * 4;
        } else {
          const b64 = p.data;
          parts.push({ ascii: b64 });
          large += b64.length;
        }
        text = '"';
      } else text += `"${s(p[name] as string)}"`;
    }
    text += "}";
  }
  parts.push(text + "]}");

  let hasSrc = false;
  for (const x of parts) if (typeof x === "object" && "src" in x) hasSrc = true;
  const json = () => {
    let out = "";
    for (const x of parts) out += typeof x === "string" ? x : "ascii" in x ? x.ascii : x.payload.data;
    return out;
  };

  if (!hasSrc && large < SPLIT_ABOVE) {
    // Small envelopes: one encoder call beats several (each call has a fixed cost).
    const whole = json();
    // Base64 and the fixed keys are ASCII; with every other string plain too, no UTF-8 pass is needed.
    const bytes = allAscii && io.encodeAscii ? io.encodeAscii(whole) : utf8Encode(whole);
    return { byteLength: bytes.byteLength, bytes: () => bytes, json: () => whole, jsonIsCostly: false };
  }

  const encoded = parts.map((x) => (typeof x === "string" ? utf8Encode(x) : null));
  let byteLength = large;
  for (const e of encoded) if (e) byteLength += e.byteLength;
  let built: Uint8Array | undefined;
  const bytes = () => {
    if (built) return built;
    const out = io.alloc ? io.alloc(byteLength) : new Uint8Array(byteLength);
    let at = 0;
    parts.forEach((x, i) => {
      const e = encoded[i];
      if (e) {
        out.set(e, at);
        at += e.byteLength;
      } else if (typeof x === "object" && "src" in x) {
        const n = io.encodeBase64Into!(x.src, out, at);
        const lazy = lazySources.get(x.payload);
        if (lazy) lazy.written = out.subarray(at, at + n);
        at += n;
      } else at += io.writeAscii((x as { ascii: string }).ascii, out, at);
    });
    // The buffer may come uncleared (io.alloc): a gap would publish stale memory.
    if (at !== byteLength) throw new Error(`envelope layout wrote ${at} of ${byteLength} bytes`);
    return (built = out);
  };
  // Once built, the bytes are the truth: the text is read back from them.
  return { byteLength, bytes, json: () => (built ? ascii.decode(built) : json()), jsonIsCostly: hasSrc };
}

// src/node.ts
import { connect } from "nats";
import { fetch, FormData } from "undici";

// src/core/errors.ts
var NatsBridgeError = class extends Error {
  code;
  correlation_id;
  details;
  constructor(code, message, init = {}) {
    super(message, init.cause === void 0 ? void 0 : { cause: init.cause });
    this.name = "NatsBridgeError";
    this.code = code;
    if (init.correlation_id !== void 0) this.correlation_id = init.correlation_id;
    if (init.details !== void 0) this.details = init.details;
  }
};
function withCorrelation(e, code, message, correlation_id) {
  if (e instanceof NatsBridgeError) {
    if (e.correlation_id !== void 0 || correlation_id === void 0) return e;
    return new NatsBridgeError(e.code, e.message, { correlation_id, cause: e.cause, details: e.details });
  }
  const why = e instanceof Error ? e.message : String(e);
  return new NatsBridgeError(code, `${message}: ${why}`, { correlation_id, cause: e });
}

// src/core/bytes.ts
var encoder = new TextEncoder();
var strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
var encodeUtf8 = (s) => encoder.encode(s);
function useUtf8Encoder(encode2) {
  encodeUtf8 = encode2;
}
var utf8Encode = (s) => encodeUtf8(s);
function utf8Decode(bytes3) {
  try {
    return strictDecoder.decode(bytes3);
  } catch (e) {
    throw new NatsBridgeError("DESERIALIZATION_ERROR", "payload is not valid UTF-8", { cause: e });
  }
}
function asBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (typeof SharedArrayBuffer !== "undefined" && data instanceof SharedArrayBuffer) return new Uint8Array(data);
  return null;
}

// src/core/connections.ts
var ConnectionCache = class {
  constructor(open) {
    this.open = open;
  }
  open;
  conns = /* @__PURE__ */ new Map();
  get(url) {
    const cached2 = this.conns.get(url);
    if (cached2) {
      return cached2.then((c) => c.isClosed?.() ? this.reopen(url) : c);
    }
    return this.reopen(url);
  }
  reopen(url) {
    const p = this.open(url).catch((e) => {
      this.conns.delete(url);
      if (e instanceof NatsBridgeError) throw e;
      throw new NatsBridgeError("NATS_CONNECTION_FAILED", `cannot connect to NATS at ${url}: ${e?.message ?? e}`, {
        cause: e,
        details: { broker_url: url }
      });
    });
    this.conns.set(url, p);
    return p;
  }
  /** Drain (deliver what is pending, then close) every cached connection. */
  async closeAll() {
    const all = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(
      all.map(async (p) => {
        const c = await p.catch(() => null);
        if (!c || c.isClosed?.()) return;
        await (c.drain ? c.drain() : c.close?.())?.catch(() => void 0);
      })
    );
  }
};

// src/core/base64-wasm/module.ts
var BASE64_WASM = "AGFzbQEAAAABCAFgA39/fwF/AwMCAAAEBQFwAQEBBQMBAAEGDQJ/AUHgLAt/AEHgLAsHKgQGbWVtb3J5AgAGZW5jb2RlAAAGZGVjb2RlAAELX19oZWFwX2Jhc2UDAQrCEwKnCQUBfwh7An8GewJ/QQAhA0EA/QAEwIuAgAAhBEEA/QAEsIuAgAAhBUEA/QAEoIuAgAAhBkEA/QAEkIuAgAAhB0EA/QAEgIuAgAAhCEEA/QAE8IqAgAAhCUEA/QAE4IqAgAAhCkEA/QAE0IqAgAAhCyACIQwCQCABQTRJDQBBACENIAIhDANAIAAgDWoiA0EMav0AAAAhDiADQRhq/QAAACEPIANBJGr9AAAAIRAgDCAEIAX9DAAAAAAAAAAAAAAAAAAAAAAiESAGIAogA/0AAAD9DAEAAgEEAwUEBwYIBwoJCwoiEv0OIhP9TkEG/a0BIAsgE/1OQQr9rQH9UCAJIBP9TkEE/asB/VAgCCAT/U5BCP2rAf1QIhP9J/1SIBMgB/1z/VD9DiAT/W79CwAAIAxBMGogBCAFIBEgBiAKIBAgEv0OIhP9TkEG/a0BIAsgE/1OQQr9rQH9UCAJIBP9TkEE/asB/VAgCCAT/U5BCP2rAf1QIhP9J/1SIBMgB/1z/VD9DiAT/W79CwAAIAxBIGogBCAFIBEgBiAKIA8gEv0OIhP9TkEG/a0BIAsgE/1OQQr9rQH9UCAJIBP9TkEE/asB/VAgCCAT/U5BCP2rAf1QIhP9J/1SIBMgB/1z/VD9DiAT/W79CwAAIAxBEGogBCAFIBEgBiAKIA4gEv0OIhL9TkEG/a0BIAsgEv1OQQr9rQH9UCAJIBL9TkEE/asB/VAgCCAS/U5BCP2rAf1QIhL9J/1SIBIgB/1z/VD9DiAS/W79CwAAIAxBwABqIQwgDUHkAGohFCANQTBqIgMhDSAUIAFNDQALCwJAAkAgA0EQaiABTQ0AIAMhDQwBCwNAIAwgBCAF/QwAAAAAAAAAAAAAAAAAAAAAIAYgCiAAIANq/QAAAP0MAQACAQQDBQQHBggHCgkLCv0OIhH9TkEG/a0BIAsgEf1OQQr9rQH9UCAJIBH9TkEE/asB/VAgCCAR/U5BCP2rAf1QIhH9J/1SIBEgB/1z/VD9DiAR/W79CwAAIAxBEGohDCADQRxqIRQgA0EMaiINIQMgFCABTQ0ACwsCQAJAIA1BA2ogAU0NACANIRQMAQsDQCAAIA1qIgNBAWotAAAhFSADQQJqLQAAIRQgDCADLQAAIgNBAnZBgIiAgABqLQAAOgAAIAxBA2ogFEE/cUGAiICAAGotAAA6AAAgDEECaiAUIBVBCHQiFXJBBnZBP3FBgIiAgABqLQAAOgAAIAxBAWogFSADQRB0ckEMdkE/cUGAiICAAGotAAA6AAAgDEEEaiEMIA1BBmohAyANQQNqIhQhDSADIAFNDQALCwJAAkACQAJAIBRBf3MgAWoOAgABAwsgDCAAIBRqLQAAIgNBAnZBgIiAgABqLQAAOgAAIAwgA0EEdEEwcUGAiICAAGotAAA6AAFBPSEDDAELIAAgFGoiDUEBai0AACEDIAwgDS0AACINQQJ2QYCIgIAAai0AADoAACAMIAMgDUEIdHJBBHZBP3FBgIiAgABqLQAAOgABIANBAnRBPHFBgIiAgABqLQAAIQMLIAxBPToAAyAMIAM6AAIgDEEEaiEMCyAMIAJrC5YKBQJ/CHsDfwh7An9BfyEDAkAgAUEDcUEBRg0AQQAhBEEA/QAEwIyAgAAhBUEA/QAEsIyAgAAhBkEA/QAEoIyAgAAhB0EA/QAEkIyAgAAhCEEA/QAEgIyAgAAhCUEA/QAE8IuAgAAhCkEA/QAE4IuAgAAhC0EA/QAE0IuAgAAhDCACIQ0CQCABQcAASQ0AQQAhDiACIQ0DQAJAIAogDCAAIA5qIg9BEGr9AAAAIhBBBP2NAf1OIhH9DiALIBAgDP1O/Q79TiAKIAwgD/0AAAAiEkEE/Y0B/U4iE/0OIAsgEiAM/U79Dv1O/VAgCiAMIA9BIGr9AAAAIhRBBP2NAf1OIhX9DiALIBQgDP1O/Q79Tv1QIAogDCAPQTBq/QAAACIWQQT9jQH9TiIX/Q4gCyAWIAz9Tv0O/U79UP1TRQ0AIA4hBAwCCyANIAggEyAJIBL9I/1u/Q4gEv1uIhJBCP2tASAH/U4gEkEG/asBIAb9Tv1QIAX9ugH9DAIBAAYFBAoJCA4NDP////8iEv0O/QsAACANQQxqIAggESAJIBD9I/1u/Q4gEP1uIhBBCP2tASAH/U4gEEEG/asBIAb9Tv1QIAX9ugEgEv0O/QsAACANQRhqIAggFSAJIBT9I/1u/Q4gFP1uIhBBCP2tASAH/U4gEEEG/asBIAb9Tv1QIAX9ugEgEv0O/QsAACANQSRqIAggFyAJIBb9I/1u/Q4gFv1uIhBBCP2tASAH/U4gEEEG/asBIAb9Tv1QIAX9ugEgEv0O/QsAACANQTBqIQ0gDkGAAWohDyAOQcAAaiIEIQ4gDyABTQ0ACwsCQAJAIARBEGogAU0NACAEIQ8MAQsDQAJAIAogDCAAIARq/QAAACIQQQT9jQH9TiIS/Q4gCyAQIAz9Tv0O/U79U0UNACAEIQ8MAgsgDSAIIBIgCSAQ/SP9bv0OIBD9biIQQQj9rQEgB/1OIBBBBv2rASAG/U79UCAF/boB/QwCAQAGBQQKCQgODQz//////Q79CwAAIA1BDGohDSAEQSBqIQ4gBEEQaiIPIQQgDiABTQ0ACwsCQCABIA9rIgRBBUkNAANAIAAgD0EBcmotAABBwIiAgABqLQAAIg4gACAPai0AAEHAiICAAGotAAAiAXIgACAPQQJyai0AAEHAiICAAGotAAAiGHIgACAPQQNyai0AAEHAiICAAGotAAAiGXJB/wFxQT9LDQIgDUECaiAZIBhBBnQiGHI6AAAgDUEBaiAYIA5BDHQiDnJBCHY6AAAgDSAOIAFBEnRyQRB2OgAAIA1BA2ohDSAPQQRqIQ8gBEF8aiIEQQRLDQALC0EEIQ4CQAJAAkAgBEEERw0AIAAgD0EDcmotAABBPUcNAUECQQMgACAPQQJyai0AAEE9RhshDgwBCyAEIQ4gBEECSQ0BCyAAIA9BAXJqLQAAQcCIgIAAai0AACIEIAAgD2otAABBwIiAgABqLQAAIgFyQT9LDQEgBEEMdCABQRJ0ciEEAkACQAJAIA5BA0kNACAAIA9BAnJqLQAAQcCIgIAAai0AACIBQT9LDQQgAUEGdCIYIARyIQEgDkEERw0BIAAgD0EDcmotAABBwIiAgABqLQAAIg9BP0sNBCANIA8gGHI6AAIgDSABQQh2OgABIA0gBEEQdjoAAAwCCyANIARBEHY6AAAMAQsgDSABQQh2OgABIA0gBEEQdjoAAAsgDiANakF/aiENCyANIAJrIQMLIAMLC+8EAgBBgAgLwAJBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWmFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEyMzQ1Njc4OSsv/////////////////////////////////////////////////////////z7///8/NDU2Nzg5Ojs8Pf////////8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGf///////xobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIz/////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////wBBwAoLoAIBAAIBBAMFBAcGCAcKCQsKAPwAAAD8AAAA/AAAAPwAAAAAwA8AAMAPAADADwAAwA/wAwAA8AMAAPADAADwAwAAAAA/AAAAPwAAAD8AAAA/ADMzMzMzMzMzMzMzMzMzMzMaGhoaGhoaGhoaGhoaGhoaDQ0NDQ0NDQ0NDQ0NDQ0NDUf8/Pz8/Pz8/Pz87fBBAAAPDw8PDw8PDw8PDw8PDw8PFRERERERERERERMaGxsbGhAQAQIECAQIEBAQEBAQEBAvLy8vLy8vLy8vLy8vLy8vABATBL+/ubkAAAAAAAAAAD8APwA/AD8APwA/AD8APwDAD8APwA/AD8APwA/AD8APABABAAAQAQAAEAEAABABAAIBAAYFBAoJCA4NDP////8=";

// src/core/base64-wasm/index.ts
var RETAIN_BYTES = 32 * 1024 * 1024;
var PAGE = 65536;
var SIMD_PROBE = new Uint8Array([
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  5,
  1,
  96,
  0,
  1,
  123,
  3,
  2,
  1,
  0,
  10,
  8,
  1,
  6,
  0,
  65,
  0,
  253,
  15,
  11
]);
var simd;
var compiled;
var state = null;
function simdAvailable() {
  if (simd === void 0) {
    try {
      simd = typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
    } catch {
      simd = false;
    }
  }
  return simd;
}
function base64EncodedLength(byteLength) {
  return Math.ceil(byteLength / 3) * 4;
}
function base64EncodeInto(src, dst, at) {
  const n = src.length;
  const outLen = base64EncodedLength(n);
  if (!(at >= 0) || at + outLen > dst.length) {
    throw new RangeError(`base64EncodeInto: ${outLen} bytes do not fit at ${at} in a ${dst.length}-byte buffer`);
  }
  if (n === 0) return 0;
  const st = instance();
  const srcPtr = st.base;
  const dstPtr = align16(srcPtr + n);
  const view = reserve(st, dstPtr + outLen);
  view.set(src, srcPtr);
  const written = st.exports.encode(srcPtr, n, dstPtr);
  dst.set(view.subarray(dstPtr, dstPtr + written), at);
  release(st);
  return written;
}
function base64DecodeBytes(src) {
  const n = src.length;
  if (n === 0) return new Uint8Array(0);
  const st = instance();
  const at = decodeInMemory(st, src);
  let out = null;
  if (at >= 0) {
    out = new Uint8Array(st.written);
    out.set(st.view.subarray(at, at + st.written));
  }
  release(st);
  return out;
}
function decodeInMemory(st, src) {
  const n = src.length;
  if ((n & 3) === 1) return -1;
  const srcPtr = st.base;
  const dstPtr = align16(srcPtr + n);
  const view = reserve(st, dstPtr + (n >>> 2) * 3 + 2 + 16);
  view.set(src, srcPtr);
  const written = st.exports.decode(srcPtr, n, dstPtr);
  st.written = written;
  return written < 0 ? -1 : dstPtr;
}
function align16(x) {
  return x + 15 & ~15;
}
function instance() {
  if (state !== null) return state;
  if (!simdAvailable()) throw new Error("base64-wasm: this runtime lacks WebAssembly SIMD; check simdAvailable()");
  compiled ??= new WebAssembly.Module(moduleBytes());
  const exports = new WebAssembly.Instance(compiled, {}).exports;
  state = { exports, view: new Uint8Array(exports.memory.buffer), base: align16(exports.__heap_base.value), written: 0 };
  return state;
}
function reserve(st, end) {
  const memory = st.exports.memory;
  const have = memory.buffer.byteLength;
  if (end > have) memory.grow(Math.ceil((end - have) / PAGE));
  if (st.view.buffer !== memory.buffer) st.view = new Uint8Array(memory.buffer);
  return st.view;
}
function release(st) {
  if (st.view.byteLength > RETAIN_BYTES && state === st) state = null;
}
function moduleBytes() {
  const s = BASE64_WASM;
  const out = new Uint8Array((s.length >> 2) * 3 - (s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0));
  const value = (c) => c > 96 ? c - 71 : c > 64 ? c - 65 : c > 47 ? c + 4 : c === 43 ? 62 : 63;
  for (let i = 0, o = 0; i < s.length; i += 4) {
    const v = value(s.charCodeAt(i)) << 18 | value(s.charCodeAt(i + 1)) << 12 | (value(s.charCodeAt(i + 2)) & 63) << 6 | value(s.charCodeAt(i + 3)) & 63;
    out[o++] = v >> 16;
    if (o < out.length) out[o++] = v >> 8 & 255;
    if (o < out.length) out[o++] = v & 255;
  }
  return out.buffer;
}

// src/core/fast-base64.ts
var probed;
function bytesBase64() {
  if (probed === void 0) {
    try {
      if (!simdAvailable()) throw new Error("no WebAssembly SIMD");
      const out = new Uint8Array(4);
      base64EncodeInto(new Uint8Array([102, 111, 111]), out, 0);
      if (String.fromCharCode(...out) !== "Zm9v") throw new Error("codec self-check failed");
      probed = { encodeInto: base64EncodeInto, decode: base64DecodeBytes };
    } catch {
      probed = null;
    }
  }
  return probed;
}

// src/core/wire.ts
var ascii = new TextDecoder();
var lazySources = /* @__PURE__ */ new WeakMap();
function lazyDirectPayload(id, dataname, payload_type, bytes3, toBase64) {
  const size = bytes3.byteLength;
  const p = { id, dataname, payload_type, transport: "direct", encoding: "base64", size, data: "", metadata: { payload_bytes: size } };
  const src = { bytes: bytes3 };
  Object.defineProperty(p, "data", {
    enumerable: true,
    configurable: true,
    get: () => src.text ??= src.written ? ascii.decode(src.written) : toBase64(src.bytes),
    set: (v) => {
      lazySources.delete(p);
      Object.defineProperty(p, "data", { value: v, writable: true, enumerable: true, configurable: true });
    }
  });
  lazySources.set(p, src);
  return p;
}
var encoder2 = new TextEncoder();
var encodeAsciiInto = (s, dst, at) => encoder2.encodeInto(s, dst.subarray(at)).written;
var SPLIT_ABOVE = 64 * 1024;
function plain(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c > 126 || c === 34 || c === 92) return false;
  }
  return true;
}
var q = (s) => plain(s) ? '"' + s + '"' : JSON.stringify(s);
function layoutEnvelope(header2, payloads, stringify, io) {
  const parts = [];
  const h = header2;
  let text3 = `{"correlation_id":${q(h.correlation_id)},"msg_id":${q(h.msg_id)},"timestamp":${q(h.timestamp)},"send_to":${q(h.send_to)},"msg_purpose":${q(h.msg_purpose)},"sender_name":${q(h.sender_name)},"sender_id":${q(h.sender_id)},"receiver_name":${q(h.receiver_name)},"receiver_id":${q(h.receiver_id)},"reply_to":${q(h.reply_to)},"reply_to_msg_id":${q(h.reply_to_msg_id)},"broker_url":${q(h.broker_url)},"metadata":${stringify(h.metadata)},"payloads":[`;
  let large = 0;
  for (let i = 0; i < payloads.length; i++) {
    const p = payloads[i];
    text3 += (i > 0 ? "," : "") + `{"id":${q(p.id)},"dataname":${q(p.dataname)},"payload_type":${q(p.payload_type)},"transport":"${p.transport}","encoding":"${p.encoding}","size":${p.size},"data":`;
    if (p.transport === "direct") {
      parts.push(text3 + '"');
      const lazy = lazySources.get(p);
      if (lazy && lazy.text === void 0 && io.encodeBase64Into) {
        parts.push({ src: lazy.bytes, payload: p });
        large += Math.ceil(lazy.bytes.byteLength / 3) * 4;
      } else {
        const b642 = p.data;
        parts.push({ ascii: b642 });
        large += b642.length;
      }
      text3 = '"';
    } else text3 += JSON.stringify(p.data);
    text3 += p.transport === "direct" ? `,"metadata":{"payload_bytes":${p.size}}}` : `,"metadata":{}}`;
  }
  parts.push(text3 + "]}");
  let hasSrc = false;
  for (const x of parts) if (typeof x === "object" && "src" in x) hasSrc = true;
  const json2 = () => {
    let out = "";
    for (const x of parts) out += typeof x === "string" ? x : "ascii" in x ? x.ascii : x.payload.data;
    return out;
  };
  if (!hasSrc && large < SPLIT_ABOVE) {
    const whole = json2();
    const bytes4 = utf8Encode(whole);
    return { byteLength: bytes4.byteLength, bytes: () => bytes4, json: () => whole, jsonIsCostly: false };
  }
  const encoded = parts.map((x) => typeof x === "string" ? utf8Encode(x) : null);
  let byteLength = large;
  for (const e of encoded) if (e) byteLength += e.byteLength;
  let built;
  const bytes3 = () => {
    if (built) return built;
    const out = built = new Uint8Array(byteLength);
    let at = 0;
    parts.forEach((x, i) => {
      const e = encoded[i];
      if (e) {
        out.set(e, at);
        at += e.byteLength;
      } else if (typeof x === "object" && "src" in x) {
        const n = io.encodeBase64Into(x.src, out, at);
        const lazy = lazySources.get(x.payload);
        if (lazy) lazy.written = out.subarray(at, at + n);
        at += n;
      } else at += io.writeAscii(x.ascii, out, at);
    });
    return out;
  };
  return { byteLength, bytes: bytes3, json: () => built ? ascii.decode(built) : json2(), jsonIsCostly: hasSrc };
}

// src/core/fileserver/fetch-backoff.ts
var DEFAULT_FETCH_TIMEOUT_MS = 3e4;
var sleep = (ms) => new Promise((r) => setTimeout(r, ms));
var retryable = (status) => status === 404 || status === 408 || status === 425 || status === 429 || status >= 500;
function makeFetchWithBackoff(runtime, defaults = {}) {
  return async function fetchWithBackoff2(url, max_retries = 5, base_delay = 100, max_delay = 5e3, correlation_id = "", opts = {}) {
    const trace = opts.trace ?? defaults.trace ?? (() => {
    });
    const timeout = opts.timeout_ms ?? defaults.timeout_ms ?? DEFAULT_FETCH_TIMEOUT_MS;
    if (!/^https?:\/\//i.test(url)) {
      throw new NatsBridgeError("INVALID_ENVELOPE", `refusing to download a non-http(s) URL: ${url}`, { correlation_id });
    }
    const attempts = Math.max(1, Math.floor(max_retries));
    let delay = base_delay;
    let last = "";
    let made = 0;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), timeout);
      let permanent = false;
      made = attempt;
      try {
        const res = await runtime.fetch(url, { signal: ctl.signal, redirect: "manual" });
        if (res.status === 200) {
          const body = asBytes(await res.arrayBuffer());
          trace(correlation_id, () => `Successfully fetched data from ${url} on attempt ${attempt}`);
          return body;
        }
        await res.arrayBuffer().catch(() => void 0);
        last = `HTTP ${res.status}`;
        permanent = !retryable(res.status);
      } catch (e) {
        last = ctl.signal.aborted ? `timed out after ${timeout} ms` : e?.message ?? String(e);
      } finally {
        clearTimeout(timer);
      }
      trace(correlation_id, () => `Attempt ${attempt} failed: ${last}`);
      if (permanent) break;
      if (attempt < attempts) {
        await sleep(delay);
        delay = Math.min(delay * 2, max_delay);
      }
    }
    throw new NatsBridgeError("DOWNLOAD_FAILED", `Failed to fetch ${url} after ${made} attempt(s): ${last}`, {
      correlation_id,
      details: { url, attempts: made, last }
    });
  };
}

// src/core/fileserver/plik.ts
var trimSlash = (u) => u.replace(/\/+$/, "");
function plikFileName(dataname) {
  const name = dataname.replace(/[\/\\"\u0000-\u001f\u007f]/g, "_");
  return name === "" || name === "." || name === ".." ? "payload" : name;
}
function makePlikUploader(runtime, opts = {}) {
  const oneShot = opts.oneShot ?? true;
  return async (fileserver_url, dataname, data) => {
    const base = trimSlash(fileserver_url);
    const fileName = plikFileName(dataname);
    const fail = (step, why, cause) => new NatsBridgeError("UPLOAD_FAILED", `upload of ${JSON.stringify(dataname)} to ${base} failed at ${step}: ${why}`, {
      cause,
      details: { fileserver_url: base, dataname, step }
    });
    const body = { OneShot: oneShot };
    if (opts.ttl !== void 0) body.TTL = opts.ttl;
    const created = await postJson(runtime, `${base}/upload`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...opts.headers },
      body: JSON.stringify(body)
    }).catch((e) => {
      throw fail("POST /upload", e.message, e);
    });
    const uploadid = created.json?.id;
    const token = created.json?.uploadToken;
    if (typeof uploadid !== "string" || typeof token !== "string") throw fail("POST /upload", "response has no id/uploadToken");
    const form = new runtime.FormData();
    form.append("file", new runtime.Blob([data], { type: "application/octet-stream" }), fileName);
    const posted = await postJson(runtime, `${base}/file/${encodeURIComponent(uploadid)}`, {
      method: "POST",
      headers: { "X-UploadToken": token, ...opts.headers },
      body: form
    }).catch((e) => {
      throw fail(`POST /file/${uploadid}`, e.message, e);
    });
    const fileid = posted.json?.id;
    if (typeof fileid !== "string") throw fail(`POST /file/${uploadid}`, "response has no file id");
    const url = `${base}/file/${encodeURIComponent(uploadid)}/${encodeURIComponent(fileid)}/${encodeURIComponent(fileName)}`;
    return { status: posted.status, uploadid, fileid, url };
  };
}
async function postJson(runtime, url, init) {
  const res = await runtime.fetch(url, init);
  const text3 = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}${text3 ? `: ${text3.slice(0, 200)}` : ""}`);
  try {
    return { status: res.status, json: JSON.parse(text3) };
  } catch {
    throw new Error(`HTTP ${res.status} with a body that is not JSON`);
  }
}

// src/core/json.ts
var TOKENS = /"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![.\deE])/g;
var freshMark = () => `\0natsbridge-bigint-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}:`;
function parseJson(text3) {
  const value = JSON.parse(text3);
  return hasUnsafeInteger(value) ? parseExact(text3) : value;
}
function hasUnsafeInteger(v) {
  if (typeof v === "number") return Number.isInteger(v) && !Number.isSafeInteger(v);
  if (typeof v !== "object" || v === null) return false;
  if (Array.isArray(v)) {
    for (const x of v) if (hasUnsafeInteger(x)) return true;
    return false;
  }
  for (const k in v) if (hasUnsafeInteger(v[k])) return true;
  return false;
}
function parseExact(text3) {
  const MARK = freshMark();
  let unsafe = false;
  const marked = text3.replace(TOKENS, (tok) => {
    if (tok[0] === '"' || Number.isSafeInteger(Number(tok))) return tok;
    unsafe = true;
    return JSON.stringify(MARK + tok);
  });
  if (!unsafe) return JSON.parse(text3);
  return JSON.parse(marked, (_k, v) => typeof v === "string" && v.startsWith(MARK) ? BigInt(v.slice(MARK.length)) : v);
}
function stringifyJson(value) {
  let out;
  try {
    out = JSON.stringify(value);
  } catch (e) {
    if (!(e instanceof TypeError) || !/BigInt/i.test(e.message)) throw e;
    return stringifyWithBigInts(value);
  }
  if (out === void 0) throw new TypeError("value is not representable as JSON");
  return out;
}
function stringifyWithBigInts(value) {
  const MARK = freshMark();
  const out = JSON.stringify(value, (_k, v) => typeof v === "bigint" ? MARK + v.toString() : v);
  const escaped = JSON.stringify(MARK).slice(1, -1).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return out.replace(new RegExp(`"${escaped}(-?\\d+)"`, "g"), "$1");
}

// src/core/bulk-json.ts
var KEY = '"data":"';
var MIN_BULK = 16 * 1024;
var utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
function decodeText(bytes3) {
  try {
    return utf8.decode(bytes3);
  } catch (e) {
    throw new NatsBridgeError("INVALID_ENVELOPE", "message is not UTF-8 text", { cause: e });
  }
}
function parse(text3) {
  try {
    return parseJson(text3);
  } catch (e) {
    throw new NatsBridgeError("INVALID_ENVELOPE", `message is not valid JSON: ${e.message}`, { cause: e });
  }
}
function parseJsonText(text3, plain2 = false) {
  const bulk = /* @__PURE__ */ new Map();
  if (plain2 || text3.length < MIN_BULK) return { value: parse(text3), bulk };
  const tag = `\\u0000natsbridge-bulk-${Math.random().toString(36).slice(2)}-`;
  let cut = "";
  let from = 0;
  for (let i = text3.indexOf(KEY); i >= 0; i = text3.indexOf(KEY, i + 1)) {
    const start = i + KEY.length;
    const end = text3.indexOf('"', start);
    if (end < 0) break;
    if (end - start >= MIN_BULK && text3.lastIndexOf("\\", end) < start) {
      const placeholder = `${tag}${bulk.size}`;
      cut += text3.slice(from, start) + placeholder;
      bulk.set(JSON.parse(`"${placeholder}"`), text3.slice(start, end));
      from = end;
    }
    i = end;
  }
  if (bulk.size === 0) return { value: parse(text3), bulk };
  return { value: parse(cut + text3.slice(from)), bulk };
}
function bulkOnlyInDirectData(payloads, bulk) {
  let found = 0;
  for (const p of payloads) if (p.transport === "direct" && bulk.has(p.data)) found++;
  return found === bulk.size;
}
var KEY_BYTES = [34, 100, 97, 116, 97, 34, 58, 34];
var QUOTE = 34;
function parseJsonBytes(bytes3, decodeBase64, indexOfByte) {
  if (!decodeBase64 || bytes3.byteLength < MIN_BULK) return null;
  const bulk = /* @__PURE__ */ new Map();
  const tag = `\\u0000natsbridge-bulk-${Math.random().toString(36).slice(2)}-`;
  let text3 = "";
  let from = 0;
  for (let i = indexOfByte(bytes3, QUOTE, 0); i >= 0; i = indexOfByte(bytes3, QUOTE, i + 1)) {
    let k = 1;
    while (k < KEY_BYTES.length && bytes3[i + k] === KEY_BYTES[k]) k++;
    if (k < KEY_BYTES.length) continue;
    const start = i + KEY_BYTES.length;
    const end = indexOfByte(bytes3, QUOTE, start);
    if (end < 0) return null;
    if (end - start >= MIN_BULK) {
      const decoded = decodeBase64(bytes3.subarray(start, end));
      if (!decoded) return null;
      const placeholder = `${tag}${bulk.size}`;
      text3 += decodeText(bytes3.subarray(from, start)) + placeholder;
      bulk.set(JSON.parse(`"${placeholder}"`), decoded);
      from = end;
    }
    i = end;
  }
  if (bulk.size === 0) return null;
  return { value: parse(text3 + decodeText(bytes3.subarray(from))), bulk };
}

// src/core/base64.ts
var STRICT = /^[A-Za-z0-9+/]*={0,2}$/;
var HAS_WHITESPACE = /[\t\n\r ]/;
var WHITESPACE = /[\t\n\r ]/g;
function normalizeBase64(text3) {
  const s = HAS_WHITESPACE.test(text3) ? text3.replace(WHITESPACE, "") : text3;
  if (!STRICT.test(s)) return null;
  const pad = s.length % 4;
  if (pad === 1) return null;
  const eq = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  if (eq > 0) return pad === 0 ? s : null;
  return pad === 0 ? s : s + "=".repeat(4 - pad);
}
function decodeBase64Strict(text3, decode2) {
  const n = text3.length;
  const eq = text3.charCodeAt(n - 1) === 61 ? text3.charCodeAt(n - 2) === 61 ? 2 : 1 : 0;
  if (n % 4 !== 1 && text3.indexOf("-") < 0 && text3.indexOf("_") < 0) {
    try {
      const out = decode2(text3);
      if (out.byteLength === Math.floor((n - eq) * 3 / 4) && (eq === 0 || n % 4 === 0)) return out;
    } catch {
    }
  }
  const canonical = normalizeBase64(text3);
  return canonical === null ? null : decode2(canonical);
}

// node_modules/zod/v4/core/util.js
function jsonStringifyReplacer(_, value) {
  if (typeof value === "bigint")
    return value.toString();
  return value;
}
var Cached = class {
  constructor(getter) {
    this._getter = getter;
    this._value = void 0;
  }
  get value() {
    const getter = this._getter;
    if (getter !== void 0) {
      this._value = getter();
      this._getter = void 0;
    }
    return this._value;
  }
};
function cached(getter) {
  return new Cached(getter);
}
function cleanRegex(source) {
  const start = source.startsWith("^") ? 1 : 0;
  const end = source.endsWith("$") ? source.length - 1 : source.length;
  return source.slice(start, end);
}
function assignProp(target, prop, value) {
  Object.defineProperty(target, prop, {
    value,
    writable: true,
    enumerable: true,
    configurable: true
  });
}
var captureStackTrace = "captureStackTrace" in Error ? Error.captureStackTrace : (..._args) => {
};
function isObject(data) {
  return typeof data === "object" && data !== null && !Array.isArray(data);
}
function isPlainObject(o) {
  if (isObject(o) === false)
    return false;
  const ctor = o.constructor;
  if (ctor === void 0)
    return true;
  if (typeof ctor !== "function")
    return true;
  const prot = ctor.prototype;
  if (isObject(prot) === false)
    return false;
  if (Object.prototype.hasOwnProperty.call(prot, "isPrototypeOf") === false) {
    return false;
  }
  return true;
}
function clone(inst, def, params) {
  const cl = new inst._zod.constr(def ?? inst._zod.def);
  if (!def || params?.parent)
    cl._zod.parent = inst;
  return cl;
}
function normalizeParams(_params) {
  const params = _params;
  if (!params)
    return {};
  if (typeof params === "string")
    return { error: () => params };
  if (params?.message !== void 0) {
    if (params?.error !== void 0)
      throw new Error("Cannot specify both `message` and `error` params");
    params.error = params.message;
  }
  delete params.message;
  if (typeof params.error === "string")
    return { ...params, error: () => params.error };
  return params;
}
function optionalKeys(shape) {
  return Object.keys(shape).filter((k) => {
    return shape[k]._zod.optin !== void 0 && shape[k]._zod.optout === "optional";
  });
}
var NUMBER_FORMAT_RANGES = /* @__PURE__ */ (() => ({
  safeint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  float32: [-34028234663852886e22, 34028234663852886e22],
  float64: [-Number.MAX_VALUE, Number.MAX_VALUE]
}))();
function aborted(x, startIndex = 0) {
  if (x.aborted === true)
    return true;
  for (let i = startIndex; i < x.issues.length; i++) {
    if (x.issues[i]?.continue !== true) {
      return true;
    }
  }
  return false;
}
function explicitlyAborted(x, startIndex = 0) {
  if (x.aborted === true)
    return true;
  for (let i = startIndex; i < x.issues.length; i++) {
    if (x.issues[i]?.continue === false) {
      return true;
    }
  }
  return false;
}
function prefixIssues(path, issues) {
  return issues.map((iss) => {
    var _a2;
    (_a2 = iss).path ?? (_a2.path = []);
    iss.path.unshift(path);
    return iss;
  });
}
function unwrapMessage(message) {
  return typeof message === "string" ? message : message?.message;
}
function sizeCaps(defChecks) {
  const caps = [];
  for (const ch of defChecks ?? []) {
    const d = ch._zod.def;
    if (!/_(length|size)$|_equals$/.test(d.check))
      break;
    const max = d.maximum ?? d.length ?? d.size;
    if (max >= 0)
      caps.push([max, ch]);
  }
  return caps;
}
function attachSchema(issues, start, inst) {
  var _a2;
  for (let i = start; i < issues.length; i++) {
    (_a2 = issues[i]).schema ?? (_a2.schema = inst);
  }
}
function finalizeIssue(iss, ctx, config2) {
  var _a2;
  const traits = iss.inst?._zod?.traits;
  if (traits?.has("$ZodType")) {
    if (traits.has("$ZodCheck"))
      (_a2 = iss).schema ?? (_a2.schema = iss.inst);
    else
      iss.schema = iss.inst;
  }
  const schemaError = iss.schema !== iss.inst ? iss.schema?._zod.def?.error : void 0;
  const message = iss.message ? iss.message : unwrapMessage(iss.inst?._zod.def?.error?.(iss)) ?? unwrapMessage(schemaError?.(iss)) ?? unwrapMessage(ctx?.error?.(iss)) ?? unwrapMessage(config2.customError?.(iss)) ?? unwrapMessage(config2.localeError?.(iss)) ?? "Invalid input";
  const full = {};
  for (const k of Object.keys(iss)) {
    if (k === "inst" || k === "schema" || k === "continue" || k === "input" || k === "__proto__")
      continue;
    full[k] = iss[k];
  }
  full.path ?? (full.path = []);
  full.message = message;
  if (ctx?.reportInput) {
    full.input = iss.input;
  }
  return full;
}
function members(proto, table) {
  for (const key in table) {
    const desc = Object.getOwnPropertyDescriptor(table, key);
    if (desc.get)
      Object.defineProperty(proto, key, { ...desc, enumerable: false });
    else
      defineBound(proto, key, desc.value);
  }
}
function own(inst, key, value, enumerable = true) {
  Object.defineProperty(inst, key, { configurable: true, writable: true, enumerable, value });
  return value;
}
function hide(inst, key, value) {
  return own(inst, key, value, false);
}
function defineBound(proto, key, fn) {
  Object.defineProperty(proto, key, {
    configurable: true,
    get() {
      return this == null ? fn : own(this, key, fn.bind(this));
    },
    set(value) {
      own(this, key, value);
    }
  });
}
function claim(inst, sentinel) {
  const proto = Object.getPrototypeOf(inst);
  return sentinel in proto ? void 0 : proto;
}
var installing;
var broke = false;
var breaker = {
  configurable: true,
  get() {
    broke = true;
    return void 0;
  }
};
function defineLazyInternal(inst, key, compute) {
  const proto = Object.getPrototypeOf(inst._zod);
  if (key in proto && installing !== inst._zod) {
    installing = void 0;
    return;
  }
  installing = inst._zod;
  Object.defineProperty(proto, key, {
    configurable: true,
    get() {
      Object.defineProperty(this, key, breaker);
      const outer = broke;
      broke = false;
      try {
        const value = compute(this);
        if (broke)
          delete this[key];
        else
          Object.defineProperty(this, key, { configurable: true, writable: true, value });
        broke = broke || outer;
        return value;
      } catch (err) {
        delete this[key];
        broke = broke || outer;
        throw err;
      }
    },
    set(value) {
      Object.defineProperty(this, key, { configurable: true, writable: true, value });
    }
  });
}
function installLazyProp(inst, key, make, enumerable) {
  const proto = claim(inst, key);
  if (!proto)
    return;
  Object.defineProperty(proto, key, {
    configurable: true,
    get() {
      const desc = { configurable: true, writable: true, enumerable, value: void 0 };
      Object.defineProperty(this, key, desc);
      desc.value = make(this);
      Object.defineProperty(this, key, desc);
      return desc.value;
    },
    set(value) {
      Object.defineProperty(this, key, { configurable: true, writable: true, enumerable, value });
    }
  });
}

// node_modules/zod/v4/core/core.js
var _a;
var _zodDesc = { value: void 0, enumerable: false };
var _E = "captureStackTrace" in Error ? Error : null;
function newError(Definition) {
  const E = _E;
  if (E) {
    const saved = E.stackTraceLimit;
    if (typeof saved === "number") {
      try {
        E.stackTraceLimit = 0;
      } catch {
        _E = null;
        return new Definition();
      }
      try {
        return new Definition();
      } finally {
        E.stackTraceLimit = saved;
      }
    }
  }
  return new Definition();
}
// @__NO_SIDE_EFFECTS__
function $constructor(name, initializer2, proto, params) {
  const zodProto = {};
  function Internals(def) {
    this.def = def;
    this.constr = _;
    this.traits = /* @__PURE__ */ new Set();
  }
  Internals.prototype = zodProto;
  const protoMembers = proto;
  const initialized = protoMembers && /* @__PURE__ */ new WeakSet();
  function init(inst, def) {
    if (!inst._zod) {
      _zodDesc.value = new Internals(def);
      try {
        Object.defineProperty(inst, "_zod", _zodDesc);
      } finally {
        _zodDesc.value = void 0;
      }
    } else if (inst._zod.traits.has(name)) {
      return;
    }
    inst._zod.traits.add(name);
    initializer2(inst, def);
    if (initialized) {
      const own2 = Object.getPrototypeOf(inst);
      const ctorProto = inst._zod.constr.prototype;
      let up = own2;
      while (up && up !== ctorProto)
        up = Object.getPrototypeOf(up);
      const target = up ?? own2;
      if (!initialized.has(target)) {
        initialized.add(target);
        members(target, protoMembers);
      }
    }
    const proto2 = _.prototype;
    for (const k in proto2) {
      if (!Object.prototype.hasOwnProperty.call(proto2, k))
        continue;
      if (!(k in inst)) {
        inst[k] = proto2[k].bind(inst);
      }
    }
  }
  const Parent = params?.Parent ?? Object;
  class Definition extends Parent {
  }
  Object.defineProperty(Definition, "name", { value: name });
  function _(def) {
    const inst = params?.Parent ? newError(Definition) : this;
    init(inst, def);
    const deferred = inst._zod.deferred;
    if (deferred) {
      for (const fn of deferred) {
        fn();
      }
      inst._zod.deferred = void 0;
    }
    const pp = globalThis.__zod_globalConfig?.postProcessor;
    if (pp)
      pp(inst);
    return inst;
  }
  Object.defineProperty(_, "init", { value: init });
  Object.defineProperty(_, Symbol.hasInstance, {
    value: (inst) => {
      if (params?.Parent && inst instanceof params.Parent)
        return true;
      return inst?._zod?.traits?.has(name);
    }
  });
  Object.defineProperty(_, "name", { value: name });
  return _;
}
var $ZodAsyncError = class extends Error {
  constructor() {
    super(`Encountered Promise during synchronous parse. Use .parseAsync() instead.`);
  }
};
var $ZodEncodeError = class extends Error {
  constructor(name) {
    super(`Encountered unidirectional transform during encode: ${name}`);
    this.name = "ZodEncodeError";
  }
};
(_a = globalThis).__zod_globalConfig ?? (_a.__zod_globalConfig = {});
var globalConfig = globalThis.__zod_globalConfig;
function config(newConfig) {
  if (newConfig)
    Object.assign(globalConfig, newConfig);
  return globalConfig;
}

// node_modules/zod/v4/core/errors.js
function _getMessage() {
  const internals = this._zod;
  internals.message ?? (internals.message = JSON.stringify(internals.def, jsonStringifyReplacer, 2));
  return internals.message;
}
function _setMessage(value) {
  this._zod.message = value;
}
var _messageDesc = {
  get: _getMessage,
  set: _setMessage,
  enumerable: true,
  configurable: true
};
var _issuesDesc = { value: void 0, enumerable: false };
var _installedToString = /* @__PURE__ */ new WeakSet([Object.prototype, Error.prototype]);
var initializer = (inst, def) => {
  inst.name = "$ZodError";
  _issuesDesc.value = def;
  Object.defineProperty(inst, "issues", _issuesDesc);
  _issuesDesc.value = void 0;
  Object.defineProperty(inst, "message", _messageDesc);
  const proto = Object.getPrototypeOf(inst);
  if (!_installedToString.has(proto)) {
    _installedToString.add(proto);
    Object.defineProperty(proto, "toString", {
      configurable: true,
      enumerable: false,
      get() {
        const value = () => this.message;
        Object.defineProperty(this, "toString", { value, configurable: true, writable: true });
        return value;
      },
      set(value) {
        Object.defineProperty(this, "toString", { value, configurable: true, writable: true });
      }
    });
  }
};
var $ZodError = $constructor("$ZodError", initializer);
var $ZodRealError = $constructor("$ZodError", initializer, void 0, {
  Parent: Error
});

// node_modules/zod/v4/core/parse.js
var _parse = (_Err) => {
  const fn = (schema, value, _ctx, _params) => {
    const ctx = _ctx ? { ..._ctx, async: false } : { async: false };
    const result = schema._zod.run({ value, issues: [] }, ctx);
    if (result instanceof Promise) {
      throw new $ZodAsyncError();
    }
    if (result.issues.length) {
      const e = new (_params?.Err ?? _Err)(result.issues.map((iss) => finalizeIssue(iss, ctx, config())));
      captureStackTrace(e, _params?.callee ?? fn);
      throw e;
    }
    return result.value;
  };
  return fn;
};
var parse2 = /* @__PURE__ */ _parse($ZodRealError);
var _parseAsync = (_Err) => {
  const fn = async (schema, value, _ctx, params) => {
    const ctx = _ctx ? { ..._ctx, async: true } : { async: true };
    let result = schema._zod.run({ value, issues: [] }, ctx);
    if (result instanceof Promise)
      result = await result;
    if (result.issues.length) {
      const e = new (params?.Err ?? _Err)(result.issues.map((iss) => finalizeIssue(iss, ctx, config())));
      captureStackTrace(e, params?.callee ?? fn);
      throw e;
    }
    return result.value;
  };
  return fn;
};
var parseAsync = /* @__PURE__ */ _parseAsync($ZodRealError);
var _safeParse = (_Err) => (schema, value, _ctx) => {
  const ctx = _ctx ? { ..._ctx, async: false } : { async: false };
  const result = schema._zod.run({ value, issues: [] }, ctx);
  if (result instanceof Promise) {
    throw new $ZodAsyncError();
  }
  return result.issues.length ? failure(_Err, result.issues, ctx) : { success: true, data: result.value };
};
var safeParse = /* @__PURE__ */ _safeParse($ZodRealError);
function failure(Err, issues, ctx) {
  let error;
  return {
    success: false,
    get error() {
      if (!error) {
        error = new Err(issues.map((iss) => finalizeIssue(iss, ctx, config())));
        issues = void 0;
        ctx = void 0;
      }
      return error;
    },
    set error(e) {
      error = e;
      issues = void 0;
      ctx = void 0;
    }
  };
}
var _safeParseAsync = (_Err) => async (schema, value, _ctx) => {
  const ctx = _ctx ? { ..._ctx, async: true } : { async: true };
  let result = schema._zod.run({ value, issues: [] }, ctx);
  if (result instanceof Promise)
    result = await result;
  return result.issues.length ? failure(_Err, result.issues, ctx) : { success: true, data: result.value };
};
var safeParseAsync = /* @__PURE__ */ _safeParseAsync($ZodRealError);

// node_modules/zod/v4/core/regexes.js
var anyString = /^[\s\S]{0,}$/;
var number = /^-?\d+(?:\.\d+)?$/;

// node_modules/zod/v4/core/checks.js
var $ZodCheck = /* @__PURE__ */ $constructor("$ZodCheck", (inst, def) => {
  var _a2;
  inst._zod ?? (inst._zod = {});
  inst._zod.def = def;
  (_a2 = inst._zod).onattach ?? (_a2.onattach = []);
});
var numericOriginMap = {
  number: "number",
  bigint: "bigint",
  object: "date"
};
var $ZodCheckGreaterThan = /* @__PURE__ */ $constructor("$ZodCheckGreaterThan", (inst, def) => {
  $ZodCheck.init(inst, def);
  const origin = numericOriginMap[typeof def.value];
  inst._zod.check = (payload) => {
    if (def.inclusive ? payload.value >= def.value : payload.value > def.value) {
      return;
    }
    payload.issues.push({
      origin: numericOriginMap[typeof payload.value] ?? origin,
      code: "too_small",
      minimum: typeof def.value === "object" ? def.value.getTime() : def.value,
      input: payload.value,
      inclusive: def.inclusive,
      inst,
      continue: !def.abort
    });
  };
});
var $ZodCheckNumberFormat = /* @__PURE__ */ $constructor("$ZodCheckNumberFormat", (inst, def) => {
  $ZodCheck.init(inst, def);
  def.format = def.format || "float64";
  const isInt = def.format?.includes("int");
  const origin = isInt ? "int" : "number";
  const [minimum, maximum] = NUMBER_FORMAT_RANGES[def.format];
  inst._zod.check = (payload) => {
    const input = payload.value;
    if (isInt) {
      if (!Number.isInteger(input)) {
        payload.issues.push({
          expected: origin,
          format: def.format,
          code: "invalid_type",
          continue: false,
          input,
          inst
        });
        return;
      }
      if (!Number.isSafeInteger(input)) {
        if (input > 0) {
          payload.issues.push({
            input,
            code: "too_big",
            maximum: Number.MAX_SAFE_INTEGER,
            note: "Integers must be within the safe integer range.",
            inst,
            origin,
            inclusive: true,
            continue: !def.abort
          });
        } else {
          payload.issues.push({
            input,
            code: "too_small",
            minimum: Number.MIN_SAFE_INTEGER,
            note: "Integers must be within the safe integer range.",
            inst,
            origin,
            inclusive: true,
            continue: !def.abort
          });
        }
        return;
      }
    }
    if (input < minimum) {
      payload.issues.push({
        origin: "number",
        input,
        code: "too_small",
        minimum,
        inclusive: true,
        inst,
        continue: !def.abort
      });
    }
    if (input > maximum) {
      payload.issues.push({
        origin: "number",
        input,
        code: "too_big",
        maximum,
        inclusive: true,
        inst,
        continue: !def.abort
      });
    }
  };
});
var $ZodCheckStringFormat = /* @__PURE__ */ $constructor("$ZodCheckStringFormat", (inst, def) => {
  var _a2, _b;
  $ZodCheck.init(inst, def);
  if (def.pattern)
    (_a2 = inst._zod).check ?? (_a2.check = (payload) => {
      def.pattern.lastIndex = 0;
      if (def.pattern.test(payload.value))
        return;
      payload.issues.push({
        origin: "string",
        code: "invalid_format",
        format: def.format,
        input: payload.value,
        ...def.pattern ? { pattern: def.pattern.toString() } : {},
        inst,
        continue: !def.abort
      });
    });
  else
    (_b = inst._zod).check ?? (_b.check = () => {
    });
});
var $ZodCheckRegex = /* @__PURE__ */ $constructor("$ZodCheckRegex", (inst, def) => {
  $ZodCheckStringFormat.init(inst, def);
  inst._zod.check = (payload) => {
    def.pattern.lastIndex = 0;
    if (def.pattern.test(payload.value))
      return;
    payload.issues.push({
      origin: "string",
      code: "invalid_format",
      format: "regex",
      input: payload.value,
      pattern: def.pattern.toString(),
      inst,
      continue: !def.abort
    });
  };
});

// node_modules/zod/v4/core/versions.js
var version = {
  major: 4,
  minor: 6,
  patch: 7
};

// node_modules/zod/v4/core/schemas.js
var $ZodType = /* @__PURE__ */ $constructor("$ZodType", (inst, def) => {
  var _a2;
  inst ?? (inst = {});
  inst._zod.def = def;
  inst._zod.bag = inst._zod.bag || {};
  inst._zod.version = version;
  const defChecks = inst._zod.def.checks;
  const checks = inst._zod.traits.has("$ZodCheck") ? [inst, ...defChecks ?? []] : defChecks?.length ? [...defChecks] : [];
  for (const ch of checks) {
    for (const fn of ch._zod.onattach) {
      fn(inst);
    }
  }
  if (checks.length === 0) {
    (_a2 = inst._zod).deferred ?? (_a2.deferred = []);
    inst._zod.deferred?.push(() => {
      inst._zod.run = inst._zod.parse;
    });
  } else {
    const runChecks = (payload, checks2, ctx) => {
      if (payload.memo)
        return payload;
      let isAborted = aborted(payload);
      let asyncResult;
      for (const ch of checks2) {
        if (ch._zod.def.when) {
          if (explicitlyAborted(payload))
            continue;
          const shouldRun = ch._zod.def.when(payload);
          if (!shouldRun)
            continue;
        } else if (isAborted) {
          continue;
        }
        const currLen = payload.issues.length;
        const _ = ch._zod.check(payload);
        if (_ instanceof Promise && ctx?.async === false) {
          throw new $ZodAsyncError();
        }
        if (asyncResult || _ instanceof Promise) {
          asyncResult = (asyncResult ?? Promise.resolve()).then(async () => {
            await _;
            const nextLen = payload.issues.length;
            if (nextLen === currLen)
              return;
            attachSchema(payload.issues, currLen, inst);
            if (!isAborted)
              isAborted = aborted(payload, currLen);
          });
        } else {
          const nextLen = payload.issues.length;
          if (nextLen === currLen)
            continue;
          attachSchema(payload.issues, currLen, inst);
          if (!isAborted)
            isAborted = aborted(payload, currLen);
        }
      }
      if (asyncResult) {
        return asyncResult.then(() => {
          return payload;
        });
      }
      return payload;
    };
    const handleCanaryResult = (canary, payload, ctx) => {
      if (aborted(canary)) {
        canary.aborted = true;
        return canary;
      }
      const checkResult = runChecks(payload, checks, ctx);
      if (checkResult instanceof Promise) {
        if (ctx.async === false)
          throw new $ZodAsyncError();
        return checkResult.then((checkResult2) => inst._zod.parse(checkResult2, ctx));
      }
      return inst._zod.parse(checkResult, ctx);
    };
    inst._zod.run = (payload, ctx) => {
      if (ctx.skipChecks) {
        return inst._zod.parse(payload, ctx);
      }
      if (ctx.direction === "backward") {
        const canary = inst._zod.parse({ value: payload.value, issues: [] }, { ...ctx, skipChecks: true });
        if (canary instanceof Promise) {
          return canary.then((canary2) => {
            return handleCanaryResult(canary2, payload, ctx);
          });
        }
        return handleCanaryResult(canary, payload, ctx);
      }
      const result = inst._zod.parse(payload, ctx);
      if (result instanceof Promise) {
        if (ctx.async === false)
          throw new $ZodAsyncError();
        return result.then((result2) => runChecks(result2, checks, ctx));
      }
      return runChecks(result, checks, ctx);
    };
  }
}, {
  // Wrappers extend this by installing a richer factory over it; reading it eagerly would defeat the laziness.
  get "~standard"() {
    return hide(this, "~standard", standardProps(this));
  },
  set "~standard"(value) {
    own(this, "~standard", value);
  }
});
var toStandardResult = (r, ctx) => r.issues.length ? { issues: r.issues.map((iss) => finalizeIssue(iss, ctx, config())) } : { value: r.value };
async function validateAsync(inst, value) {
  const ctx = { async: true };
  return toStandardResult(await inst._zod.run({ value, issues: [] }, ctx), ctx);
}
function standardProps(inst) {
  return {
    validate: (value) => {
      const ctx = { async: false };
      try {
        const r = inst._zod.run({ value, issues: [] }, ctx);
        if (!(r instanceof Promise))
          return toStandardResult(r, ctx);
      } catch (_) {
      }
      return validateAsync(inst, value);
    },
    vendor: "zod",
    version: 1
  };
}
var $ZodString = /* @__PURE__ */ $constructor("$ZodString", (inst, def) => {
  $ZodType.init(inst, def);
  inst._zod.pattern = def.pattern ?? anyString;
  inst._zod.parse = (payload, _) => {
    if (def.coerce)
      try {
        payload.value = String(payload.value);
      } catch (_2) {
      }
    if (typeof payload.value === "string")
      return payload;
    payload.issues.push({
      expected: "string",
      code: "invalid_type",
      input: payload.value,
      inst
    });
    return payload;
  };
});
var $ZodNumber = /* @__PURE__ */ $constructor("$ZodNumber", (inst, def) => {
  $ZodType.init(inst, def);
  inst._zod.pattern = number;
  inst._zod.parse = (payload, _ctx) => {
    if (def.coerce)
      try {
        payload.value = Number(payload.value);
      } catch (_) {
      }
    const input = payload.value;
    if (typeof input === "number" && !Number.isNaN(input) && Number.isFinite(input)) {
      return payload;
    }
    const received = typeof input === "number" ? Number.isNaN(input) ? "NaN" : !Number.isFinite(input) ? String(input) : void 0 : void 0;
    payload.issues.push({
      expected: "number",
      code: "invalid_type",
      input,
      inst,
      ...received ? { received } : {}
    });
    return payload;
  };
});
var $ZodNumberFormat = /* @__PURE__ */ $constructor("$ZodNumberFormat", (inst, def) => {
  $ZodCheckNumberFormat.init(inst, def);
  $ZodNumber.init(inst, def);
});
var $ZodUnknown = /* @__PURE__ */ $constructor("$ZodUnknown", (inst, def) => {
  $ZodType.init(inst, def);
  inst._zod.parse = (payload) => payload;
});
function capSize(inst, size) {
  const caps = sizeCaps(inst._zod.def.checks);
  if (!caps.length)
    return;
  const cap = Math.min(...caps.map((c) => c[0]));
  const parse3 = inst._zod.parse;
  inst._zod.parse = (payload, ctx) => {
    const n = size(payload.value);
    if (n > cap && !ctx?.skipChecks && ctx?.direction !== "backward") {
      for (const [max, ch] of sizeCaps(inst._zod.def.checks)) {
        if (n > max && ch._zod.def.when(payload)) {
          const start = payload.issues.length;
          ch._zod.check(payload);
          payload.issues[start].continue = false;
          attachSchema(payload.issues, start, inst);
          return payload;
        }
      }
    }
    return parse3(payload, ctx);
  };
}
var arraySize = (input) => Array.isArray(input) ? input.length : -1;
function handleArrayResult(result, final, index) {
  if (result.issues.length) {
    final.issues.push(...prefixIssues(index, result.issues));
  }
  final.value[index] = result.value;
}
var $ZodArray = /* @__PURE__ */ $constructor("$ZodArray", (inst, def) => {
  $ZodType.init(inst, def);
  const memo = globalConfig.memoizer;
  memo?.attach(inst);
  inst._zod.parse = (payload, ctx) => {
    const input = payload.value;
    if (!Array.isArray(input)) {
      payload.issues.push({
        expected: "array",
        code: "invalid_type",
        input,
        inst
      });
      return payload;
    }
    payload.value = memo ? memo.alloc(inst, payload, Array(input.length), ctx) : Array(input.length);
    const proms = [];
    const abortEarly = ctx?.abortEarly;
    for (let i = 0; i < input.length; i++) {
      const item = input[i];
      const result = def.element._zod.run({
        value: item,
        issues: []
      }, ctx);
      if (result instanceof Promise) {
        proms.push(result.then((result2) => handleArrayResult(result2, payload, i)));
      } else {
        handleArrayResult(result, payload, i);
        if (abortEarly && result.issues.length !== 0 && aborted(result))
          break;
      }
    }
    if (proms.length) {
      return Promise.all(proms).then(() => payload);
    }
    return payload;
  };
  capSize(inst, arraySize);
});
function handlePropertyResult(result, final, key, input, optin, optout) {
  const isPresent = key in input;
  const isOptionalOut = optout === "optional";
  if (!isPresent && isOptionalOut && optin === "optional") {
    return;
  }
  if (result.issues.length) {
    if (optin !== void 0 && isOptionalOut && !isPresent) {
      return;
    }
    final.issues.push(...prefixIssues(key, result.issues));
  }
  if (!isPresent && optin === void 0) {
    if (!result.issues.length) {
      final.issues.push({
        code: "invalid_type",
        expected: "nonoptional",
        input: void 0,
        path: [key]
      });
    }
    return;
  }
  if (result.value === void 0) {
    if (isPresent || optin === "defaulted" && !isOptionalOut) {
      final.value[key] = void 0;
    }
  } else {
    final.value[key] = result.value;
  }
}
var NO_SYMBOL_KEYS = [];
function normalizeDef(def) {
  const keys = Object.keys(def.shape);
  const ownSymbols = Object.getOwnPropertySymbols(def.shape);
  const symbolKeys = ownSymbols.length ? ownSymbols : NO_SYMBOL_KEYS;
  const allKeys = symbolKeys.length ? [...keys, ...symbolKeys] : keys;
  for (const k of allKeys) {
    if (!def.shape?.[k]?._zod?.traits?.has("$ZodType")) {
      throw new Error(`Invalid element at key "${String(k)}": expected a Zod schema`);
    }
  }
  const okeys = optionalKeys(def.shape);
  return {
    ...def,
    allKeys,
    symbolKeys,
    // string-only: handleCatchall matches it against `for...in`, which never yields a symbol
    keySet: new Set(keys),
    numKeys: keys.length,
    optionalKeys: new Set(okeys)
  };
}
function handleCatchall(proms, input, payload, ctx, def, inst, abortEarly) {
  const unrecognized = [];
  const keySet = def.keySet;
  const _catchall = def.catchall._zod;
  const t = _catchall.def.type;
  const optin = _catchall.optin;
  const optout = _catchall.optout;
  let seen = 0;
  for (const key in input) {
    if (abortEarly && payload.issues.length !== seen) {
      if (aborted(payload, seen))
        break;
      seen = payload.issues.length;
    }
    if (keySet.has(key))
      continue;
    if (key === "__proto__") {
      if (t === "never")
        unrecognized.push(key);
      continue;
    }
    if (t === "never") {
      unrecognized.push(key);
      continue;
    }
    const r = _catchall.run({ value: input[key], issues: [] }, ctx);
    if (r instanceof Promise) {
      proms.push(r.then((r2) => handlePropertyResult(r2, payload, key, input, optin, optout)));
    } else {
      handlePropertyResult(r, payload, key, input, optin, optout);
    }
  }
  if (unrecognized.length) {
    payload.issues.push({
      code: "unrecognized_keys",
      keys: unrecognized,
      input,
      inst,
      // Describes the shape of the input, not the validity of the parsed value, so it never aborts. The parse still fails; the schema's own checks just get to run first, and an enclosing intersection can reconcile the key against a sibling operand.
      continue: true
    });
  }
  if (!proms.length)
    return payload;
  return Promise.all(proms).then(() => {
    return payload;
  });
}
var $ZodObject = /* @__PURE__ */ $constructor("$ZodObject", (inst, def) => {
  $ZodType.init(inst, def);
  const desc = Object.getOwnPropertyDescriptor(def, "shape");
  const sh = desc?.get ? desc.get.raw : def.shape ?? {};
  if (sh) {
    const get = () => {
      const newSh = { ...sh };
      Object.defineProperty(def, "shape", { value: newSh });
      get.raw = newSh;
      return newSh;
    };
    get.raw = sh;
    Object.defineProperty(def, "shape", { get });
  }
  const _normalized = cached(() => normalizeDef(def));
  defineLazyInternal(inst, "propValues", (zod) => {
    const shape = zod.def.shape;
    const propValues = {};
    for (const key in shape) {
      const field = shape[key]._zod;
      if (field.values) {
        if (!Object.prototype.hasOwnProperty.call(propValues, key)) {
          assignProp(propValues, key, /* @__PURE__ */ new Set());
        }
        for (const v of field.values)
          propValues[key].add(v);
        if (field.optin !== void 0)
          propValues[key].add(void 0);
      }
    }
    return propValues;
  });
  const isObject2 = isObject;
  const catchall = def.catchall;
  let value;
  const memo = globalConfig.memoizer;
  memo?.attach(inst);
  inst._zod.parse = (payload, ctx) => {
    value ?? (value = _normalized.value);
    const input = payload.value;
    if (!isObject2(input)) {
      payload.issues.push({
        expected: "object",
        code: "invalid_type",
        input,
        inst
      });
      return payload;
    }
    payload.value = memo ? memo.alloc(inst, payload, {}, ctx) : {};
    const proms = [];
    const shape = value.shape;
    const abortEarly = ctx?.abortEarly;
    let seen = payload.issues.length;
    for (const key of value.allKeys) {
      if (abortEarly && payload.issues.length !== seen) {
        if (aborted(payload, seen))
          break;
        seen = payload.issues.length;
      }
      if (key === "__proto__")
        continue;
      const el = shape[key];
      const optin = el._zod.optin;
      const optout = el._zod.optout;
      const r = el._zod.run({ value: input[key], issues: [] }, ctx);
      if (r instanceof Promise) {
        proms.push(r.then((r2) => handlePropertyResult(r2, payload, key, input, optin, optout)));
      } else {
        handlePropertyResult(r, payload, key, input, optin, optout);
      }
    }
    if (!catchall) {
      return proms.length ? Promise.all(proms).then(() => payload) : payload;
    }
    return handleCatchall(proms, input, payload, ctx, _normalized.value, inst, abortEarly === true);
  };
});
var $ZodRecord = /* @__PURE__ */ $constructor("$ZodRecord", (inst, def) => {
  $ZodType.init(inst, def);
  const memo = globalConfig.memoizer;
  memo?.attach(inst);
  inst._zod.parse = (payload, ctx) => {
    const input = payload.value;
    if (!isPlainObject(input)) {
      payload.issues.push({
        expected: "record",
        code: "invalid_type",
        input,
        inst
      });
      return payload;
    }
    const proms = [];
    const values = def.keyType._zod.values;
    if (values && !def.partial) {
      payload.value = memo ? memo.alloc(inst, payload, {}, ctx) : {};
      const recordKeys = /* @__PURE__ */ new Set();
      for (const key of values) {
        if (typeof key === "string" || typeof key === "number" || typeof key === "symbol") {
          recordKeys.add(typeof key === "number" ? key.toString() : key);
          if (key === "__proto__")
            continue;
          const keyResult = def.keyType._zod.run({ value: key, issues: [] }, ctx);
          if (keyResult instanceof Promise) {
            throw new Error("Async schemas not supported in object keys currently");
          }
          if (keyResult.issues.length) {
            payload.issues.push({
              code: "invalid_key",
              origin: "record",
              issues: keyResult.issues.map((iss) => finalizeIssue(iss, ctx, config())),
              input: key,
              path: [key],
              inst
            });
            continue;
          }
          const outKey = keyResult.value;
          if (outKey === "__proto__")
            continue;
          const result = def.valueType._zod.run({ value: input[key], issues: [] }, ctx);
          if (result instanceof Promise) {
            proms.push(result.then((result2) => {
              if (result2.issues.length) {
                payload.issues.push(...prefixIssues(key, result2.issues));
              }
              payload.value[outKey] = result2.value;
            }));
          } else {
            if (result.issues.length) {
              payload.issues.push(...prefixIssues(key, result.issues));
            }
            payload.value[outKey] = result.value;
          }
        }
      }
      let unrecognized;
      for (const key in input) {
        if (!recordKeys.has(key)) {
          if (def.mode === "loose") {
            if (key === "__proto__")
              continue;
            payload.value[key] = input[key];
          } else {
            unrecognized = unrecognized ?? [];
            unrecognized.push(key);
          }
        }
      }
      if (unrecognized && unrecognized.length > 0) {
        payload.issues.push({
          code: "unrecognized_keys",
          input,
          inst,
          keys: unrecognized,
          continue: true
        });
      }
    } else {
      payload.value = memo ? memo.alloc(inst, payload, {}, ctx) : {};
      let unrecognized;
      for (const key of Reflect.ownKeys(input)) {
        if (key === "__proto__")
          continue;
        if (!Object.prototype.propertyIsEnumerable.call(input, key))
          continue;
        let keyResult = def.keyType._zod.run({ value: key, issues: [] }, ctx);
        if (keyResult instanceof Promise) {
          throw new Error("Async schemas not supported in object keys currently");
        }
        const checkNumericKey = typeof key === "string" && number.test(key) && keyResult.issues.length;
        if (checkNumericKey) {
          const retryResult = def.keyType._zod.run({ value: Number(key), issues: [] }, ctx);
          if (retryResult instanceof Promise) {
            throw new Error("Async schemas not supported in object keys currently");
          }
          if (retryResult.issues.length === 0) {
            keyResult = retryResult;
          }
        }
        if (keyResult.issues.length) {
          if (def.mode === "loose") {
            payload.value[key] = input[key];
          } else if (values) {
            unrecognized = unrecognized ?? [];
            unrecognized.push(key);
          } else {
            payload.issues.push({
              code: "invalid_key",
              origin: "record",
              issues: keyResult.issues.map((iss) => finalizeIssue(iss, ctx, config())),
              input: key,
              path: [key],
              inst
            });
          }
          continue;
        }
        const outKey = keyResult.value;
        if (outKey === "__proto__")
          continue;
        const result = def.valueType._zod.run({ value: input[key], issues: [] }, ctx);
        if (result instanceof Promise) {
          proms.push(result.then((result2) => {
            if (result2.issues.length) {
              payload.issues.push(...prefixIssues(key, result2.issues));
            }
            payload.value[outKey] = result2.value;
          }));
        } else {
          if (result.issues.length) {
            payload.issues.push(...prefixIssues(key, result.issues));
          }
          payload.value[outKey] = result.value;
        }
      }
      if (unrecognized && unrecognized.length > 0) {
        payload.issues.push({
          code: "unrecognized_keys",
          input,
          inst,
          keys: unrecognized,
          continue: true
        });
      }
    }
    if (proms.length) {
      return Promise.all(proms).then(() => payload);
    }
    return payload;
  };
});
var $ZodTransform = /* @__PURE__ */ $constructor("$ZodTransform", (inst, def) => {
  $ZodType.init(inst, def);
  inst._zod.optin = "optional";
  globalConfig.memoizer?.guard(inst);
  inst._zod.parse = (payload, ctx) => {
    if (ctx.direction === "backward") {
      throw new $ZodEncodeError(inst.constructor.name);
    }
    const _out = def.transform(payload.value, payload);
    if (ctx.async) {
      const output = _out instanceof Promise ? _out : Promise.resolve(_out);
      return output.then((output2) => {
        payload.value = output2;
        return payload;
      });
    }
    if (_out instanceof Promise) {
      throw new $ZodAsyncError();
    }
    payload.value = _out;
    return payload;
  };
});
function handleOptionalResult(payload, result) {
  payload.value = result.issues.length ? void 0 : result.value;
  return payload;
}
var $ZodOptional = /* @__PURE__ */ $constructor("$ZodOptional", (inst, def) => {
  $ZodType.init(inst, def);
  defineLazyInternal(inst, "optin", (zod) => zod.def.innerType._zod.optin === "defaulted" ? "defaulted" : "optional");
  inst._zod.optout = "optional";
  defineLazyInternal(inst, "values", (zod) => {
    const values = zod.def.innerType._zod.values;
    return values ? /* @__PURE__ */ new Set([...values, void 0]) : void 0;
  });
  defineLazyInternal(inst, "pattern", (zod) => {
    const pattern = zod.def.innerType._zod.pattern;
    return pattern ? new RegExp(`^(${cleanRegex(pattern.source)})?$`) : void 0;
  });
  inst._zod.parse = (payload, ctx) => {
    if (payload.value === void 0) {
      if (def.innerType._zod.optin !== "defaulted")
        return payload;
      const result = def.innerType._zod.run({ value: payload.value, issues: [] }, ctx);
      if (result instanceof Promise)
        return result.then((result2) => handleOptionalResult(payload, result2));
      return handleOptionalResult(payload, result);
    }
    return def.innerType._zod.run(payload, ctx);
  };
});
var $ZodNullable = /* @__PURE__ */ $constructor("$ZodNullable", (inst, def) => {
  $ZodType.init(inst, def);
  defineLazyInternal(inst, "optin", (zod) => zod.def.innerType._zod.optin);
  defineLazyInternal(inst, "optout", (zod) => zod.def.innerType._zod.optout);
  defineLazyInternal(inst, "pattern", (zod) => {
    const pattern = zod.def.innerType._zod.pattern;
    return pattern ? new RegExp(`^(${cleanRegex(pattern.source)}|null)$`) : void 0;
  });
  defineLazyInternal(inst, "values", (zod) => {
    return zod.def.innerType._zod.values ? /* @__PURE__ */ new Set([...zod.def.innerType._zod.values, null]) : void 0;
  });
  inst._zod.parse = (payload, ctx) => {
    if (payload.value === null)
      return payload;
    return def.innerType._zod.run(payload, ctx);
  };
});
var $ZodPipe = /* @__PURE__ */ $constructor("$ZodPipe", (inst, def) => {
  $ZodType.init(inst, def);
  defineLazyInternal(inst, "values", (zod) => zod.def.in._zod.values);
  defineLazyInternal(inst, "optin", (zod) => zod.def.in._zod.optin);
  defineLazyInternal(inst, "optout", (zod) => zod.def.out._zod.optout);
  defineLazyInternal(inst, "propValues", (zod) => zod.def.in._zod.propValues);
  inst._zod.parse = (payload, ctx) => {
    if (ctx.direction === "backward") {
      const right = def.out._zod.run(payload, ctx);
      if (right instanceof Promise) {
        return right.then((right2) => handlePipeResult(right2, def.in, ctx));
      }
      return handlePipeResult(right, def.in, ctx);
    }
    const left = def.in._zod.run(payload, ctx);
    if (left instanceof Promise) {
      return left.then((left2) => handlePipeResult(left2, def.out, ctx));
    }
    return handlePipeResult(left, def.out, ctx);
  };
});
function handlePipeResult(left, next2, ctx) {
  if (left.issues.some((iss) => iss.code !== "unrecognized_keys")) {
    left.aborted = true;
    return left;
  }
  return next2._zod.run({ value: left.value, issues: left.issues }, ctx);
}

// node_modules/zod/v4/core/api.js
function snapshotChecks(def) {
  if (def.checks)
    def.checks = [...def.checks];
  return def;
}
// @__NO_SIDE_EFFECTS__
function _string(Class, params) {
  return new Class(snapshotChecks({ type: "string", ...normalizeParams(params) }));
}
// @__NO_SIDE_EFFECTS__
function _number(Class, params) {
  return new Class(snapshotChecks({ type: "number", checks: [], ...normalizeParams(params) }));
}
// @__NO_SIDE_EFFECTS__
function _int(Class, params) {
  return new Class({
    type: "number",
    check: "number_format",
    abort: false,
    format: "safeint",
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _unknown(Class) {
  return new Class({
    type: "unknown"
  });
}
// @__NO_SIDE_EFFECTS__
function _gte(value, params) {
  return new $ZodCheckGreaterThan({
    check: "greater_than",
    ...normalizeParams(params),
    value,
    inclusive: true
  });
}
// @__NO_SIDE_EFFECTS__
function _nonnegative(params) {
  return /* @__PURE__ */ _gte(0, params);
}
// @__NO_SIDE_EFFECTS__
function _regex(pattern, params) {
  return new $ZodCheckRegex({
    check: "string_format",
    format: "regex",
    ...normalizeParams(params),
    pattern
  });
}

// node_modules/zod/v4/mini/schemas.js
var ZodMiniType = /* @__PURE__ */ $constructor("ZodMiniType", (inst, def) => {
  if (!inst._zod)
    throw new Error("Uninitialized schema in ZodMiniType.");
  $ZodType.init(inst, def);
  inst.def = def;
  inst.type = def.type;
}, {
  // `with` is an alias for `check`: the same function object, not a wrapper.
  get with() {
    return this.check;
  },
  set with(value) {
    own(this, "with", value);
  },
  parse(data, params) {
    return parse2(this, data, params, { callee: this.parse });
  },
  parseAsync(data, params) {
    return parseAsync(this, data, params, { callee: this.parseAsync });
  },
  safeParse(data, params) {
    return safeParse(this, data, params);
  },
  safeParseAsync(data, params) {
    return safeParseAsync(this, data, params);
  },
  check(...checks) {
    const def = this.def;
    return this.clone({
      ...def,
      checks: [
        ...def.checks ?? [],
        ...checks.map((ch) => typeof ch === "function" ? { _zod: { check: ch, def: { check: "custom" }, onattach: [] } } : ch)
      ]
    }, { parent: true });
  },
  clone(_def, params) {
    return clone(this, _def, params);
  },
  brand() {
    return this;
  },
  register(reg, meta2) {
    reg.add(this, meta2);
    return this;
  },
  apply(fn, ...args) {
    return args.length === 0 ? fn(this) : fn(this, ...args);
  }
});
var ZodMiniString = /* @__PURE__ */ $constructor("ZodMiniString", (inst, def) => {
  $ZodString.init(inst, def);
  ZodMiniType.init(inst, def);
});
// @__NO_SIDE_EFFECTS__
function string2(params) {
  return _string(ZodMiniString, params);
}
var ZodMiniNumber = /* @__PURE__ */ $constructor("ZodMiniNumber", (inst, def) => {
  $ZodNumber.init(inst, def);
  ZodMiniType.init(inst, def);
});
// @__NO_SIDE_EFFECTS__
function number2(params) {
  return _number(ZodMiniNumber, params);
}
var ZodMiniNumberFormat = /* @__PURE__ */ $constructor("ZodMiniNumberFormat", (inst, def) => {
  $ZodNumberFormat.init(inst, def);
  ZodMiniNumber.init(inst, def);
});
function int(params) {
  return _int(ZodMiniNumberFormat, params);
}
var ZodMiniUnknown = /* @__PURE__ */ $constructor("ZodMiniUnknown", (inst, def) => {
  $ZodUnknown.init(inst, def);
  ZodMiniType.init(inst, def);
});
// @__NO_SIDE_EFFECTS__
function unknown() {
  return _unknown(ZodMiniUnknown);
}
var ZodMiniArray = /* @__PURE__ */ $constructor("ZodMiniArray", (inst, def) => {
  $ZodArray.init(inst, def);
  ZodMiniType.init(inst, def);
});
// @__NO_SIDE_EFFECTS__
function array(element, params) {
  return new ZodMiniArray({
    type: "array",
    element,
    ...normalizeParams(params)
  });
}
var ZodMiniObject = /* @__PURE__ */ $constructor("ZodMiniObject", (inst, def) => {
  $ZodObject.init(inst, def);
  ZodMiniType.init(inst, def);
  installLazyProp(inst, "shape", (self) => self._zod.def.shape, false);
});
// @__NO_SIDE_EFFECTS__
function object(shape, params) {
  const def = {
    type: "object",
    shape: shape ?? {},
    ...normalizeParams(params)
  };
  return new ZodMiniObject(def);
}
var ZodMiniRecord = /* @__PURE__ */ $constructor("ZodMiniRecord", (inst, def) => {
  $ZodRecord.init(inst, def);
  ZodMiniType.init(inst, def);
});
// @__NO_SIDE_EFFECTS__
function record(keyType, valueType, params) {
  if (!valueType || !valueType._zod) {
    return new ZodMiniRecord({
      type: "record",
      keyType: /* @__PURE__ */ string2(),
      valueType: keyType,
      ...normalizeParams(valueType)
    });
  }
  return new ZodMiniRecord({
    type: "record",
    keyType,
    valueType,
    ...normalizeParams(params)
  });
}
var ZodMiniTransform = /* @__PURE__ */ $constructor("ZodMiniTransform", (inst, def) => {
  $ZodTransform.init(inst, def);
  ZodMiniType.init(inst, def);
});
// @__NO_SIDE_EFFECTS__
function transform(fn) {
  return new ZodMiniTransform({
    type: "transform",
    transform: fn
  });
}
var ZodMiniOptional = /* @__PURE__ */ $constructor("ZodMiniOptional", (inst, def) => {
  $ZodOptional.init(inst, def);
  ZodMiniType.init(inst, def);
});
// @__NO_SIDE_EFFECTS__
function optional(innerType) {
  return new ZodMiniOptional({
    type: "optional",
    innerType
  });
}
var ZodMiniNullable = /* @__PURE__ */ $constructor("ZodMiniNullable", (inst, def) => {
  $ZodNullable.init(inst, def);
  ZodMiniType.init(inst, def);
});
// @__NO_SIDE_EFFECTS__
function nullable(innerType) {
  return new ZodMiniNullable({
    type: "nullable",
    innerType
  });
}
// @__NO_SIDE_EFFECTS__
function nullish2(innerType) {
  return /* @__PURE__ */ optional(/* @__PURE__ */ nullable(innerType));
}
var ZodMiniPipe = /* @__PURE__ */ $constructor("ZodMiniPipe", (inst, def) => {
  $ZodPipe.init(inst, def);
  ZodMiniType.init(inst, def);
});
// @__NO_SIDE_EFFECTS__
function pipe(in_, out) {
  return new ZodMiniPipe({
    type: "pipe",
    in: in_,
    out
  });
}

// src/core/envelope.ts
var optStr = pipe(nullish2(string2()), transform((v) => v ?? ""));
var optRecord = pipe(
  nullish2(record(string2(), unknown())),
  transform((v) => v ?? {})
);
var ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;
var WirePayloadSchema = object({
  id: optStr,
  dataname: string2(),
  payload_type: optional(string2()),
  /** The older README's name for payload_type. */
  type: optional(string2()),
  transport: string2(),
  encoding: nullish2(string2()),
  size: nullish2(number2().check(int(), _nonnegative())),
  data: string2(),
  metadata: optRecord
});
var WireEnvelopeSchema = object({
  correlation_id: string2(),
  msg_id: string2(),
  timestamp: string2().check(_regex(ISO_DATETIME, "not an ISO 8601 date-time")),
  send_to: string2(),
  msg_purpose: optStr,
  sender_name: optStr,
  sender_id: optStr,
  receiver_name: optStr,
  receiver_id: optStr,
  reply_to: optStr,
  reply_to_msg_id: optStr,
  broker_url: optStr,
  metadata: optRecord,
  payloads: array(WirePayloadSchema)
});
var HEADER_STRINGS = [
  "correlation_id",
  "msg_id",
  "timestamp",
  "send_to",
  "msg_purpose",
  "sender_name",
  "sender_id",
  "receiver_name",
  "receiver_id",
  "reply_to",
  "reply_to_msg_id",
  "broker_url"
];
var PAYLOAD_STRINGS = ["id", "dataname", "payload_type", "transport", "encoding", "data"];
var isRecord = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
function parseCanonicalEnvelope(v) {
  if (!isRecord(v)) return null;
  for (const k of HEADER_STRINGS) if (typeof v[k] !== "string") return null;
  if (!ISO_DATETIME.test(v.timestamp) || !isRecord(v.metadata) || !Array.isArray(v.payloads)) return null;
  const payloads = [];
  for (const p of v.payloads) {
    if (!isRecord(p) || p.type !== void 0 || !isRecord(p.metadata) || !Number.isSafeInteger(p.size) || p.size < 0) return null;
    for (const k of PAYLOAD_STRINGS) if (typeof p[k] !== "string") return null;
    payloads.push({
      id: p.id,
      dataname: p.dataname,
      payload_type: p.payload_type,
      transport: p.transport,
      encoding: p.encoding,
      size: p.size,
      data: p.data,
      metadata: p.metadata
    });
  }
  return {
    correlation_id: v.correlation_id,
    msg_id: v.msg_id,
    timestamp: v.timestamp,
    send_to: v.send_to,
    msg_purpose: v.msg_purpose,
    sender_name: v.sender_name,
    sender_id: v.sender_id,
    receiver_name: v.receiver_name,
    receiver_id: v.receiver_id,
    reply_to: v.reply_to,
    reply_to_msg_id: v.reply_to_msg_id,
    broker_url: v.broker_url,
    metadata: v.metadata,
    payloads
  };
}
function parseEnvelope(value) {
  const canonical = parseCanonicalEnvelope(value);
  if (canonical) return canonical;
  const correlation_id = typeof value === "object" && value !== null && typeof value.correlation_id === "string" ? value.correlation_id : void 0;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new NatsBridgeError("INVALID_ENVELOPE", "envelope must be a JSON object");
  }
  const r = WireEnvelopeSchema.safeParse(value);
  if (!r.success) {
    const issue2 = r.error.issues[0];
    const where = issue2.path.length ? issue2.path.join(".") : "envelope";
    throw new NatsBridgeError("INVALID_ENVELOPE", `invalid envelope field ${where}: ${issue2.message}`, {
      correlation_id,
      details: { issues: r.error.issues }
    });
  }
  return r.data;
}
function payloadTypeOf(p) {
  const t = p.payload_type ?? p.type;
  return t === "table" ? "arrowtable" : t;
}
function buildEnvelope(h, payloads) {
  return {
    correlation_id: h.correlation_id,
    msg_id: h.msg_id,
    timestamp: h.timestamp,
    send_to: h.send_to,
    msg_purpose: h.msg_purpose,
    sender_name: h.sender_name,
    sender_id: h.sender_id,
    receiver_name: h.receiver_name,
    receiver_id: h.receiver_id,
    reply_to: h.reply_to,
    reply_to_msg_id: h.reply_to_msg_id,
    broker_url: h.broker_url,
    metadata: h.metadata,
    payloads
  };
}
function directPayload(id, dataname, payload_type, size, base64) {
  return { id, dataname, payload_type, transport: "direct", encoding: "base64", size, data: base64, metadata: { payload_bytes: size } };
}
function linkPayload(id, dataname, payload_type, size, url) {
  return { id, dataname, payload_type, transport: "link", encoding: "none", size, data: url, metadata: {} };
}

// src/core/log.ts
var silent = () => {
};
var defaultSink = (line) => {
  globalThis.console?.log(line);
};
function makeTrace(option, envFlag) {
  if (option === false || option === void 0 && !isOn(envFlag())) return silent;
  const sink2 = typeof option === "function" ? option : defaultSink;
  return (correlation_id, message) => sink2(`[${(/* @__PURE__ */ new Date()).toISOString()}] [Correlation: ${correlation_id}] ${typeof message === "function" ? message() : message}`);
}
function isOn(flag) {
  return flag !== void 0 && flag !== "" && flag !== "0" && flag.toLowerCase() !== "false";
}

// src/core/serializers/text.ts
var text = {
  serialize(data) {
    if (typeof data !== "string") throw new NatsBridgeError("SERIALIZATION_ERROR", `text data must be a string, got ${describe2(data)}`);
    if (!isWellFormed(data)) throw new NatsBridgeError("SERIALIZATION_ERROR", "text data contains a lone UTF-16 surrogate, which UTF-8 cannot encode");
    return utf8Encode(data);
  },
  deserialize: utf8Decode
};
function describe2(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return v.constructor?.name ?? "an object";
  return typeof v;
}
var LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
function isWellFormed(s) {
  const native = s.isWellFormed;
  return native ? native.call(s) : !LONE_SURROGATE.test(s);
}

// src/core/serializers/dictionary.ts
function encodeJson(data, what) {
  const bad = findNonFinite(data, /* @__PURE__ */ new Set());
  if (bad !== null) throw new NatsBridgeError("SERIALIZATION_ERROR", `${what} data holds ${bad}, which JSON cannot represent`);
  let s;
  try {
    s = stringifyJson(data);
  } catch (e) {
    throw new NatsBridgeError("SERIALIZATION_ERROR", `${what} data is not JSON-serializable: ${e.message}`, { cause: e });
  }
  return utf8Encode(s);
}
function decodeJson(bytes3, what) {
  const s = utf8Decode(bytes3);
  try {
    return parseJson(s);
  } catch (e) {
    throw new NatsBridgeError("DESERIALIZATION_ERROR", `${what} payload is not valid JSON: ${e.message}`, { cause: e });
  }
}
var dictionary = {
  serialize: (data) => encodeJson(data, "dictionary"),
  deserialize: (bytes3) => decodeJson(bytes3, "dictionary")
};
function findNonFinite(v, seen) {
  if (typeof v === "number") return Number.isFinite(v) ? null : String(v);
  if (typeof v !== "object" || v === null || seen.has(v)) return null;
  seen.add(v);
  const items = Array.isArray(v) ? v : Object.values(v);
  for (const x of items) {
    const r = findNonFinite(x, seen);
    if (r !== null) return r;
  }
  return null;
}

// src/core/serializers/jsontable.ts
var jsontable = {
  serialize(data) {
    const rows = toRows(data);
    if (!rows) {
      throw new NatsBridgeError(
        "SERIALIZATION_ERROR",
        "jsontable data must be an array of row objects (or row arrays) or an object of equal-length column arrays"
      );
    }
    return encodeJson(rows, "jsontable");
  },
  deserialize(bytes3) {
    const rows = toRows(decodeJson(bytes3, "jsontable"));
    if (!rows) throw new NatsBridgeError("DESERIALIZATION_ERROR", "jsontable payload is neither an array of rows nor an object of columns");
    return rows;
  }
};
var isRecord2 = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
function toRows(data) {
  if (Array.isArray(data)) {
    return data.every((r) => isRecord2(r) || Array.isArray(r)) ? data : null;
  }
  if (!isRecord2(data)) return null;
  const names = Object.keys(data);
  const cols = names.map((n2) => data[n2]);
  if (!cols.every(Array.isArray)) return null;
  const n = cols.length === 0 ? 0 : cols[0].length;
  if (!cols.every((c) => c.length === n)) return null;
  const rows = [];
  for (let i = 0; i < n; i++) {
    const row = {};
    for (let j = 0; j < names.length; j++) row[names[j]] = cols[j][i];
    rows.push(row);
  }
  return rows;
}

// src/core/serializers/arrowtable.ts
var arrowModule;
function loadArrow() {
  arrowModule ??= import("apache-arrow").catch((e) => {
    arrowModule = void 0;
    throw new NatsBridgeError("SERIALIZATION_ERROR", "arrowtable needs the apache-arrow package", { cause: e });
  });
  return arrowModule;
}
var isTable = (v) => typeof v === "object" && v !== null && "schema" in v && "batches" in v && typeof v.getChild === "function";
var arrowtable = {
  async serialize(data) {
    const arrow = await loadArrow();
    let table;
    if (isTable(data)) table = data;
    else if (Array.isArray(data)) table = rowsToTable(arrow, data);
    else throw new NatsBridgeError("SERIALIZATION_ERROR", "arrowtable data must be an apache-arrow Table or an array of row objects");
    try {
      return arrow.tableToIPC(table, "file");
    } catch (e) {
      throw new NatsBridgeError("SERIALIZATION_ERROR", `cannot write Arrow IPC: ${e.message}`, { cause: e });
    }
  },
  async deserialize(bytes3) {
    const arrow = await loadArrow();
    if (!looksLikeArrowIpc(bytes3)) throw new NatsBridgeError("DESERIALIZATION_ERROR", "arrowtable payload is not Arrow IPC (file or stream format)");
    let table;
    try {
      table = arrow.tableFromIPC(bytes3);
    } catch (e) {
      throw new NatsBridgeError("DESERIALIZATION_ERROR", `cannot read Arrow IPC: ${e.message}`, { cause: e });
    }
    if (table.schema.fields.length === 0) throw new NatsBridgeError("DESERIALIZATION_ERROR", "arrowtable payload holds no Arrow schema");
    return table;
  }
};
function looksLikeArrowIpc(b) {
  if (b.length < 8) return false;
  if (b[0] === 65 && b[1] === 82 && b[2] === 82 && b[3] === 79 && b[4] === 87 && b[5] === 49) return true;
  if (b[0] === 255 && b[1] === 255 && b[2] === 255 && b[3] === 255) return true;
  const len = b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24;
  return len > 0 && len <= b.length - 4;
}
function rowsToTable(arrow, rows) {
  if (rows.length === 0) throw new NatsBridgeError("SERIALIZATION_ERROR", "arrowtable needs at least one row to infer a schema; send a Table for an empty one");
  const names = [];
  const seen = /* @__PURE__ */ new Set();
  for (const r of rows) {
    if (typeof r !== "object" || r === null || Array.isArray(r)) throw new NatsBridgeError("SERIALIZATION_ERROR", "arrowtable rows must be plain objects");
    for (const k of Object.keys(r)) if (!seen.has(k)) seen.add(k), names.push(k);
  }
  const columns = {};
  for (const name of names) {
    let values = rows.map((r) => r[name] ?? null);
    const type = inferType(arrow, name, values);
    if (type instanceof arrow.Int64) values = values.map((v) => typeof v === "number" ? BigInt(v) : v);
    columns[name] = arrow.vectorFromArray(values, type);
  }
  return new arrow.Table(columns);
}
function inferType(arrow, name, values) {
  const present = values.filter((v) => v !== null);
  const all = (p) => present.every(p);
  if (present.length === 0) return new arrow.Null();
  if (all((v) => typeof v === "boolean")) return new arrow.Bool();
  if (all((v) => typeof v === "bigint" || typeof v === "number" && Number.isSafeInteger(v)) && present.some((v) => typeof v === "bigint")) {
    return new arrow.Int64();
  }
  if (all((v) => typeof v === "number" && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31)) return new arrow.Int32();
  if (all((v) => typeof v === "number")) return new arrow.Float64();
  if (all((v) => typeof v === "string")) return new arrow.Utf8();
  if (all((v) => v instanceof Date)) return new arrow.TimestampMillisecond("UTC");
  throw new NatsBridgeError("SERIALIZATION_ERROR", `arrowtable column ${JSON.stringify(name)} mixes value types; build an apache-arrow Table for it`);
}

// src/core/serializers/bytes.ts
function bytes(payload_type) {
  return {
    serialize(data) {
      const b = asBytes(data);
      if (!b) {
        throw new NatsBridgeError(
          "SERIALIZATION_ERROR",
          `${payload_type} data must be a Uint8Array, Buffer, ArrayBuffer or typed array, got ${describe2(data)}`
        );
      }
      return b;
    },
    deserialize: (b) => b
  };
}

// src/core/serializers/registry.ts
var builtins = {
  text,
  dictionary,
  jsontable,
  arrowtable,
  image: bytes("image"),
  audio: bytes("audio"),
  video: bytes("video"),
  binary: bytes("binary")
};
var registry = new Map(Object.entries(builtins));
function getSerializer(payload_type) {
  const s = typeof payload_type === "string" ? registry.get(payload_type) : void 0;
  if (!s) {
    throw new NatsBridgeError("INVALID_PAYLOAD_TYPE", `unknown payload_type: ${JSON.stringify(payload_type)}`, {
      details: { payload_type, known: [...registry.keys()] }
    });
  }
  return s;
}

// src/core/smartreceive.ts
function rawBytes(msg) {
  return asBytes(msg) ?? (typeof msg === "object" && msg !== null && !Array.isArray(msg) ? asBytes(msg.data) : null);
}
function messageText(msg, raw) {
  if (typeof msg === "string") return msg;
  if (raw) return decodeText(raw);
  if (typeof msg === "object" && msg !== null && !Array.isArray(msg)) return msg;
  throw new NatsBridgeError("INVALID_ENVELOPE", "smartreceive needs a NATS message, bytes, a JSON string or an envelope object");
}
function decodeInput(input, plain2 = false) {
  return typeof input === "string" ? parseJsonText(input, plain2) : { value: input, bulk: /* @__PURE__ */ new Map() };
}
var indexOfByteDefault = (b, byte, from) => b.indexOf(byte, from);
var posInt = (v, name, dflt) => {
  if (v === void 0) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new NatsBridgeError("INVALID_OPTIONS", `${name} must be a non-negative number`);
  return v;
};
function check(p, i, decode2, bulk) {
  const where = () => `payload ${i} (${JSON.stringify(p.dataname)})`;
  const payload_type = payloadTypeOf(p);
  if (payload_type === void 0) throw new NatsBridgeError("INVALID_ENVELOPE", `${where()} has no payload_type`);
  const serializer = getSerializer(payload_type);
  if (p.transport === "direct") {
    if (p.encoding != null && p.encoding !== "base64") throw new NatsBridgeError("INVALID_ENVELOPE", `${where()}: direct transport needs encoding "base64", got ${JSON.stringify(p.encoding)}`);
    const cut = bulk.size > 0 ? bulk.get(p.data) : void 0;
    const bytes3 = cut instanceof Uint8Array ? cut : decodeBase64Strict(cut ?? p.data, decode2);
    if (bytes3 === null) throw new NatsBridgeError("DESERIALIZATION_ERROR", `${where()}: data is not valid base64`);
    if (p.size != null && p.size !== bytes3.byteLength) throw new NatsBridgeError("DESERIALIZATION_ERROR", `${where()}: size says ${p.size} bytes but data holds ${bytes3.byteLength}`);
    return { p, payload_type, serializer, bytes: bytes3 };
  }
  if (p.transport === "link") {
    if (p.encoding != null && p.encoding !== "none") throw new NatsBridgeError("INVALID_ENVELOPE", `${where()}: link transport needs encoding "none", got ${JSON.stringify(p.encoding)}`);
    let url;
    try {
      url = new URL(p.data);
    } catch {
      throw new NatsBridgeError("INVALID_ENVELOPE", `${where()}: link data is not a URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new NatsBridgeError("INVALID_ENVELOPE", `${where()}: refusing ${url.protocol} link URL`);
    return { p, payload_type, serializer };
  }
  throw new NatsBridgeError("INVALID_TRANSPORT", `${where()}: unknown transport ${JSON.stringify(p.transport)}`);
}
function materialize(c, o, correlation_id) {
  const { p } = c;
  const decoded = (bytes3) => {
    const done = (value2) => [p.dataname, value2, c.payload_type];
    const fail = (e) => {
      throw withCorrelation(e, "DESERIALIZATION_ERROR", `cannot decode ${c.payload_type} payload ${JSON.stringify(p.dataname)}`, correlation_id);
    };
    let value;
    try {
      value = c.serializer.deserialize(bytes3);
    } catch (e) {
      fail(e);
    }
    return value instanceof Promise ? value.then(done, fail) : done(value);
  };
  if (c.bytes !== void 0) {
    o.trace(correlation_id, () => `Direct transport - decoding payload '${p.dataname}'`);
    return decoded(c.bytes);
  }
  return download(c, o, correlation_id).then(decoded);
}
async function download(c, o, correlation_id) {
  const { p } = c;
  o.trace(correlation_id, () => `Link transport - fetching '${p.dataname}' from URL: ${p.data}`);
  let got;
  try {
    got = await o.download(p.data, o.max_retries, o.base_delay, o.max_delay, correlation_id);
  } catch (e) {
    throw withCorrelation(e, "DOWNLOAD_FAILED", `download of ${JSON.stringify(p.dataname)} failed`, correlation_id);
  }
  const b = asBytes(got);
  if (!b) throw new NatsBridgeError("DOWNLOAD_FAILED", `download handler returned no bytes for ${JSON.stringify(p.dataname)}`);
  if (p.size != null && p.size !== b.byteLength) {
    throw new NatsBridgeError("DOWNLOAD_FAILED", `downloaded ${b.byteLength} bytes for ${JSON.stringify(p.dataname)} but size says ${p.size}`);
  }
  return b;
}
async function smartreceive(ctx, msg, options = {}) {
  const o = options ?? {};
  const raw = rawBytes(msg);
  const fromBytes = raw ? parseJsonBytes(raw, bytesBase64()?.decode ?? null, ctx.runtime.indexOfByte ?? indexOfByteDefault) : null;
  let input;
  let { value, bulk } = fromBytes ?? decodeInput(input = messageText(msg, raw));
  let env2 = parseEnvelope(value);
  if (bulk.size > 0 && !bulkOnlyInDirectData(env2.payloads, bulk)) {
    ({ value, bulk } = decodeInput(input ?? messageText(msg, raw), true));
    env2 = parseEnvelope(value);
  }
  const correlation_id = env2.correlation_id;
  try {
    const trace = makeTrace(o.log, ctx.logFlag);
    const download2 = o.fileserver_download_handler ?? ctx.defaultDownload;
    if (typeof download2 !== "function") throw new NatsBridgeError("INVALID_OPTIONS", "fileserver_download_handler must be a function");
    const settings = {
      max_retries: posInt(o.max_retries, "max_retries", 5),
      base_delay: posInt(o.base_delay, "base_delay", 100),
      max_delay: posInt(o.max_delay, "max_delay", 5e3),
      download: download2,
      trace
    };
    trace(correlation_id, "Processing received message");
    const checked = env2.payloads.map((p, i) => check(p, i, ctx.runtime.base64Decode, bulk));
    const results = checked.map((c) => materialize(c, settings, correlation_id));
    const payloads = results.some((r) => r instanceof Promise) ? await Promise.all(results) : results;
    const received = env2;
    received.payloads = payloads;
    return received;
  } catch (e) {
    throw withCorrelation(e, "DESERIALIZATION_ERROR", "smartreceive failed", correlation_id);
  }
}

// src/core/clock.ts
var lastMs = Number.NaN;
var lastIso = "";
function isoNow() {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

// src/core/transport.ts
var DEFAULT_MAX_PAYLOAD = 1024 * 1024;
var DEFAULT_SIZE_THRESHOLD = 1e6;
function maxPayloadOf(conn) {
  const m = conn?.info?.max_payload;
  return typeof m === "number" && m > 0 ? m : DEFAULT_MAX_PAYLOAD;
}
var byThreshold = (size, size_threshold) => size < size_threshold ? "direct" : "link";
function largestDirect(sizes, plan) {
  let best = -1;
  for (let i = 0; i < sizes.length; i++) if (plan[i] === "direct" && (best < 0 || sizes[i] > sizes[best])) best = i;
  return best;
}
function selectTransports(sizes, size_threshold, max_payload, envelopeBytes) {
  const plan = sizes.map((s) => byThreshold(s, size_threshold));
  const step = (bytes3) => {
    for (; ; ) {
      if (bytes3 <= max_payload) return { plan, fits: true };
      const i = largestDirect(sizes, plan);
      if (i < 0) return { plan, fits: false };
      plan[i] = "link";
      const next2 = envelopeBytes(plan);
      if (typeof next2 !== "number") return next2.then(step);
      bytes3 = next2;
    }
  };
  const first = envelopeBytes(plan);
  return typeof first === "number" ? step(first) : first.then(step);
}

// src/core/uuid.ts
var HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
var POOL_IDS = 256;
var pool = new Uint8Array(16 * POOL_IDS);
var next = POOL_IDS;
function uuidv4() {
  if (next === POOL_IDS) {
    globalThis.crypto.getRandomValues(pool);
    next = 0;
  }
  const o = next++ * 16;
  pool[o + 6] = pool[o + 6] & 15 | 64;
  pool[o + 8] = pool[o + 8] & 63 | 128;
  const h = (i) => HEX[pool[o + i]];
  return h(0) + h(1) + h(2) + h(3) + "-" + h(4) + h(5) + "-" + h(6) + h(7) + "-" + h(8) + h(9) + "-" + h(10) + h(11) + h(12) + h(13) + h(14) + h(15);
}

// src/core/smartsend.ts
var DEFAULT_BROKER_URL = "nats://localhost:4222";
var DEFAULT_FILESERVER_URL = "http://localhost:8080";
var LAZY_ABOVE = 16 * 1024;
var optionString = (o, k, dflt) => {
  const v = o[k];
  if (v === void 0 || v === null) return dflt;
  if (typeof v !== "string") throw new NatsBridgeError("INVALID_OPTIONS", `option ${k} must be a string`);
  return v;
};
function smartsend(ctx, subject, data, options = {}) {
  const o = options ?? {};
  let correlation_id = "";
  try {
    correlation_id = optionString(o, "correlation_id", "") || uuidv4();
  } catch (e) {
    return Promise.reject(e);
  }
  return send(ctx, subject, data, o, correlation_id).catch((e) => {
    throw withCorrelation(e, "SERIALIZATION_ERROR", "smartsend failed", correlation_id);
  });
}
async function send(ctx, subject, data, o, correlation_id) {
  if (typeof subject !== "string" || subject === "" || /\s/.test(subject)) {
    throw new NatsBridgeError("INVALID_OPTIONS", `subject must be a non-empty NATS subject without whitespace, got ${JSON.stringify(subject)}`);
  }
  if (!Array.isArray(data)) throw new NatsBridgeError("INVALID_OPTIONS", "data must be an array of [dataname, data, payload_type] tuples");
  for (let i = 0; i < data.length; i++) {
    const t = data[i];
    if (!Array.isArray(t) || t.length !== 3 || typeof t[0] !== "string" || typeof t[2] !== "string") {
      throw new NatsBridgeError("INVALID_OPTIONS", `data[${i}] must be a [dataname: string, data, payload_type: string] tuple`);
    }
  }
  const size_threshold = o.size_threshold ?? DEFAULT_SIZE_THRESHOLD;
  if (typeof size_threshold !== "number" || !(size_threshold >= 0)) throw new NatsBridgeError("INVALID_OPTIONS", "size_threshold must be a non-negative number");
  const broker_url = optionString(o, "broker_url", DEFAULT_BROKER_URL);
  const fileserver_url = optionString(o, "fileserver_url", DEFAULT_FILESERVER_URL);
  const upload = o.fileserver_upload_handler ?? ctx.defaultUpload;
  if (typeof upload !== "function") throw new NatsBridgeError("INVALID_OPTIONS", "fileserver_upload_handler must be a function");
  const is_publish = o.is_publish ?? true;
  const trace = makeTrace(o.log, ctx.logFlag);
  const header2 = {
    correlation_id,
    msg_id: optionString(o, "msg_id", "") || uuidv4(),
    timestamp: isoNow(),
    send_to: subject,
    msg_purpose: optionString(o, "msg_purpose", "chat"),
    sender_name: optionString(o, "sender_name", "NATSBridge"),
    sender_id: optionString(o, "sender_id", "") || uuidv4(),
    receiver_name: optionString(o, "receiver_name", ""),
    receiver_id: optionString(o, "receiver_id", ""),
    reply_to: optionString(o, "reply_to", ""),
    reply_to_msg_id: optionString(o, "reply_to_msg_id", ""),
    broker_url,
    metadata: o.metadata ?? {}
  };
  trace(correlation_id, () => `Starting smartsend for subject: ${subject}`);
  let conn = o.nats_connection ?? null;
  if (is_publish && !conn) conn = await ctx.connections.get(broker_url);
  const serialized = [];
  for (const [dataname, value, payload_type] of data) {
    const out = getSerializer(payload_type).serialize(value);
    const bytes3 = out instanceof Promise ? await out : out;
    trace(correlation_id, () => `Serialized payload '${dataname}' (type: ${payload_type}) size: ${bytes3.byteLength} bytes`);
    serialized.push(bytes3);
  }
  const sizes = serialized.map((b) => b.byteLength);
  const ids = data.map(() => uuidv4());
  const directs = [];
  const direct = (i) => directs[i] ??= ((dataname, payload_type, bytes3) => bytes3.byteLength >= LAZY_ABOVE && ctx.io.encodeBase64Into ? lazyDirectPayload(ids[i], dataname, payload_type, bytes3, ctx.runtime.base64Encode) : directPayload(ids[i], dataname, payload_type, bytes3.byteLength, ctx.runtime.base64Encode(bytes3)))(data[i][0], data[i][2], serialized[i]);
  const uploads = [];
  const uploadOnce = (i) => uploads[i] ??= (async () => {
    const dataname = data[i][0];
    trace(correlation_id, "Using link transport, uploading to fileserver");
    let res;
    try {
      res = await upload(fileserver_url, dataname, serialized[i]);
    } catch (e) {
      throw withCorrelation(e, "UPLOAD_FAILED", `upload of ${JSON.stringify(dataname)} failed`, correlation_id);
    }
    if (!res || res.status !== 200 || typeof res.url !== "string" || !/^https?:\/\//i.test(res.url)) {
      throw new NatsBridgeError("UPLOAD_FAILED", `Failed to upload data to fileserver: status ${res?.status}, url ${JSON.stringify(res?.url)}`, {
        correlation_id,
        details: { dataname, fileserver_url }
      });
    }
    trace(correlation_id, () => `Uploaded to URL: ${res.url}`);
    return res.url;
  })();
  let env2;
  let layout;
  const finish = (payloads) => {
    env2 = buildEnvelope(header2, payloads);
    try {
      layout = layoutEnvelope(header2, payloads, stringifyJson, ctx.io);
    } catch (e) {
      throw new NatsBridgeError("SERIALIZATION_ERROR", `envelope metadata is not JSON-serializable: ${e.message}`, { cause: e });
    }
    return layout.byteLength;
  };
  const max_payload = maxPayloadOf(conn);
  const tooLarge = (bytes3) => new NatsBridgeError("ENVELOPE_TOO_LARGE", `envelope is at least ${bytes3} bytes with every payload linked; the server accepts ${max_payload}`, {
    details: { envelope_bytes: bytes3, max_payload }
  });
  let floorChecked = false;
  const measure = (plan2) => {
    if (!floorChecked && plan2.includes("link")) {
      floorChecked = true;
      const floor = finish(data.map(([dataname, , payload_type], i) => linkPayload(ids[i], dataname, payload_type, sizes[i], "")));
      if (floor > max_payload) throw tooLarge(floor);
    }
    const urls = plan2.map((t, i) => t === "link" ? uploadOnce(i) : void 0);
    const build = (linked) => finish(
      data.map(
        ([dataname, , payload_type], i) => plan2[i] === "direct" ? direct(i) : linkPayload(ids[i], dataname, payload_type, sizes[i], linked[i])
      )
    );
    return urls.some((u) => u !== void 0) ? Promise.all(urls).then(build) : build([]);
  };
  const selected = selectTransports(sizes, size_threshold, max_payload, measure);
  const { plan, fits } = selected instanceof Promise ? await selected : selected;
  if (!fits) throw tooLarge(layout.byteLength);
  const wire = layout.bytes();
  plan.forEach((t, i) => t === "direct" && trace(correlation_id, () => `Using direct transport for ${sizes[i]} bytes`));
  if (is_publish) {
    try {
      conn.publish(subject, wire);
    } catch (e) {
      throw withCorrelation(e, "NATS_CONNECTION_FAILED", `publish to ${subject} failed`, correlation_id);
    }
    trace(correlation_id, () => `Message published to ${subject}`);
  }
  const result = [env2];
  if (!layout.jsonIsCostly) result[1] = layout.json();
  else {
    let json2;
    const make = layout.json;
    Object.defineProperty(result, 1, { enumerable: true, configurable: true, get: () => json2 ??= make() });
  }
  return result;
}

// src/core/bridge.ts
function createBridge(runtime) {
  if (runtime.utf8Encode) useUtf8Encoder(runtime.utf8Encode);
  const connections = new ConnectionCache((url) => runtime.connect(url));
  const plikOneshotUpload2 = makePlikUploader(runtime, { oneShot: true });
  const fetchWithBackoff2 = makeFetchWithBackoff(runtime);
  let flag;
  const logFlag = () => (flag ??= { v: runtime.env("NATSBRIDGE_LOG") }).v;
  const io = {
    writeAscii: runtime.writeAscii ?? encodeAsciiInto,
    get encodeBase64Into() {
      return bytesBase64()?.encodeInto;
    }
  };
  const sendCtx = { runtime, connections, defaultUpload: plikOneshotUpload2, logFlag, io };
  const receiveCtx = { runtime, defaultDownload: fetchWithBackoff2, logFlag };
  return {
    smartsend: (subject, data, options) => smartsend(sendCtx, subject, data, options),
    smartreceive: (msg, options) => smartreceive(receiveCtx, msg, options),
    close: () => connections.closeAll(),
    plikOneshotUpload: plikOneshotUpload2,
    createPlikUploadHandler: (opts) => makePlikUploader(runtime, opts),
    fetchWithBackoff: fetchWithBackoff2
  };
}

// src/node.ts
var nodeRuntime = {
  connect: (url) => connect({ servers: url, name: "natsbridge" }),
  fetch,
  FormData,
  Blob: globalThis.Blob,
  base64Encode: (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64"),
  // The core has already validated the text (Buffer would skip bad characters silently).
  base64Decode: (s) => {
    const buf = Buffer.from(s, "base64");
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  },
  utf8Encode: (s) => Buffer.from(s, "utf8"),
  indexOfByte: (b, byte, from) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).indexOf(byte, from),
  writeAscii: (s, dst, at) => Buffer.from(dst.buffer, dst.byteOffset, dst.byteLength).write(s, at, "latin1"),
  env: (name) => process.env[name]
};
var bridge = createBridge(nodeRuntime);
var { smartsend: smartsend2, smartreceive: smartreceive2, close, plikOneshotUpload, createPlikUploadHandler, fetchWithBackoff } = bridge;

// bench/_pieces.ts
var text2 = "x".repeat(1024);
var [env, json] = await smartsend2("s", [["msg", text2, "text"]], { is_publish: false });
var bytes2 = Buffer.from(json);
var parsed = JSON.parse(json);
var b64 = env.payloads[0].data;
function bench(label, f, N = 2e5) {
  for (let i = 0; i < 2e4; i++) f();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) f();
  console.log(label.padEnd(34), ((performance.now() - t0) * 1e3 / N).toFixed(3), "\xB5s");
}
var sink;
async function abench(label, f, N = 1e5) {
  for (let i = 0; i < 2e4; i++) await f();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await f();
  console.log(label.padEnd(34), ((performance.now() - t0) * 1e3 / N).toFixed(3), "\xB5s");
}
var { header, ...rest } = { header: { ...env, payloads: void 0 } };
for (let r = 0; r < 2; r++) {
  bench("decodeText", () => sink = decodeText(bytes2));
  bench("JSON.parse", () => sink = JSON.parse(json));
  bench("parseJson", () => sink = parseJson(json));
  bench("parseJsonText", () => sink = parseJsonText(json));
  bench("parseEnvelope", () => sink = parseEnvelope(parsed));
  bench("decodeBase64Strict", () => sink = decodeBase64Strict(b64, nodeRuntime.base64Decode));
  bench("uuidv4", () => sink = uuidv4());
  bench("layoutEnvelope", () => sink = layoutEnvelope(header, env.payloads, JSON.stringify, { writeAscii: nodeRuntime.writeAscii }).bytes());
  await abench("smartreceive(bytes)", () => smartreceive2(bytes2));
  await abench("smartsend", () => smartsend2("s", [["msg", text2, "text"]], { is_publish: false }));
}
await abench("baseline async", async () => 1);
await abench("baseline Promise.resolve", () => Promise.resolve(1));
var td = new TextDecoder();
bench("text payload decode", () => sink = td.decode(bytes2.subarray(0, 1024)));
bench("toISOString", () => sink = (/* @__PURE__ */ new Date()).toISOString());
bench("b64 encode", () => sink = nodeRuntime.base64Encode(bytes2.subarray(0, 1024)));

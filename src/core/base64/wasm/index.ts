/**
 * Base64 bytes <-> bytes through a small WebAssembly SIMD module (base64.c), with no JS strings.
 *
 * Runtime-agnostic: uses only the global `WebAssembly` object. The module (see BASE64_WASM_SIZE,
 * under Chrome's 4 KB limit for synchronous compiles on the main thread) is compiled and
 * instantiated synchronously on first use. Needs WebAssembly SIMD (Node >= 16.4, Chrome 91,
 * Firefox 89, Safari 16.4): check `simdAvailable()` first and fall back to another codec when it
 * is false; the codec functions throw when it is false.
 *
 * API: base64EncodeInto(src, dst, at) -> bytes written; base64DecodeBytes(src) -> bytes | null;
 * base64EncodedLength(n); simdAvailable(). One module instance, reused; its memory grows to
 * the largest call and is dropped after calls that needed more than 32 MB.
 *
 * Standard alphabet only. Encoding always pads. Decoding is strict: it accepts exactly the
 * strings matching /^[A-Za-z0-9+/]*={0,2}$/ whose padding is right ("xx==" / "xxx=" at a length
 * that is a multiple of 4, or no padding and length % 4 of 0, 2 or 3); whitespace, the URL-safe
 * "-" "_", "=" anywhere else and every other byte make it return null. Like Node's Buffer and
 * atob it ignores the unused low bits of the last character ("QR==" decodes like "QQ==").
 */
import { BASE64_WASM } from "./module.js";
import { base64DecodeJs } from "../js.js";

interface Base64Exports {
  memory: WebAssembly.Memory;
  encode(src: number, len: number, dst: number): number;
  decode(src: number, len: number, dst: number): number;
  __heap_base: WebAssembly.Global;
}

interface State {
  exports: Base64Exports;
  view: Uint8Array;
  base: number;
  /** Result of the last decodeInMemory. */
  written: number;
}

/** Linear memory above this size is given back (the instance is dropped) after the call. */
const RETAIN_BYTES = 32 * 1024 * 1024;
const PAGE = 65536;

// (module (func (result v128) i32.const 0 i8x16.splat))
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01,
  0x00, 0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0x0b,
]);

let simd: boolean | undefined;
let compiled: WebAssembly.Module | undefined;
let state: State | null = null;

/** True when this runtime can run the SIMD module (the codec functions throw otherwise). */
export function simdAvailable(): boolean {
  if (simd === undefined) {
    try {
      simd = typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
    } catch {
      simd = false;
    }
  }
  return simd;
}

/** Length of the padded base64 text for `byteLength` bytes. */
export function base64EncodedLength(byteLength: number): number {
  return Math.ceil(byteLength / 3) * 4;
}

/**
 * Writes the padded standard base64 of `src` into `dst` starting at `at` and returns the number
 * of bytes written (base64EncodedLength(src.length)). Throws RangeError when it does not fit.
 */
export function base64EncodeInto(src: Uint8Array, dst: Uint8Array, at: number): number {
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

/** Strict decode of standard base64 text given as ASCII bytes; null when it is not valid. */
export function base64DecodeBytes(src: Uint8Array, alloc: (n: number) => Uint8Array = (n) => new Uint8Array(n)): Uint8Array | null {
  const n = src.length;
  if (n === 0) return new Uint8Array(0);
  const st = instance();
  const at = decodeInMemory(st, src);
  let out: Uint8Array | null = null;
  if (at >= 0) {
    // Every byte is overwritten by the copy below, so an allocator that skips zeroing is safe.
    out = alloc(st.written);
    out.set(st.view.subarray(at, at + st.written));
  }
  release(st);
  return out;
}

/** Decodes src (non-empty) inside the wasm memory: the output's offset there, or -1. */
function decodeInMemory(st: State, src: Uint8Array): number {
  const n = src.length;
  if ((n & 3) === 1) return -1;
  const srcPtr = st.base;
  const dstPtr = align16(srcPtr + n);
  // Decoded length <= 3 * floor(n / 4) + 2; the SIMD stores may run 4 bytes past it.
  const view = reserve(st, dstPtr + (n >>> 2) * 3 + 2 + 16);
  view.set(src, srcPtr);
  const written = st.exports.decode(srcPtr, n, dstPtr);
  st.written = written;
  return written < 0 ? -1 : dstPtr;
}

function align16(x: number): number {
  return (x + 15) & ~15;
}

function instance(): State {
  if (state !== null) return state;
  if (!simdAvailable()) throw new Error("base64-wasm: this runtime lacks WebAssembly SIMD; check simdAvailable()");
  compiled ??= new WebAssembly.Module(moduleBytes());
  const exports = new WebAssembly.Instance(compiled, {}).exports as unknown as Base64Exports;
  state = { exports, view: new Uint8Array(exports.memory.buffer), base: align16(exports.__heap_base.value as number), written: 0 };
  return state;
}

/** The memory view with at least `end` bytes, growing the memory when needed. */
function reserve(st: State, end: number): Uint8Array {
  const memory = st.exports.memory;
  const have = memory.buffer.byteLength;
  if (end > have) memory.grow(Math.ceil((end - have) / PAGE)); // RangeError past the wasm32 limit
  if (st.view.buffer !== memory.buffer) st.view = new Uint8Array(memory.buffer);
  return st.view;
}

/** Drops an instance whose memory grew past RETAIN_BYTES (wasm memory cannot shrink). */
function release(st: State): void {
  if (st.view.byteLength > RETAIN_BYTES && state === st) state = null;
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  return base64DecodeJs(BASE64_WASM) as Uint8Array<ArrayBuffer>;
}

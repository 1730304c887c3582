/*
 * Base64 (RFC 4648 standard alphabet) bytes -> bytes, freestanding C for wasm32 + simd128.
 *
 * Build: scripts/build-base64-wasm.sh (writes module.ts next to this file).
 *
 * The module has no allocator. The JS side places its input at or after __heap_base, the
 * output after the input, and grows the exported memory as needed. Both SIMD loops read and
 * write whole 16-byte vectors:
 *   - encode reads at most len bytes of src (the loop stops 4 bytes early) and writes exactly
 *     4 * ceil(len / 3) bytes;
 *   - decode reads at most len bytes of src but may write up to 4 bytes past the decoded
 *     length, so dst needs (len / 4) * 3 + 4 bytes of room.
 *
 * Encode: Mula/Lemire. A swizzle spreads each 3-byte group over a 32-bit lane as
 * [b1 b0 b2 b1]; masks, shifts and a 16-bit multiply cut out the four 6-bit indices; a second
 * swizzle looks up the per-range offset that turns an index into its ASCII character.
 *
 * Decode: Mula's nibble-LUT validation. A byte is valid iff lut_lo[lo nibble] & lut_hi[hi
 * nibble] == 0; the value is byte + lut_roll[hi nibble + (byte == '/' ? -1 : 0)]. A block
 * that holds any invalid byte (including '=' padding) stops the SIMD loop and the strict
 * scalar code takes over from the start of that block, so the SIMD path never has to decide
 * what is an error.
 */
#include <wasm_simd128.h>

typedef unsigned char u8;
typedef unsigned int u32;

#define EXPORT(name) __attribute__((export_name(name), visibility("default")))

static const u8 ENC[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63 for the alphabet, 0xFF for everything else (including '='). */
#define X 0xFF
static const u8 DEC[256] = {
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* 0x00 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* 0x10 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  62, X,  X,  X,  63, /* 0x20 + / */
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X,  X,  X,  X,  X,  X,  /* 0x30 0-9 */
    X,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, /* 0x40 A-O */
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X,  X,  X,  X,  X,  /* 0x50 P-Z */
    X,  26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, /* 0x60 a-o */
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X,  X,  X,  X,  X,  /* 0x70 p-z */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
};
#undef X

/* ---------------------------------------------------------------- encode */

/* The constants of both directions, loaded into locals once per call. They live in a mutable
 * external global so that LLVM cannot fold them back into v128.const operands inside the
 * loops, which V8 rebuilds from immediates on every iteration (worth ~10% here). */
typedef struct {
  v128_t m_a, m_b, m_c, m_d, c51, c26, c13, lut;
} EncConsts;
typedef struct {
  v128_t nib, lut_lo, lut_hi, slash, lut_roll, m6, m6hi, mul;
} DecConsts;

#define SPLAT16(b) b, b, b, b, b, b, b, b, b, b, b, b, b, b, b, b
#define LE32(x) (x) & 255, ((x) >> 8) & 255, ((x) >> 16) & 255, ((x) >> 24) & 255
#define SPLAT4X32(x) LE32(x), LE32(x), LE32(x), LE32(x)

__attribute__((aligned(16))) unsigned char base64_enc_consts[sizeof(EncConsts)] = {
    SPLAT4X32(0x0000fc00),                             /* m_a */
    SPLAT4X32(0x0fc00000),                             /* m_b */
    SPLAT4X32(0x000003f0),                             /* m_c */
    SPLAT4X32(0x003f0000),                             /* m_d */
    SPLAT16(51),                                       /* c51 */
    SPLAT16(26),                                       /* c26 */
    SPLAT16(13),                                       /* c13 */
    /* lut: ASCII offset per range class */
    'a' - 26, 256 + '0' - 52, 256 + '0' - 52, 256 + '0' - 52, 256 + '0' - 52, 256 + '0' - 52,
    256 + '0' - 52, 256 + '0' - 52, 256 + '0' - 52, 256 + '0' - 52, 256 + '0' - 52,
    256 + '+' - 62, 256 + '/' - 63, 'A', 0, 0,
};

__attribute__((aligned(16))) unsigned char base64_dec_consts[sizeof(DecConsts)] = {
    SPLAT16(0x0f),                                                                                  /* nib */
    0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a, /* lut_lo */
    0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, /* lut_hi */
    SPLAT16('/'),                                                                                   /* slash */
    0, 16, 19, 4, 256 - 65, 256 - 65, 256 - 71, 256 - 71, 0, 0, 0, 0, 0, 0, 0, 0,                   /* lut_roll */
    SPLAT4X32(0x003f003f),                                                                          /* m6 */
    SPLAT4X32(0x0fc00fc0),                                                                          /* m6hi */
    SPLAT4X32(0x00011000),                                                                          /* mul */
};

/* ---------------------------------------------------------------- encode */

static inline v128_t enc_block(const EncConsts *k, v128_t in) {
  /* Lane k (32-bit, little-endian) = b1 | b0 << 8 | b2 << 16 | b1 << 24 of group k. */
  v128_t x = wasm_i8x16_swizzle(in, wasm_i8x16_const(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10));
  /* byte0 = b0 >> 2, byte2 = (b1 & 15) << 2 | b2 >> 6 */
  v128_t a = wasm_u32x4_shr(wasm_v128_and(x, k->m_a), 10);
  v128_t b = wasm_u32x4_shr(wasm_v128_and(x, k->m_b), 6);
  /* byte1 = (b0 & 3) << 4 | b1 >> 4, byte3 = b2 & 63. (Muła multiplies the 16-bit words by
   * 16 and 256 at once; LLVM turns that multiply into per-lane shifts, which wasm lacks, and
   * scalarizes it, so: two uniform shifts.) */
  v128_t c = wasm_i32x4_shl(wasm_v128_and(x, k->m_c), 4);
  v128_t d = wasm_i32x4_shl(wasm_v128_and(x, k->m_d), 8);
  v128_t idx = wasm_v128_or(wasm_v128_or(a, b), wasm_v128_or(c, d));
  /* Range class: 0 for 26..51, 13 for 0..25, 1..10 for 52..61, 11 for 62, 12 for 63. */
  v128_t cls = wasm_u8x16_sub_sat(idx, k->c51);
  cls = wasm_v128_or(cls, wasm_v128_and(wasm_i8x16_lt(idx, k->c26), k->c13));
  return wasm_i8x16_add(idx, wasm_i8x16_swizzle(k->lut, cls));
}

EXPORT("encode") u32 encode(const u8 *src, u32 len, u8 *dst) {
  EncConsts kk;
  __builtin_memcpy(&kk, base64_enc_consts, sizeof kk);
  const EncConsts *k = &kk;
  u8 *o = dst;
  u32 i = 0;
  /* Each step consumes 12 bytes but loads 16: stop while 16 are still in bounds. */
  while (i + 52 <= len) {
    v128_t r0 = enc_block(k, wasm_v128_load(src + i));
    v128_t r1 = enc_block(k, wasm_v128_load(src + i + 12));
    v128_t r2 = enc_block(k, wasm_v128_load(src + i + 24));
    v128_t r3 = enc_block(k, wasm_v128_load(src + i + 36));
    wasm_v128_store(o, r0);
    wasm_v128_store(o + 16, r1);
    wasm_v128_store(o + 32, r2);
    wasm_v128_store(o + 48, r3);
    i += 48;
    o += 64;
  }
  while (i + 16 <= len) {
    wasm_v128_store(o, enc_block(k, wasm_v128_load(src + i)));
    i += 12;
    o += 16;
  }
  for (; i + 3 <= len; i += 3) {
    u32 v = (u32)src[i] << 16 | (u32)src[i + 1] << 8 | src[i + 2];
    o[0] = ENC[v >> 18];
    o[1] = ENC[(v >> 12) & 63];
    o[2] = ENC[(v >> 6) & 63];
    o[3] = ENC[v & 63];
    o += 4;
  }
  u32 rem = len - i;
  if (rem == 1) {
    u32 v = src[i];
    o[0] = ENC[v >> 2];
    o[1] = ENC[(v & 3) << 4];
    o[2] = '=';
    o[3] = '=';
    o += 4;
  } else if (rem == 2) {
    u32 v = (u32)src[i] << 8 | src[i + 1];
    o[0] = ENC[v >> 10];
    o[1] = ENC[(v >> 4) & 63];
    o[2] = ENC[(v & 15) << 2];
    o[3] = '=';
    o += 4;
  }
  return (u32)(o - dst);
}

/* ---------------------------------------------------------------- decode */

/* High nibbles. (i8x16.shr_u has no x86 instruction; V8 emits a 16-bit shift plus a mask
 * anyway, so spell it out with the mask the low nibbles use.) */
static inline v128_t dec_hi(const DecConsts *k, v128_t in) {
  return wasm_v128_and(wasm_u16x8_shr(in, 4), k->nib);
}

/* Nonzero lanes mark bytes outside the alphabet. */
static inline v128_t dec_error(const DecConsts *k, v128_t in, v128_t hi) {
  v128_t lo_bits = wasm_i8x16_swizzle(k->lut_lo, wasm_v128_and(in, k->nib));
  v128_t hi_bits = wasm_i8x16_swizzle(k->lut_hi, hi);
  return wasm_v128_and(lo_bits, hi_bits);
}

/* 16 valid characters -> 12 bytes in lanes 0..11 (lanes 12..15 are zero). */
static inline v128_t dec_pack(const DecConsts *k, v128_t in, v128_t hi) {
  v128_t eq_slash = wasm_i8x16_eq(in, k->slash);
  v128_t roll = wasm_i8x16_swizzle(k->lut_roll, wasm_i8x16_add(hi, eq_slash));
  v128_t s = wasm_i8x16_add(in, roll); /* sextets s0 s1 s2 s3 per 32-bit lane */
  /* 16-bit words: s0 << 6 | s1 and s2 << 6 | s3 */
  v128_t w = wasm_v128_or(wasm_v128_and(wasm_i32x4_shl(s, 6), k->m6hi), wasm_v128_and(wasm_u32x4_shr(s, 8), k->m6));
  /* 32-bit lanes: 24-bit group value, then its bytes big-endian */
  v128_t v = wasm_i32x4_dot_i16x8(w, k->mul);
  return wasm_i8x16_swizzle(v, wasm_i8x16_const(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1));
}

EXPORT("decode") int decode(const u8 *src, u32 len, u8 *dst) {
  if ((len & 3) == 1) return -1;
  DecConsts kk;
  __builtin_memcpy(&kk, base64_dec_consts, sizeof kk);
  const DecConsts *k = &kk;
  u8 *o = dst;
  u32 i = 0;
  while (i + 64 <= len) {
    v128_t in0 = wasm_v128_load(src + i);
    v128_t in1 = wasm_v128_load(src + i + 16);
    v128_t in2 = wasm_v128_load(src + i + 32);
    v128_t in3 = wasm_v128_load(src + i + 48);
    v128_t h0 = dec_hi(k, in0), h1 = dec_hi(k, in1), h2 = dec_hi(k, in2), h3 = dec_hi(k, in3);
    v128_t err = wasm_v128_or(wasm_v128_or(dec_error(k, in0, h0), dec_error(k, in1, h1)),
                              wasm_v128_or(dec_error(k, in2, h2), dec_error(k, in3, h3)));
    if (wasm_v128_any_true(err)) break;
    wasm_v128_store(o, dec_pack(k, in0, h0));
    wasm_v128_store(o + 12, dec_pack(k, in1, h1));
    wasm_v128_store(o + 24, dec_pack(k, in2, h2));
    wasm_v128_store(o + 36, dec_pack(k, in3, h3));
    i += 64;
    o += 48;
  }
  while (i + 16 <= len) {
    v128_t in = wasm_v128_load(src + i);
    v128_t h = dec_hi(k, in);
    if (wasm_v128_any_true(dec_error(k, in, h))) break;
    wasm_v128_store(o, dec_pack(k, in, h));
    i += 16;
    o += 12;
  }
  /* Strict scalar code from a multiple of 4: every group but the last must be 4 alphabet
   * characters; the last may be 2 or 3 characters, or 4 ending in "=" or "==". */
  while (len - i > 4) {
    u32 a = DEC[src[i]], b = DEC[src[i + 1]], c = DEC[src[i + 2]], d = DEC[src[i + 3]];
    if ((a | b | c | d) > 63) return -1;
    u32 v = a << 18 | b << 12 | c << 6 | d;
    o[0] = (u8)(v >> 16);
    o[1] = (u8)(v >> 8);
    o[2] = (u8)v;
    i += 4;
    o += 3;
  }
  u32 rem = len - i;
  if (rem == 4 && src[i + 3] == '=') rem = src[i + 2] == '=' ? 2 : 3;
  if (rem >= 2) {
    u32 a = DEC[src[i]], b = DEC[src[i + 1]];
    if ((a | b) > 63) return -1;
    u32 v = a << 18 | b << 12;
    if (rem >= 3) {
      u32 c = DEC[src[i + 2]];
      if (c > 63) return -1;
      v |= c << 6;
      if (rem == 4) {
        u32 d = DEC[src[i + 3]];
        if (d > 63) return -1;
        v |= d;
      }
    }
    o[0] = (u8)(v >> 16);
    if (rem >= 3) o[1] = (u8)(v >> 8);
    if (rem == 4) o[2] = (u8)v;
    o += rem - 1;
  }
  return (int)(o - dst);
}

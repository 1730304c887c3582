/**
 * UUID v4 from crypto.getRandomValues: unlike crypto.randomUUID it exists outside secure
 * contexts (a page served over plain http from a LAN address), so browsers and Node share one path.
 */
// Hex digits as ASCII codes, two per byte value.
const HEX = new Uint8Array(512);
for (let i = 0; i < 256; i++) {
  const h = i.toString(16).padStart(2, "0");
  HEX[2 * i] = h.charCodeAt(0);
  HEX[2 * i + 1] = h.charCodeAt(1);
}

// getRandomValues costs a native call each time (a quarter of a small send when called per id);
// drawing 256 ids' worth at once keeps the same randomness for a fraction of the cost.
const POOL_IDS = 256;
const pool = new Uint8Array(16 * POOL_IDS);
let next = POOL_IDS;

// The id is written as ASCII and decoded in one call: concatenating 20 pieces makes a rope that
// every later character scan (the wire writer checks each header string) has to flatten first.
const text = new Uint8Array(36);
const ascii = new TextDecoder("latin1");
const DASH = 0x2d;

export function uuidv4(): string {
  if (next === POOL_IDS) {
    globalThis.crypto.getRandomValues(pool);
    next = 0;
  }
  const o = next++ * 16;
  pool[o + 6] = (pool[o + 6]! & 0x0f) | 0x40; // version 4
  pool[o + 8] = (pool[o + 8]! & 0x3f) | 0x80; // RFC 4122 variant
  let at = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[at++] = DASH;
    const b = pool[o + i]! * 2;
    text[at++] = HEX[b]!;
    text[at++] = HEX[b + 1]!;
  }
  return ascii.decode(text);
}

/**
 * UUID v4 from crypto.getRandomValues: unlike crypto.randomUUID it exists outside secure
 * contexts (a page served over plain http from a LAN address), so browsers and Node share one path.
 */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

// getRandomValues costs a native call each time (a quarter of a small send when called per id);
// drawing 256 ids' worth at once keeps the same randomness for a fraction of the cost.
const POOL_IDS = 256;
const pool = new Uint8Array(16 * POOL_IDS);
let next = POOL_IDS;

export function uuidv4(): string {
  if (next === POOL_IDS) {
    globalThis.crypto.getRandomValues(pool);
    next = 0;
  }
  // Indexing the pool directly: a subarray view per id is an allocation on every send.
  const o = next++ * 16;
  pool[o + 6] = (pool[o + 6]! & 0x0f) | 0x40; // version 4
  pool[o + 8] = (pool[o + 8]! & 0x3f) | 0x80; // RFC 4122 variant
  const h = (i: number) => HEX[pool[o + i]!]!;
  return (
    h(0) + h(1) + h(2) + h(3) + "-" + h(4) + h(5) + "-" + h(6) + h(7) + "-" + h(8) + h(9) + "-" +
    h(10) + h(11) + h(12) + h(13) + h(14) + h(15)
  );
}

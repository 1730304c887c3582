/**
 * Deterministic, incompressible-looking bytes (xorshift32), so failures are reproducible.
 * Imports nothing: the browser e2e page (test/browser/fixtures/e2e-page.ts) bundles it too, so
 * Node and Chromium make the same bytes from the same seed.
 */
export function xorshiftBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

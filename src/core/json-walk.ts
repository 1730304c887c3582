/**
 * One walk over a JSON-like value, written as a loop over an explicit stack: how deeply a peer
 * nests its JSON must not decide how deep our call stack goes (a recursive walk overflowed at
 * about 6,000 levels and the message was reported as "not valid JSON").
 */

/**
 * The deepest nesting of arrays and objects natsbridge reads or writes (docs/security.md,
 * "Parsing limits"). Python's json module gives up near 1,000 levels (its recursion limit), so a
 * peer could not have produced or read deeper data anyway.
 */
export const MAX_JSON_DEPTH = 1000;

/**
 * Thrown by walkJson for data nested beyond MAX_JSON_DEPTH; callers put their subject in front
 * ("dictionary payload nests …") and turn it into their own coded error.
 */
export class JsonTooDeepError extends RangeError {
  constructor() {
    super(`nests arrays/objects deeper than ${MAX_JSON_DEPTH} levels, natsbridge's limit`);
    this.name = "JsonTooDeepError";
  }
}

/**
 * Calls `visitNumber` for every number in `root` (array items and own enumerable property values)
 * until it returns true. Throws JsonTooDeepError past MAX_JSON_DEPTH. With `seen`, an object met
 * twice is walked once, so a cycle in caller-built data ends instead of looping.
 */
export function walkJson(root: unknown, visitNumber: (n: number) => boolean, seen?: Set<object>): void {
  if (typeof root === "number") {
    visitNumber(root);
    return;
  }
  // Containers still to read, and how deep each one sits (the root is level 1).
  const pending: object[] = [];
  const levels: number[] = [];
  let top = 0;
  if (typeof root === "object" && root !== null) {
    pending[0] = root;
    levels[0] = 1;
    top = 1;
  }
  while (top > 0) {
    top--;
    const v = pending[top]!;
    const level = levels[top]!;
    if (seen) {
      if (seen.has(v)) continue;
      seen.add(v);
    }
    if (level > MAX_JSON_DEPTH) throw new JsonTooDeepError();
    // Own enumerable values only, as JSON.stringify writes them (for…in would also walk whatever
    // a polluted Object.prototype adds).
    const items: unknown[] = Array.isArray(v) ? v : Object.values(v);
    for (let i = 0; i < items.length; i++) {
      const x = items[i];
      // Only numbers and containers matter: strings, booleans and null are never pushed.
      if (typeof x === "number") {
        if (visitNumber(x)) return;
      } else if (typeof x === "object" && x !== null) {
        pending[top] = x;
        levels[top] = level + 1;
        top++;
      }
    }
  }
}

/**
 * For a value JSON.parse just made (no cycles, plain arrays and objects): true when it holds an
 * integer beyond 2^53 (JSON.parse rounded it), JsonTooDeepError beyond MAX_JSON_DEPTH. Recursive,
 * because the depth limit bounds the recursion (1,000 frames is far from any engine's stack limit)
 * and on the receive hot path a plain recursive walk costs a fraction of the explicit stack's
 * allocations. It walks to the end even after a hit, so the depth limit always holds.
 */
export function parsedHasUnsafeInteger(v: unknown, depth = 1): boolean {
  if (typeof v !== "object" || v === null) return typeof v === "number" && Number.isInteger(v) && !Number.isSafeInteger(v);
  if (depth > MAX_JSON_DEPTH) throw new JsonTooDeepError();
  let unsafe = false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x === "object" ? x !== null && parsedHasUnsafeInteger(x, depth + 1) : typeof x === "number" && Number.isInteger(x) && !Number.isSafeInteger(x)) unsafe = true;
    }
    return unsafe;
  }
  for (const k in v) {
    // JSON.parse makes own properties only; a polluted Object.prototype adds nothing to walk.
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
    const x = (v as Record<string, unknown>)[k];
    if (typeof x === "object" ? x !== null && parsedHasUnsafeInteger(x, depth + 1) : typeof x === "number" && Number.isInteger(x) && !Number.isSafeInteger(x)) unsafe = true;
  }
  return unsafe;
}

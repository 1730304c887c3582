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

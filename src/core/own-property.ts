/**
 * Keys from a peer become own data properties, never anything else. Plain assignment of a key that
 * an object inherits goes through what it inherits: `row["__proto__"] = v` calls Object.prototype's
 * setter and makes `v` the row's prototype (a jsontable column named "__proto__" once turned every
 * row into an heir of the peer's values, the key itself vanishing from Object.keys), and with a
 * frozen Object.prototype `row.constructor = v` throws. Defining the property avoids both.
 */
export function isInheritedName(key: string): boolean {
  return key in Object.prototype;
}

/** Set `key` on `target` as an own, enumerable, writable data property (ECMA-262 CreateDataProperty). */
export function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

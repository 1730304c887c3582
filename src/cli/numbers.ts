/** Numeric flag parsers: a value that is not what the flag takes is a usage error, never NaN. */
import { InvalidArgumentError } from "commander";

export function nonNegativeInt(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`${flag} takes a whole number ≥ 0, got ${JSON.stringify(value)}`);
    return n;
  };
}

export function positiveSeconds(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    // setTimeout's limit, in seconds.
    if (value.trim() === "" || !Number.isFinite(n) || n <= 0 || n * 1000 > 2 ** 31 - 1) {
      throw new InvalidArgumentError(`${flag} takes a number of seconds > 0, got ${JSON.stringify(value)}`);
    }
    return n;
  };
}

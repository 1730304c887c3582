import { NatsBridgeError } from "../errors.js";

/**
 * Receive-side bounds on link payloads (issue 8 items 2 and 3). 256 MiB per payload: half of what
 * V8 can hold as one string (2^29 characters), so a text or JSON payload of that size can still
 * be decoded, and small enough for a browser tab. 1 GiB for all links of one message together.
 */
export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;
export const DEFAULT_MAX_DOWNLOAD_BYTES = 1024 * 1024 * 1024;
/** The seeds' messages carry a handful of payloads; 64 links is far above that and far below a flood. */
export const DEFAULT_MAX_LINKS = 64;
/** Downloads of one message running at once. */
export const DEFAULT_MAX_CONCURRENT_DOWNLOADS = 4;

/** A whole number ≥ min (Infinity allowed where a bound may be switched off). */
export function countOption(v: unknown, name: string, dflt: number, min = 0): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !(v >= min) || (Number.isFinite(v) && !Number.isInteger(v))) {
    throw new NatsBridgeError("INVALID_OPTIONS", `${name} must be a whole number ≥ ${min} (or Infinity)`);
  }
  return v;
}

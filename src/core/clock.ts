/**
 * The envelope timestamp: ISO 8601 UTC with milliseconds, as `Date#toISOString` writes it.
 * Formatting a date costs more than a third of a microsecond while a busy sender publishes many
 * messages per millisecond, so the text is made once per millisecond and reused within it.
 */
let lastMs = Number.NaN;
let lastIso = "";

export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

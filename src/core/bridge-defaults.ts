import type { SmartreceiveOptions, SmartsendOptions } from "./types.js";

/** Options every call of one bridge starts from; a call's own options win (issue 8 item 5: per bridge and per call). */
export interface BridgeDefaults {
  smartsend?: SmartsendOptions;
  smartreceive?: SmartreceiveOptions;
}

/** Option objects merged one level deeper, so a call's `timeouts: { total_ms }` keeps the bridge's headers_ms. */
const NESTED = ["timeouts", "retry"] as const;

/** Merge a call's options over the bridge's; with no bridge defaults the call's object is used as it is (hot path). */
export function withDefaults<T extends SmartsendOptions | SmartreceiveOptions>(base: T | undefined): (call: T | undefined) => T | undefined {
  if (base === undefined) return (call) => call;
  return (call) => {
    if (call === undefined || call === null) return base;
    const merged: Record<string, unknown> = { ...base, ...call };
    for (const k of NESTED) {
      const b = (base as Record<string, unknown>)[k];
      const c = (call as Record<string, unknown>)[k];
      if (b && c && typeof b === "object" && typeof c === "object") merged[k] = { ...b, ...c };
    }
    return merged as T;
  };
}

/** Types for run-mpy.mjs (natsbridge_mpy.py on the MicroPython WebAssembly runtime). */
export interface MpyOptions {
  /** MicroPython heap in bytes (default 4 MiB). Only the first load decides. */
  heapsize?: number;
}
export interface MpySummary {
  runtime: string;
  files: number;
  vectors: number;
  passed: number;
  not_applicable: number;
  failed: number;
  failures: [string, string][];
  output: string[];
}
export function loadMpy(opts?: MpyOptions): Promise<{ mp: any; out: string[]; heapsize: number }>;
export function runVectors(opts?: MpyOptions): Promise<MpySummary>;
export function rtDecode(envelopes: string[], opts?: MpyOptions): Promise<any[]>;
export function rtEncode(specs: unknown[], opts?: MpyOptions): Promise<any[]>;
export function runPython(code: string, opts?: MpyOptions): Promise<string[]>;
export function rtReencode(jsonText: string, opts?: MpyOptions): Promise<string>;

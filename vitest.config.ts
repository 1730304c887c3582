import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "conformance/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Real servers per file; two cores: keep file-level parallelism modest.
    maxWorkers: 2,
    minWorkers: 1,
    // A skip in CI is a failure to test: fail the run if any test is skipped or todo.
    passWithNoTests: false,
    // The JSON report lets .ci/run fail a run that skipped anything and print the plain
    // "N passed, N failed" line CI reads.
    reporters: ["default", "json"],
    outputFile: { json: "test-results/vitest.json" },
  },
});

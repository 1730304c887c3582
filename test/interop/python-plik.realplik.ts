/**
 * TS ↔ Python peer interop with link payloads through the REAL Plik server (plikd).
 *
 * Not part of the default `vitest run` (its name does not end in .test.ts): plikd is built by
 * `bash scripts/provision-plik.sh` with `go install github.com/root-gg/plik/server`, and the Go
 * module proxy reachable from this project's machines refuses that module (see docs/plik.md).
 * Run it where plikd exists:
 *   bash scripts/provision-plik.sh   # or PLIKD_BIN=/path/to/plikd
 *   npx vitest run --config conformance/plik/vitest.config.ts
 * A missing plikd fails this run with instructions; it never skips.
 */
import { startPlik } from "../helpers/plik.js";
import { definePythonInteropSuite } from "./python-suite.js";

definePythonInteropSuite("real Plik", async () => {
  const plik = await startPlik();
  return { url: plik.url, stop: () => plik.stop() };
});

/**
 * TS ↔ Python peer interop over a real nats-server, link payloads through the development file
 * server (src/fileserver.ts). The same suite against the real Plik server is
 * test/interop/python-plik.realplik.ts (see docs/plik.md for why it is a separate run).
 */
import { startTestFileServer } from "../helpers/fileserver.js";
import { definePythonInteropSuite } from "./python-suite.js";

definePythonInteropSuite("dev file server", async () => {
  const fs = await startTestFileServer();
  return { url: fs.url, stop: () => fs.close() };
});

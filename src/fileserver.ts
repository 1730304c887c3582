/**
 * `natsbridge/fileserver`: a development Plik-compatible file server for Node, so tests, demos
 * and local setups can use the claim-check (link) transport without running a real Plik.
 */
export { startFileServer } from "./devserver/server.js";
export type { FileServer, FileServerOptions, FileServerStats } from "./devserver/server.js";

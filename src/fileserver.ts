/**
 * `natsbridge/fileserver`: a development Plik-compatible file server for Node, so tests, demos
 * and local setups can use the claim-check (link) transport without running a real Plik.
 */
export { startFileServer } from "./devserver/server.js";
export type { FileServer, FileServerCorsOptions, FileServerOptions, FileServerStats, FileServerTimeouts } from "./devserver/server.js";
export { DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_MAX_UPLOADS, DEFAULT_TIMEOUTS } from "./devserver/server.js";
export { startObjectStoreGateway } from "./devserver/objectstore-gateway.js";
export type { ObjectStoreGateway, ObjectStoreGatewayOptions } from "./devserver/objectstore-gateway.js";

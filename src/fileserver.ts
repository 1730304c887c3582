/**
 * `natsbridge/fileserver`: a development Plik-compatible file server for Node, so tests, demos
 * and local setups can use the claim-check (link) transport without running a real Plik.
 */
export { startFileServer } from "./devserver/devserver.js";
export type { FileServer, FileServerOptions, FileServerStats } from "./devserver/devserver.js";
export { startObjectStoreGateway } from "./devserver/objectstore-gateway.js";
export type { ObjectStoreGateway, ObjectStoreGatewayOptions } from "./devserver/objectstore-gateway.js";

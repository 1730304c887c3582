/** CORS for the dev file server: browser pages on another origin upload and download through it. */
import type { ServerResponse } from "node:http";

const RESPONSE_HEADERS: Record<string, string> = {
  "Access-Control-Allow-Origin": "*",
  // Without exposing Content-Length a cross-origin browser client cannot check a download's size.
  "Access-Control-Expose-Headers": "Content-Length",
};

const PREFLIGHT_HEADERS: Record<string, string> = {
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS, HEAD",
  // X-UploadToken is not a CORS-safelisted header, so a browser preflights every file upload.
  "Access-Control-Allow-Headers": "Content-Type, X-UploadToken",
  "Access-Control-Max-Age": "600",
};

/** Set the CORS headers every answer carries; `writeHead` merges them into whatever is sent. */
export function applyCors(res: ServerResponse): void {
  for (const [k, v] of Object.entries(RESPONSE_HEADERS)) res.setHeader(k, v);
}

/** Answer a CORS preflight. */
export function answerPreflight(res: ServerResponse): void {
  res.writeHead(204, PREFLIGHT_HEADERS);
  res.end();
}

/**
 * CORS for the dev file server. Browser pages on another origin upload and download through it,
 * but only the origins the user named: with `Access-Control-Allow-Origin: *` any web page open in
 * a developer's browser could fill the disk or read files (issue 8, "Dev file server").
 */
import type { IncomingMessage, ServerResponse } from "node:http";

const RESPONSE_HEADERS: Record<string, string> = {
  // Without exposing Content-Length a cross-origin browser client cannot check a download's size.
  "Access-Control-Expose-Headers": "Content-Length",
};

const PREFLIGHT_HEADERS: Record<string, string> = {
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS, HEAD",
  // X-UploadToken is not a CORS-safelisted header, so a browser preflights every file upload.
  "Access-Control-Allow-Headers": "Content-Type, X-UploadToken",
  "Access-Control-Max-Age": "600",
};

/**
 * Decide a request's origin and set the CORS headers its answer carries (`writeHead` merges them
 * into whatever is sent). Returns false for a request from an origin that is not allowed: it gets
 * no CORS headers and must be refused, since "simple" cross-origin requests (a form POST, a GET
 * that spends a one-shot file) reach the server even when the page cannot read the answer.
 * Requests without `Origin` (Node, Python, curl) are not browser cross-origin requests and pass.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, allowOrigin: (origin: string) => boolean): boolean {
  // The answer depends on the Origin header, so caches must key on it (Fetch standard, CORS protocol and HTTP caches).
  res.setHeader("Vary", "Origin");
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (!allowOrigin(origin)) return false;
  res.setHeader("Access-Control-Allow-Origin", origin);
  for (const [k, v] of Object.entries(RESPONSE_HEADERS)) res.setHeader(k, v);
  return true;
}

/** Answer an `OPTIONS` request: a preflight from an allowed origin, or a plain one without `Origin`. */
export function answerPreflight(res: ServerResponse): void {
  res.writeHead(204, PREFLIGHT_HEADERS);
  res.end();
}

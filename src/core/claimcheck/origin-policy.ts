import { NatsBridgeError } from "../errors.js";
import { isNonPublicHost } from "./address.js";

/** An origin (`"https://files.example.com"`, `"http://127.0.0.1:8080"`) or a predicate over the link URL. */
export type OriginRule = string | ((url: URL) => boolean);
/** `allowed_origins`: one rule or a list of them. */
export type AllowedOrigins = OriginRule | readonly OriginRule[];
/** The decision, made for a parsed http(s) URL before any request. */
export type OriginPolicy = (url: URL) => boolean;

/** `"http://Host:80/x"` → `"http://host"`: the WHATWG origin, so spellings of one origin compare equal. */
function originOf(text: string, option: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new NatsBridgeError("INVALID_OPTIONS", `${option} must hold http(s) origins, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new NatsBridgeError("INVALID_OPTIONS", `${option} must hold http(s) origins, got ${JSON.stringify(text)}`);
  }
  return url.origin;
}

const asList = <T>(v: T | readonly T[] | undefined): readonly T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v as T]);

/**
 * Which link URLs a receiver may fetch (issue 8, SSRF): a link is fetched only when its origin is
 * one the user named — a file server URL or an origin in `allowed_origins` — or a predicate in
 * `allowed_origins` approves it. A predicate never opens a loopback, private, link-local or other
 * non-public address: those must be named as an origin, so `() => true` cannot reach the
 * receiver's own network by accident.
 */
export function makeOriginPolicy(fileserver_urls: string | readonly string[], allowed: AllowedOrigins | undefined): OriginPolicy {
  const origins = new Set<string>();
  const predicates: Array<(url: URL) => boolean> = [];
  for (const u of asList(fileserver_urls)) {
    if (typeof u !== "string") throw new NatsBridgeError("INVALID_OPTIONS", "fileserver_url must be a string or a list of strings");
    origins.add(originOf(u, "fileserver_url"));
  }
  for (const rule of asList(allowed)) {
    if (typeof rule === "string") origins.add(originOf(rule, "allowed_origins"));
    else if (typeof rule === "function") predicates.push(rule);
    else throw new NatsBridgeError("INVALID_OPTIONS", "allowed_origins must hold origin strings or (url: URL) => boolean predicates");
  }
  return (url) => {
    if (origins.has(url.origin)) return true;
    if (predicates.length === 0 || isNonPublicHost(url.hostname)) return false;
    return predicates.some((p) => askPredicate(p, url));
  };
}

function askPredicate(p: (url: URL) => boolean, url: URL): boolean {
  try {
    // The predicate gets its own copy: it must not be able to rewrite the URL that is then fetched.
    return p(new URL(url.href)) === true;
  } catch (e) {
    // The caller's own code failed: say so, rather than reporting it as a bad message.
    throw new NatsBridgeError("INVALID_OPTIONS", `an allowed_origins predicate threw: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
}

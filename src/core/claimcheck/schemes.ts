/**
 * Link URLs beyond http(s). A receiver refuses any other scheme on a peer's say-so (file:, data:,
 * javascript: …), unless its download handler claims it: a handler that reads, say, JetStream
 * Object Store links lists its schemes in a `schemes` property (`["natsobj:"]`, with the colon, as
 * URL#protocol writes it). An upload handler claims the schemes of the links it returns the same way.
 */
export interface ClaimsSchemes {
  readonly schemes?: readonly string[];
}

/** Does `handler` claim the scheme of `protocol` (a URL#protocol such as "natsobj:")? */
export function claimsProtocol(handler: unknown, protocol: string): boolean {
  const schemes = (handler as ClaimsSchemes | undefined)?.schemes;
  return Array.isArray(schemes) && schemes.includes(protocol.toLowerCase());
}

/** http(s), or a scheme `handler` claims: the only link URLs natsbridge writes or follows. */
export function linkUrlAllowed(url: string, handler: unknown): boolean {
  if (/^https?:\/\//i.test(url)) return true;
  try {
    return claimsProtocol(handler, new URL(url).protocol);
  } catch {
    return false;
  }
}

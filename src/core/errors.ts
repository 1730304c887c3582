/**
 * Error codes from the seeds' error table, plus the ones natsbridge adds for
 * conditions the seeds leave unnamed (malformed envelopes, envelopes that cannot fit, requests
 * that get no answer).
 */
export const ErrorCodes = [
  "INVALID_PAYLOAD_TYPE",
  "UPLOAD_FAILED",
  "DOWNLOAD_FAILED",
  "INVALID_TRANSPORT",
  "NATS_CONNECTION_FAILED",
  "DESERIALIZATION_ERROR",
  "INVALID_ENVELOPE",
  "SERIALIZATION_ERROR",
  "ENVELOPE_TOO_LARGE",
  "INVALID_OPTIONS",
  /** The caller's AbortSignal fired: nothing was published, requests in flight were cancelled. */
  "ABORTED",
  /** A link payload's bytes do not match the SHA-256 its envelope names. */
  "INTEGRITY_ERROR",
  /** An unexpected exception inside natsbridge: a bug to report, never a verdict on the data. */
  "INTERNAL_ERROR",
  // Request/reply (src/core/request.ts): nobody answered in time, nobody listens on the subject,
  // or the responder answered with an error-response envelope (its code, message and details in
  // `details.remote`).
  "REQUEST_TIMEOUT",
  "NO_RESPONDERS",
  "REMOTE_ERROR",
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

export interface NatsBridgeErrorInit {
  correlation_id?: string;
  cause?: unknown;
  details?: Record<string, unknown>;
}

/** The one error type natsbridge throws; branch on `code`. */
export class NatsBridgeError extends Error {
  readonly code: ErrorCode;
  readonly correlation_id?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, init: NatsBridgeErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "NatsBridgeError";
    this.code = code;
    if (init.correlation_id !== undefined) this.correlation_id = init.correlation_id;
    if (init.details !== undefined) this.details = init.details;
  }
}

export function isNatsBridgeError(e: unknown, code?: ErrorCode): e is NatsBridgeError {
  return e instanceof NatsBridgeError && (code === undefined || e.code === code);
}

/** Attach a correlation id to an error raised before it was known, or wrap a foreign error. */
export function withCorrelation(e: unknown, code: ErrorCode, message: string, correlation_id?: string): NatsBridgeError {
  if (e instanceof NatsBridgeError) {
    if (e.correlation_id !== undefined || correlation_id === undefined) return e;
    return new NatsBridgeError(e.code, e.message, { correlation_id, cause: e.cause, details: e.details });
  }
  const why = e instanceof Error ? e.message : String(e);
  return new NatsBridgeError(code, `${message}: ${why}`, { correlation_id, cause: e });
}

import { NatsBridgeError } from "../errors.js";

/**
 * Why a link was not delivered, in `details.reason` of a DOWNLOAD_FAILED error. The first three are
 * decided before any request, from the envelope and the receiver's options; the rest come from
 * the transfer.
 */
export type DownloadFailure =
  | "origin_not_allowed"
  | "too_many_links"
  | "too_large"
  | "size_mismatch"
  | "http_status"
  | "network"
  | "timeout"
  | "aborted";

export interface DownloadErrorInit {
  correlation_id?: string;
  cause?: unknown;
  details?: Record<string, unknown>;
}

/**
 * The message of a failed transfer is the same whatever the target answered: an error text that
 * said "fetch failed" for one address and "HTTP 500" for another would let a sender map which
 * internal ports are open (issue 8 item 3). What happened goes to `details` (and to the trace).
 */
export const TRANSFER_FAILED = "download failed";

export function downloadError(reason: DownloadFailure, message: string, init: DownloadErrorInit = {}): NatsBridgeError {
  return new NatsBridgeError("DOWNLOAD_FAILED", message, { ...init, details: { ...init.details, reason } });
}

export { NatsBridgeError, ErrorCodes, isNatsBridgeError, type ErrorCode } from "./errors.js";
export type { Runtime, NatsConnectionLike, FetchLike, ResponseLike } from "./runtime.js";
export type * from "./types.js";
export {
  WireEnvelopeSchema,
  WirePayloadSchema,
  HEADER_FIELDS,
  PAYLOAD_FIELDS,
  parseEnvelope,
  type ParsedEnvelope,
  type ParsedPayload,
} from "./envelope.js";
export { BUILTIN_SERIALIZERS, type Serializer } from "./serializers/registry.js";
export {
  thresholdPolicy,
  byThreshold,
  largestDirect,
  fitToMaxPayload,
  maxPayloadOf,
  DEFAULT_MAX_PAYLOAD,
  DEFAULT_SIZE_THRESHOLD,
  type TransportPolicy,
  type PayloadSizeInfo,
  type PolicyContext,
} from "./transport.js";
export { DEFAULT_BROKER_URL, DEFAULT_FILESERVER_URL } from "./smartsend.js";
export { uuidv4 } from "./uuid.js";
export { plainCodec, fastCodec, type Codec } from "./codec.js";
export { type Bridge, type BridgeOptions, type BridgeDefaults } from "./bridge.js";
export type { IncomingMessage } from "./smartreceive.js";
export type { ProgressEvent, ProgressListener } from "./progress.js";
export type { ByteSource } from "./byte-source.js";
export type { PlikUploadOptions } from "./claimcheck/plik.js";
export type { FetchWithBackoffOptions } from "./claimcheck/fetch-backoff.js";
export type { DownloadOptions, FetchWithBackoff } from "./claimcheck/fetch-backoff.js";
export type { UploadCallOptions } from "./claimcheck/plik.js";
export type { LinkReceiveOptions } from "./claimcheck/download-session.js";
export type { AllowedOrigins, OriginRule } from "./claimcheck/origin-policy.js";
export type { DownloadFailure } from "./claimcheck/download-error.js";
export { DEFAULT_RETRY, defaultRetryableStatus, type RetryOptions } from "./claimcheck/retry.js";
export { DEFAULT_DOWNLOAD_TIMEOUTS, DEFAULT_UPLOAD_TIMEOUTS, type Timeouts } from "./claimcheck/timeouts.js";
export { DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_MAX_DOWNLOAD_BYTES, DEFAULT_MAX_LINKS, DEFAULT_MAX_CONCURRENT_DOWNLOADS } from "./claimcheck/limits.js";
export { isNonPublicHost } from "./claimcheck/address.js";
export { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_INBOX_PREFIX, type SmartrequestOptions, type SmartreplyOptions, type RequestEnvelope } from "./request.js";
export type { RemoteError, ReplyError } from "./error-response.js";
export {
  createObjectStoreClaims,
  objectLink,
  parseObjectLink,
  bucketStreamName,
  OBJECT_LINK_SCHEME,
  DEFAULT_BUCKET,
  DEFAULT_OBJECT_TTL_MS,
  type ObjectStoreClaimOptions,
  type ObjectStoreClaims,
  type ObjectLink,
} from "./claimcheck/objectstore.js";
export { claimsProtocol, type ClaimsSchemes } from "./claimcheck/schemes.js";
export type { JetStreamConnectionLike, ConnectionSource, PubAckLike, JsMsgLike } from "./jetstream/api.js";
export { settleAction, type ConsumeOptions, type ConsumeHandler, type Consumption } from "./jetstream/consume.js";
export { DEFAULT_JETSTREAM_TIMEOUT_MS, type JetStreamOption } from "./jetstream/publish.js";

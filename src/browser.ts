/**
 * Browser entry (package export condition `browser`). Same API as the Node entry; the runtime
 * edge uses nats.ws (NATS over WebSocket, loaded on first connect), the global
 * fetch/FormData/Blob and base64 without Buffer. Nothing here, or in what it imports, may pull in
 * a Node built-in: test/browser/bundle.test.ts bundles the built package for the browser and fails if one shows up.
 */
import { createBridge as createCoreBridge, type Bridge, type BridgeOptions } from "./core/bridge.js";
import { fastCodec } from "./core/codec.js";
import { connectorMissing } from "./core/connector.js";
import { NatsBridgeError } from "./core/errors.js";
import type { FetchLike, NatsConnectionLike, Runtime } from "./core/runtime.js";
import { base64Decode, base64Encode } from "./core/base64/js.js";

const WS_URL = /^wss?:\/\//i;

/**
 * nats.ws is loaded the first time natsbridge opens a connection itself (issue 12), so an app that
 * passes `nats_connection` (e.g. from `@nats-io/nats-core` v3) never loads it. The `import()` sits
 * in a try block on purpose: that is how esbuild and webpack tell an optional module, so an app
 * without nats.ws installed still bundles (Vite stubs it as an optional peer dependency).
 */
async function loadNatsWs(url: string): Promise<typeof import("nats.ws")> {
  try {
    return await import("nats.ws");
  } catch (e) {
    throw connectorMissing("nats.ws", url, e);
  }
}

async function connect(url: string): Promise<NatsConnectionLike> {
  if (!WS_URL.test(url)) {
    throw new NatsBridgeError(
      "NATS_CONNECTION_FAILED",
      `in the browser natsbridge connects over WebSocket: broker_url must start with ws:// or wss://, got ${JSON.stringify(url)}` +
        " (enable the nats-server `websocket` block and use its port)",
      { details: { broker_url: url } },
    );
  }
  const { connect: wsConnect } = await loadNatsWs(url);
  try {
    return (await wsConnect({ servers: url })) as unknown as NatsConnectionLike;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new NatsBridgeError("NATS_CONNECTION_FAILED", `cannot connect to ${url}: ${why}`, {
      cause: e,
      details: { broker_url: url },
    });
  }
}

/** Called through the runtime object, so bind to the global: a bare `fetch` reference would throw "Illegal invocation". */
const fetchGlobal: FetchLike = (input, init) => globalThis.fetch(input, init);

export const browserRuntime: Runtime = {
  connect,
  fetch: fetchGlobal,
  FormData: globalThis.FormData,
  Blob: globalThis.Blob,
  base64Encode,
  base64Decode,
  env: () => undefined,
};

/** A bridge of its own (own serializers, policy, logger, defaults), on this runtime unless told otherwise. */
export const createBridge = (options: BridgeOptions = {}): Bridge =>
  createCoreBridge({ runtime: browserRuntime, codec: fastCodec(options.runtime ?? browserRuntime), ...options });

/** The bridge behind the package's top-level functions. */
export const bridge: Bridge = createBridge();

export const {
  smartsend, smartreceive, smartrequest, smartreply, consume, close, plikOneshotUpload, createPlikUploadHandler, fetchWithBackoff,
  registerSerializer, unregisterSerializer, getSerializer, payloadTypes, setLogger,
} = bridge;

export * from "./core/index.js";

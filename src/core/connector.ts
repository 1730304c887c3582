import { NatsBridgeError } from "./errors.js";

/**
 * The error for a default connector (`nats` in Node, `nats.ws` in the browser) that cannot be
 * loaded. They are optional peer dependencies (issue 12): natsbridge loads one only when it has to
 * open a connection for `broker_url` itself, so an app that passes `nats_connection` (e.g. from
 * `@nats-io/*` v3) need not install it, and its bundle does not carry it.
 */
export function connectorMissing(pkg: string, broker_url: string, cause: unknown): NatsBridgeError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new NatsBridgeError(
    "NATS_CONNECTION_FAILED",
    `cannot load "${pkg}", which natsbridge uses to connect to ${broker_url}: install it (npm i ${pkg}) or pass ` +
      `your own connection as nats_connection (${why})`,
    { cause, details: { broker_url, connector: pkg } },
  );
}

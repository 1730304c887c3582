import type { Logger } from "./types.js";

/** Trace logging in the seeds' format: `[timestamp] [Correlation: id] message`. Off unless asked for. */
export type Trace = (correlation_id: string, message: string | (() => string)) => void;

/** A bridge's sink for `log: true` and NATSBRIDGE_LOG; each bridge has its own (bridge.setLogger). */
export interface LogSink {
  logger: Logger;
}

const silent: Trace = () => {};

/** The user asked for logs (option or NATSBRIDGE_LOG); console is the only sink both runtimes share. */
export const consoleLogger: Logger = (line) => globalThis.console?.log(line);

export function makeTrace(option: boolean | Logger | undefined, envFlag: () => string | undefined, sink: LogSink): Trace {
  if (option === false || (option === undefined && !isOn(envFlag()))) return silent;
  const logger = typeof option === "function" ? option : sink.logger;
  // Messages may come as thunks so that a silent trace never pays for building them.
  return (correlation_id, message) =>
    logger(`[${new Date().toISOString()}] [Correlation: ${correlation_id}] ${typeof message === "function" ? message() : message}`);
}

function isOn(flag: string | undefined): boolean {
  return flag !== undefined && flag !== "" && flag !== "0" && flag.toLowerCase() !== "false";
}

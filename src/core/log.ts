import type { Logger } from "./types.js";

/** Trace logging in the seeds' format: `[timestamp] [Correlation: id] message`. Off unless asked for. */
export type Trace = (correlation_id: string, message: string | (() => string)) => void;

const silent: Trace = () => {};

let defaultSink: Logger = (line) => {
  // The user asked for logs (option or NATSBRIDGE_LOG); console is the only sink both runtimes share.
  globalThis.console?.log(line);
};

/** Replace the sink used when logging is switched on with `log: true` or the environment variable. */
export function setLogger(logger: Logger): void {
  defaultSink = logger;
}

export function makeTrace(option: boolean | Logger | undefined, envFlag: () => string | undefined): Trace {
  if (option === false || (option === undefined && !isOn(envFlag()))) return silent;
  const sink = typeof option === "function" ? option : defaultSink;
  // Messages may come as thunks so that a silent trace never pays for building them.
  return (correlation_id, message) =>
    sink(`[${new Date().toISOString()}] [Correlation: ${correlation_id}] ${typeof message === "function" ? message() : message}`);
}

function isOn(flag: string | undefined): boolean {
  return flag !== undefined && flag !== "" && flag !== "0" && flag.toLowerCase() !== "false";
}

/** Print a received envelope (and save its payloads) the way --json and --save ask. */
import { mkdir } from "node:fs/promises";
import { isNatsBridgeError, type ReceivedEnvelope } from "../node.js";
import { describeJson, describeLines, wireFacts } from "./describe.js";
import { savePayload } from "./save.js";

export interface ShowFlags {
  json?: boolean;
  save?: string;
}

/** smartreceive options for the flags: with --save, link payloads of the byte types stream to their files. */
export const streamWhenSaving = (flags: ShowFlags) => (flags.save !== undefined ? { as: "stream" as const } : {});

/** Create the --save directory up front: a typo there should fail before anything is received. */
export async function prepareSave(flags: ShowFlags): Promise<void> {
  if (flags.save !== undefined) await mkdir(flags.save, { recursive: true });
}

export async function showEnvelope(env: ReceivedEnvelope, raw: Uint8Array, subject: string, flags: ShowFlags): Promise<void> {
  const saved: (string | undefined)[] = [];
  if (flags.save !== undefined) for (const t of env.payloads) saved.push(await savePayload(flags.save, t));
  const d = { env, subject, wire: wireFacts(raw), saved };
  process.stdout.write(flags.json ? describeJson(d) : describeLines(d));
}

/** The --json line for a message that could not be received. */
export function describeFailure(subject: string, e: unknown): string {
  const error = isNatsBridgeError(e) ? { code: e.code, message: e.message } : { code: "ERROR", message: String((e as Error)?.message ?? e) };
  return `${JSON.stringify({ subject, error })}\n`;
}

/** Flags for what a command sends: envelope fields, upload settings and the progress bars. */
import { Option, type Command } from "commander";
import { createPlikUploadHandler, type SmartsendOptions } from "../node.js";
import type { ConnectionFlags } from "./connection.js";
import { nonNegativeInt } from "./numbers.js";
import { uploadProgress, type UploadProgress } from "./progress.js";

export interface EnvelopeFlags extends ConnectionFlags {
  sizeThreshold: number;
  correlationId?: string;
  msgPurpose?: string;
  senderName?: string;
  keepUploads?: boolean;
  ttl?: number;
  progress: boolean;
}

export function addEnvelopeOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--correlation-id <id>", "correlation id (default: a fresh UUID)"))
    .addOption(new Option("--msg-purpose <purpose>", "the envelope's msg_purpose (default: chat)"))
    .addOption(new Option("--sender-name <name>", "the envelope's sender_name (default: NATSBridge)"))
    .addOption(new Option("--keep-uploads", "linked files can be downloaded more than once (for subjects with several receivers)"))
    .addOption(new Option("--ttl <seconds>", "how long the file server keeps linked files").argParser(nonNegativeInt("--ttl")))
    .addOption(new Option("--no-progress", "no upload progress bars (they show only when stderr is a terminal)"));
}

/** smartsend options for the flags, plus the upload handler that draws the bars (stop it when done). */
export function sendOptions(flags: EnvelopeFlags): { options: SmartsendOptions; progress: UploadProgress } {
  const progress = uploadProgress(process.stderr, flags.progress && process.stderr.isTTY === true);
  const options: SmartsendOptions = {
    broker_url: flags.server,
    fileserver_url: flags.fileserver,
    size_threshold: flags.sizeThreshold,
    fileserver_upload_handler: createPlikUploadHandler({ oneShot: !flags.keepUploads, ...(flags.ttl !== undefined ? { ttl: flags.ttl } : {}) }),
  };
  if (progress.onProgress) options.onProgress = progress.onProgress;
  if (flags.correlationId !== undefined) options.correlation_id = flags.correlationId;
  if (flags.msgPurpose !== undefined) options.msg_purpose = flags.msgPurpose;
  if (flags.senderName !== undefined) options.sender_name = flags.senderName;
  return { options, progress };
}

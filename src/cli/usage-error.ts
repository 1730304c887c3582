/** A command line that cannot be carried out as written: exit code 2, like commander's own errors. */
export class UsageError extends Error {
  override name = "UsageError";
}

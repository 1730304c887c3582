export interface CliArgs {
  /** Print the message and the usage, exit 2. */
  fail(message: string): never;
  /** `--name N`: a non-negative integer, or undefined when the flag is absent. */
  intOption(name: string, value: string | undefined): number | undefined;
}

/** What the dev server's two command lines share: a usage error exits 2 with the usage text. */
export function cliArgs(usage: string): CliArgs {
  const fail = (message: string): never => {
    process.stderr.write(`${message}\n\n${usage}\n`);
    process.exit(2);
  };
  const intOption = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
    return n;
  };
  return { fail, intOption };
}

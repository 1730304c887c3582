import { parseArgs, type ParseArgsConfig } from "node:util";

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/** The flags' values as `parseArgs` gives them for `options`. */
export type CliValues<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ options: O }>>["values"];

export interface CliArgs {
  /** The flags given (`process.argv`), for `options` plus `--help`/`-h`, which prints the usage and exits 0. */
  parse<const O extends ParseArgsOptionsConfig>(options: O): CliValues<O>;
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
  const parse = <const O extends ParseArgsOptionsConfig>(options: O): CliValues<O> => {
    let values: { help?: boolean };
    try {
      // parseArgs throws for an unknown flag or a missing value: a usage error.
      values = parseArgs({ options: { ...options, help: { type: "boolean", short: "h" } } }).values as { help?: boolean };
    } catch (e) {
      return fail(e instanceof Error ? e.message : String(e));
    }
    if (values.help) {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    return values as CliValues<O>;
  };
  const intOption = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
    return n;
  };
  return { parse, fail, intOption };
}

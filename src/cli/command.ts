// What every subcommand module exports, and the small helpers they share for flags.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../util/errors.js";
import { parseExtraBody, type JsonObject } from "../engine/openai-map.js";

export interface CommandModule {
  /** One line shown by `trimer --help`. */
  summary: string;
  /** Runs the command; resolves to the process exit code. */
  main(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses flags with node:util's parseArgs (strict: unknown flags are a UsageError that names them) and prints
 * `usage` for --help. Returns null when help was printed.
 */
export function parseFlags<O extends Options>(
  argv: string[],
  options: O,
  usage: string,
  allowPositionals = false,
): { values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>["values"]; positionals: string[] } | null {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(usage);
    return null;
  }
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    if (!allowPositionals && r.positionals.length) throw new UsageError(`unexpected argument "${r.positionals[0]}"\n\n${usage}`);
    return { values: r.values, positionals: r.positionals };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${(e as Error).message}\n\n${usage}`);
  }
}

/** A flag that must be a finite number (integer when `integer`), with the flag's name in the error. */
export function numberFlag(value: string | undefined, name: string, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${integer ? "an integer" : "a number"}, got "${value}"`);
  }
  return n;
}

/** `--extra-body JSON` as sampler options ({} when absent); bad JSON is a UsageError naming the flag. */
export function extraBodyOf(text: string | undefined): { extraBody?: JsonObject } {
  if (text === undefined) return {};
  try {
    return { extraBody: parseExtraBody(text) };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

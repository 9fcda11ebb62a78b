// What every subcommand module exports, and the small helpers they share for flags.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../util/errors.js";
import { parseExtraBody, type JsonObject } from "../engine/openai-map.js";
import { GLOBAL_ALIASES, isCheckpointFolder, type Alias } from "./vocab.js";

export interface CommandModule {
  /** One line shown by `trimer --help`. */
  summary: string;
  /** Runs the command; resolves to the process exit code. */
  main(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

let commandName = "";
/** The running command's name, for the deprecation notices (set by main.ts). */
export function setCommandName(name: string): void {
  commandName = name;
}

export interface ParseExtras {
  /** Old spellings this command keeps (besides vocab.ts's GLOBAL_ALIASES). */
  aliases?: Readonly<Record<string, Alias>>;
}

/** What parseFlags saw, for test/cli/vocab.test.ts (captureFlags). */
export interface CapturedFlags {
  options: Options;
  usage: string;
  help: boolean;
  values: Record<string, unknown>;
  positionals: string[];
  notices: string[];
}

/** Thrown by parseFlags while captureFlags is on: the command stops after parsing, having run nothing. */
export class FlagsCaptured extends Error {
  override name = "FlagsCaptured";
  constructor(readonly flags: CapturedFlags) {
    super("flags captured");
  }
}

let capturing = false;
/** Runs `fn` (a command's main) with parseFlags stopping right after the parse; returns what it parsed. */
export async function captureFlags(fn: () => Promise<unknown>): Promise<CapturedFlags | null> {
  capturing = true;
  try {
    await fn();
    return null;
  } catch (e) {
    if (e instanceof FlagsCaptured) return e.flags;
    throw e;
  } finally {
    capturing = false;
  }
}

/**
 * Rewrites old flag spellings to the vocabulary's (vocab.ts), one notice line per old flag. An alias applies only
 * where the command's table has the new flag and not the old one. `--model DIR` where the table also has
 * --checkpoint: a value that is a checkpoint folder (and no --url given) is taken as --checkpoint, with the notice.
 */
export function rewriteAliases(argv: readonly string[], options: Options, extras: ParseExtras = {}): { argv: string[]; notices: string[] } {
  const aliases = { ...GLOBAL_ALIASES, ...extras.aliases };
  const notices: string[] = [];
  const noted = new Set<string>();
  const note = (text: string, key: string): void => {
    if (noted.has(key)) return;
    noted.add(key);
    notices.push(text);
  };
  const has = (name: string): boolean => Object.prototype.hasOwnProperty.call(options, name);
  const given = (name: string): boolean => argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  const folderRule = has("checkpoint") && has("model") && !given("checkpoint") && !given("url") && !given("base-url");
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^--([^=]+)(=.*)?$/.exec(arg);
    if (!m) {
      out.push(arg);
      continue;
    }
    const name = m[1]!, inline = m[2];
    const alias = aliases[name];
    if (alias && !has(name) && has(alias.to)) {
      note(`--${name} is deprecated; use --${alias.to}`, name);
      out.push(`--${alias.to}${inline ?? ""}`);
      continue;
    }
    if (name === "model" && folderRule) {
      const value = inline !== undefined ? inline.slice(1) : argv[i + 1];
      if (value !== undefined && isCheckpointFolder(value)) {
        note(`--model DIR for a checkpoint folder is deprecated; use --checkpoint ${value} (--model now names a server's model)`, "model");
        out.push(`--checkpoint${inline ?? ""}`);
        continue;
      }
    }
    out.push(arg);
  }
  return { argv: out, notices };
}

/**
 * Parses flags with node:util's parseArgs (strict: unknown flags are a UsageError that names them) and prints
 * `usage` for --help. Returns null when help was printed. Old spellings are rewritten first (rewriteAliases) and
 * each prints one deprecation line on stderr.
 */
export function parseFlags<O extends Options>(
  argv: string[],
  options: O,
  usage: string,
  allowPositionals = false,
  extras: ParseExtras = {},
): { values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>["values"]; positionals: string[] } | null {
  if (argv.includes("--help") || argv.includes("-h")) {
    if (capturing) throw new FlagsCaptured({ options, usage, help: true, values: {}, positionals: [], notices: [] });
    console.log(usage);
    return null;
  }
  const rewritten = rewriteAliases(argv, options, extras);
  try {
    const r = parseArgs({ args: rewritten.argv, options, allowPositionals: true, strict: true });
    if (!allowPositionals && r.positionals.length) throw new UsageError(`unexpected argument "${r.positionals[0]}"\n\n${usage}`);
    if (capturing) throw new FlagsCaptured({ options, usage, help: false, values: r.values as Record<string, unknown>, positionals: r.positionals, notices: rewritten.notices });
    for (const n of rewritten.notices) process.stderr.write(`trimer${commandName ? ` ${commandName}` : ""}: ${n}\n`);
    return { values: r.values, positionals: r.positionals };
  } catch (e) {
    if (e instanceof UsageError || e instanceof FlagsCaptured) throw e;
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

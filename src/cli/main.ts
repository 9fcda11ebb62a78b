#!/usr/bin/env node
// The `trimer` command: one file per subcommand under src/cli/, loaded lazily so that `trimer verify` does not pay
// for the model engine. Each module exports `summary` (one line for the help) and `main(argv)` → exit code.
import { setCommandName, type CommandModule } from "./command.js";
import { describeError } from "./errors.js";
import { diagnose, serverFlags } from "./preflight.js";
import { writeManifests } from "../util/manifest.js";

const commands: Record<string, () => Promise<CommandModule>> = {
  // Keep sorted. Each helper adds its own line.
  curate: () => import("./curate.js"),
  data: () => import("./data.js"),
  eval: () => import("./eval.js"),
  export: () => import("./export.js"),
  generate: () => import("./generate.js"),
  grade: () => import("./grade.js"),
  merge: () => import("./merge.js"),
  model: () => import("./model.js"),
  run: () => import("./run.js"),
  serve: () => import("./serve.js"),
  "serve-reward": () => import("./serve-reward.js"),
  "serve-sandbox": () => import("./serve-sandbox.js"),
  solve: () => import("./solve.js"),
  verify: () => import("./verify.js"),
};

function help(): string {
  const names = Object.keys(commands).sort();
  return [
    "trimer — make language models better at mathematics, and measure it",
    "",
    "usage: trimer <command> [options]      (trimer <command> --help for its options)",
    "",
    "commands:",
    ...names.map((n) => `  ${n}`),
  ].join("\n");
}

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    const lines = [help(), ""];
    for (const n of Object.keys(commands).sort()) {
      const mod = await commands[n]!();
      lines.push(`  ${n.padEnd(14)} ${mod.summary}`);
    }
    console.log(lines.join("\n"));
    return name ? 0 : 1;
  }
  const load = commands[name];
  if (!load) {
    console.error(`trimer: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  const mod = await load();
  setCommandName(name);
  return mod.main(rest);
}

const argv = process.argv.slice(2);
const command = argv[0] && !argv[0].startsWith("-") ? argv[0] : undefined;

run(argv).then(
  async (code) => {
    await writeManifests(code === 0 ? "ok" : "failed", code === 0 ? undefined : `exit code ${code}`);
    process.exitCode = code;
    if (code !== 0) exitSoon(code);
  },
  async (err: unknown) => {
    // One line, `trimer <command>: <what is wrong> — <what to do>`; TRIMER_DEBUG=1 adds the stack trace.
    if (err instanceof Error && err.name === "OpenAIRequestError") {
      // A refused request: ask the server what it serves, to name the fix (a missing /v1, a wrong model name).
      const flags = serverFlags(argv);
      if (flags) err = await diagnose(flags).then(() => err, (better: unknown) => better);
    }
    const { message, code } = describeError(err);
    await writeManifests("failed", message);
    console.error(`trimer${command && commands[command] ? ` ${command}` : ""}: ${message}`);
    if (process.env.TRIMER_DEBUG) console.error(err);
    process.exitCode = code;
    exitSoon(code);
  },
);

/**
 * A failed command ends even when something it started would keep the process alive (a worker thread after a
 * failed listen, a server socket): the event loop gets a moment to drain — work in flight on the native thread
 * pool must finish, or exiting under it can deadlock — then the process exits regardless.
 */
function exitSoon(code: number): void {
  setTimeout(() => process.exit(code), 1500).unref();
}

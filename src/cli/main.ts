#!/usr/bin/env node
// The `trimer` command: one file per subcommand under src/cli/, loaded lazily so that `trimer verify` does not pay
// for the model engine. Each module exports `summary` (one line for the help) and `main(argv)` → exit code.
import type { CommandModule } from "./command.js";

const commands: Record<string, () => Promise<CommandModule>> = {
  // Keep sorted. Each helper adds its own line.
  curate: () => import("./curate.js"),
  data: () => import("./data.js"),
  eval: () => import("./eval.js"),
  export: () => import("./export.js"),
  generate: () => import("./generate.js"),
  grade: () => import("./grade.js"),
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
  return mod.main(rest);
}

run(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    // Errors meant for the user (bad flags, bad files) are UsageError/InputError: print the message only.
    // A server that refused a request for good (OpenAIRequestError) is not a bug here either.
    if (err instanceof Error && (err.name === "UsageError" || err.name === "InputError" || err.name === "OpenAIRequestError")) {
      console.error(`trimer: ${err.message}`);
      process.exitCode = 2;
    } else {
      console.error(err);
      process.exitCode = 1;
    }
  },
);

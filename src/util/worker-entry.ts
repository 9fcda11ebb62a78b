// Where a worker thread's module is: `<name>.js` next to the caller after `npm run build`. From TypeScript source
// (tests, under tsx) it is `<name>.ts`, and tsx's `--import` hook does not reach worker threads on Node 20, so the
// entry is a one-line ESM bootstrap (a data: URL) that registers tsx inside the thread, then imports the module.
// Shared by every worker the project starts: the serve engine and the verifier pool (the sandbox's backends run in child processes instead).

/** The URL to give `new Worker(...)` for module `name` beside `from` (the caller's import.meta.url). */
export function workerEntry(from: string, name: string): URL {
  if (!from.endsWith(".ts")) return new URL(`./${name}.js`, from);
  const target = new URL(`./${name}.ts`, from).href;
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(target)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}

// The mistakes a user makes pointing trimer at an OpenAI-compatible server — no server at that address, a --url
// without /v1, a model name the server does not serve — answered in one line saying what to change:
//   reachable()  before a long job, a bare TCP connect (no HTTP request a minimal server might not expect):
//                connection refused fails in a second instead of after 24 s of retries;
//   diagnose()   after a request failed, GET <url>/models tells a missing /v1 from a wrong model name.
import { connect } from "node:net";
import { UsageError } from "../util/errors.js";

export interface PreflightOptions {
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Time for the whole check (default 10 s). */
  timeoutMs?: number;
}

function join(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path}`;
}

function causeCode(e: unknown): string | undefined {
  const c = (e as { cause?: { code?: string } }).cause;
  return c?.code ?? (e as { code?: string }).code;
}

/**
 * Throws a UsageError with the fix when the server cannot be reached, the URL misses its /v1, or the model is not
 * among the served ones. A server that answers /models with something other than a model list (some proxies do)
 * is given the benefit of the doubt.
 */
export async function diagnose(opts: PreflightOptions): Promise<void> {
  const url = join(opts.baseUrl, "models");
  const headers: Record<string, string> = opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {};
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
  } catch (e) {
    const code = causeCode(e);
    if (code === "ECONNREFUSED") throw new UsageError(`nothing is listening at ${opts.baseUrl} (connection refused) — start the server (e.g. trimer serve --checkpoint DIR) or fix --url`);
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") throw new UsageError(`cannot resolve the host of ${opts.baseUrl} — fix --url`);
    if ((e as Error).name === "TimeoutError") throw new UsageError(`${opts.baseUrl} did not answer GET /models within ${(opts.timeoutMs ?? 10_000) / 1000} s — check --url and that the server is up`);
    throw new UsageError(`cannot reach ${opts.baseUrl} (${code ?? (e as Error).message}) — check --url`);
  }
  const text = await res.text().catch(() => "");
  if (res.status === 401 || res.status === 403) throw new UsageError(`${opts.baseUrl} refused the API key (HTTP ${res.status}) — pass --api-key (or TRIMER_API_KEY)`);
  if (res.status === 404) {
    // Without /v1 the 404 is almost surely the missing path segment; with it, the server may simply not list
    // models (some minimal servers do not): the job goes on and its requests tell.
    const path = new URL(opts.baseUrl).pathname.replace(/\/+$/, "");
    if (!/\/v\d+$/.test(path)) throw new UsageError(`${url} is not found (HTTP 404) — did you mean --url ${join(opts.baseUrl, "v1")}? (--url goes up to /v1)`);
    return;
  }
  if (!res.ok) return; // a server-side hiccup: the job's own retries deal with it
  let ids: string[];
  try {
    const body = JSON.parse(text) as { data?: { id?: unknown }[] };
    if (!Array.isArray(body.data)) return;
    ids = body.data.map((m) => m.id).filter((x): x is string => typeof x === "string");
  } catch {
    return;
  }
  if (ids.length && !ids.includes(opts.model)) {
    throw new UsageError(`the server at ${opts.baseUrl} does not serve a model named "${opts.model}" — it serves: ${ids.slice(0, 10).join(", ")}${ids.length > 10 ? ", …" : ""} (pass one as --model)`);
  }
}

/** Throws a UsageError with the fix when nothing listens at the server's host and port. */
export async function reachable(baseUrl: string, timeoutMs = 10_000): Promise<void> {
  const u = new URL(baseUrl);
  const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, "");
  await new Promise<void>((resolve, reject) => {
    const sock = connect({ host, port });
    const timer = setTimeout(() => { sock.destroy(); resolve(); }, timeoutMs); // slow to accept: let the job's retries judge
    sock.once("connect", () => { clearTimeout(timer); sock.destroy(); resolve(); });
    sock.once("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === "ECONNREFUSED") reject(new UsageError(`nothing is listening at ${baseUrl} (connection refused) — start the server (e.g. trimer serve --checkpoint DIR) or fix --url`));
      else if (e.code === "ENOTFOUND" || e.code === "EAI_AGAIN") reject(new UsageError(`cannot resolve the host of ${baseUrl} — fix --url`));
      else resolve();
    });
  });
}

/** Before a job: the server is reachable (see reachable()). */
export async function preflight(opts: PreflightOptions): Promise<void> {
  await reachable(opts.baseUrl, opts.timeoutMs);
}

/** The server flags of a command line (--url / --base-url, --model / --api-model, --api-key), for diagnose(). */
export function serverFlags(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): PreflightOptions | null {
  const get = (...names: string[]): string | undefined => {
    for (let i = 0; i < argv.length; i++) {
      for (const n of names) {
        if (argv[i] === n) return argv[i + 1];
        if (argv[i]!.startsWith(`${n}=`)) return argv[i]!.slice(n.length + 1);
      }
    }
    return undefined;
  };
  const baseUrl = get("--url", "--base-url") ?? env.TRIMER_BASE_URL ?? env.OPENAI_BASE_URL;
  const model = get("--api-model") ?? get("--model") ?? env.TRIMER_MODEL;
  if (!baseUrl || !model) return null;
  const apiKey = get("--api-key") ?? env.TRIMER_API_KEY ?? env.OPENAI_API_KEY;
  return { baseUrl, model, ...(apiKey ? { apiKey } : {}), timeoutMs: 5_000 };
}

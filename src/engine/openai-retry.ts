// The retry policy, as pure functions: which failures are worth another attempt, and how long to wait.

export interface BackoffOptions {
  /** First delay ceiling (ms); doubles per attempt. */
  baseMs: number;
  /** Largest delay (ms), also the cap on a server's Retry-After. */
  maxMs: number;
}

/**
 * Statuses that may succeed on a later attempt: 408 (request timeout), 409 (OpenAI: "conflict, retry"),
 * 429 (rate limit), and every 5xx. Any other 4xx means the request itself is wrong — retrying would only pay
 * again for the same refusal — so it surfaces at once with the server's message.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * "Full jitter" exponential backoff (delay uniform in [0, min(max, base·2^attempt)]): clients that were
 * rate-limited together spread out instead of retrying in lockstep. A server's Retry-After (seconds or HTTP
 * date) or OpenAI's retry-after-ms is honoured as a lower bound, capped at maxMs. `attempt` counts from 0.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number, retryAfter?: string | string[], retryAfterMs?: string | string[], now = Date.now()): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  let delay = random() * ceiling;
  const hint = parseRetryAfter(retryAfter, retryAfterMs, now);
  if (hint !== undefined) delay = Math.max(delay, Math.min(hint, opts.maxMs));
  return Math.round(delay);
}

/** The server's requested wait in ms, or undefined when absent or unreadable. */
export function parseRetryAfter(retryAfter?: string | string[], retryAfterMs?: string | string[], now = Date.now()): number | undefined {
  const first = (h?: string | string[]): string | undefined => (Array.isArray(h) ? h[0] : h);
  const ms = first(retryAfterMs);
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Number(ms);
  const ra = first(retryAfter)?.trim();
  if (!ra) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra)) return Number(ra) * 1000;
  const t = Date.parse(ra);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

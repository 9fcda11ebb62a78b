// Progress for long jobs: a redrawn bar on a TTY, plain lines (at most one every few seconds) otherwise, so CI
// logs and pipes stay readable. Writes to stderr, keeping stdout for results.

export interface Progress {
  /** Advance by `n` units and optionally replace the trailing status text (e.g. "loss 1.23"). */
  tick(n?: number, status?: string): void;
  /** Set the absolute position. */
  update(done: number, status?: string): void;
  /** Final line; safe to call twice. */
  done(status?: string): void;
}

export interface ProgressOptions {
  /** Where to write (default process.stderr). */
  stream?: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
  /** Minimum milliseconds between plain (non-TTY) lines. */
  plainIntervalMs?: number;
  /** Suppress all output (tests, --quiet). */
  silent?: boolean;
}

function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

export function progress(label: string, total: number, opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY) && !opts.silent;
  const interval = opts.plainIntervalMs ?? 5000;
  const start = Date.now();
  let doneCount = 0;
  let status = "";
  let lastDraw = 0;
  let finished = false;

  const line = (): string => {
    const elapsed = Date.now() - start;
    const frac = total > 0 ? Math.min(1, doneCount / total) : 0;
    const eta = frac > 0 ? (elapsed / frac) * (1 - frac) : NaN;
    const pct = total > 0 ? `${(frac * 100).toFixed(0).padStart(3)}%` : "";
    const counts = total > 0 ? `${doneCount}/${total}` : `${doneCount}`;
    return `${label} ${pct} ${counts} ${fmtDuration(elapsed)}${total > 0 && !finished ? ` eta ${fmtDuration(eta)}` : ""}${status ? `  ${status}` : ""}`;
  };
  const draw = (force: boolean): void => {
    if (opts.silent) return;
    const now = Date.now();
    if (tty) {
      if (!force && now - lastDraw < 100) return;
      const width = 24;
      const frac = total > 0 ? Math.min(1, doneCount / total) : 0;
      const filled = Math.round(frac * width);
      const bar = total > 0 ? `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ` : "";
      stream.write(`\r\x1b[2K${bar}${line()}`);
    } else {
      if (!force && now - lastDraw < interval) return;
      stream.write(`${line()}\n`);
    }
    lastDraw = now;
  };
  return {
    tick(n = 1, s) { doneCount += n; if (s !== undefined) status = s; draw(false); },
    update(d, s) { doneCount = d; if (s !== undefined) status = s; draw(false); },
    done(s) {
      if (finished) return;
      finished = true;
      if (s !== undefined) status = s;
      draw(true);
      if (tty) stream.write("\n");
    },
  };
}

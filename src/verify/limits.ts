// The time and size budget of one check. Math-Verify bounds time with SIGALRM, which only works in the main thread
// (its issue #50); here every loop and recursion of the extractor, parser and evaluator calls `tick()` or `enter()`,
// so a check stops by itself in any thread. A Budget is created per call: no module-level mutable state.

/** Thrown when the wall-clock budget of a check is spent. */
export class VerifyTimeout extends Error {
  override name = "VerifyTimeout";
}

/** Thrown when an input or an intermediate result exceeds a size cap (digits, exponent, depth, length). */
export class VerifyLimit extends Error {
  override name = "VerifyLimit";
}

export interface LimitSettings {
  /** Wall-clock budget of the whole check in milliseconds. */
  timeoutMs: number;
  /** Longest answer string the parser accepts. */
  maxInputChars: number;
  /** Most digits in one numeric literal. */
  maxDigits: number;
  /** Most bits in any exact intermediate BigInt (numerator or denominator); beyond it arithmetic falls back to floats. */
  maxBits: number;
  /** Deepest nesting of the parser and evaluator (explicit, so deep input cannot overflow the JS stack). */
  maxDepth: number;
}

export const DEFAULT_LIMITS: Readonly<LimitSettings> = Object.freeze({
  timeoutMs: 1000,
  maxInputChars: 20_000,
  maxDigits: 2_000,
  maxBits: 200_000,
  maxDepth: 200,
});

const CLOCK_EVERY = 64;

export class Budget {
  readonly limits: LimitSettings;
  private readonly deadline: number;
  private steps = 0;
  private depth = 0;
  /** Set when an evaluation rounded a large exact number to a double (compare.ts then cannot trust closeness). */
  lossy = false;

  constructor(limits: Partial<LimitSettings> = {}) {
    // Built field by field: a Budget is made per check, and spreading objects cost several % of a short check.
    this.limits = {
      timeoutMs: limits.timeoutMs ?? DEFAULT_LIMITS.timeoutMs,
      maxInputChars: limits.maxInputChars ?? DEFAULT_LIMITS.maxInputChars,
      maxDigits: limits.maxDigits ?? DEFAULT_LIMITS.maxDigits,
      maxBits: limits.maxBits ?? DEFAULT_LIMITS.maxBits,
      maxDepth: limits.maxDepth ?? DEFAULT_LIMITS.maxDepth,
    };
    this.deadline = performance.now() + this.limits.timeoutMs;
  }

  /** One unit of work; reads the clock every few calls (reading it each time would cost more than the work). */
  tick(cost = 1): void {
    this.steps += cost;
    if (this.steps >= CLOCK_EVERY) {
      this.steps = 0;
      if (performance.now() > this.deadline) throw new VerifyTimeout("time budget exceeded");
    }
  }

  /** Enter one level of recursion; pair with `leave()` (use `nest`). */
  enter(): void {
    if (++this.depth > this.limits.maxDepth) throw new VerifyLimit(`nesting deeper than ${this.limits.maxDepth}`);
    this.tick();
  }

  leave(): void {
    this.depth--;
  }

  nest<T>(f: () => T): T {
    this.enter();
    try {
      return f();
    } finally {
      this.leave();
    }
  }

  /** Whether the deadline has passed (for callers that prefer to stop quietly). */
  expired(): boolean {
    return performance.now() > this.deadline;
  }
}


/**
 * The answer is not math we can read (the caller falls back to comparing it as text). Thrown and caught inside
 * one check as control flow (every text answer throws one), so it records no stack trace: capturing one cost more
 * than parsing a short answer.
 */
export class VerifySyntax extends Error {
  override name = "VerifySyntax";
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

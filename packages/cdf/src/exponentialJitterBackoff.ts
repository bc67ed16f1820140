// "Full jitter" exponential backoff (the SDK's own algorithm, and AWS's recommendation): the
// n-th retry waits a uniformly random time up to min(cap, base x 2^n), so clients that failed
// together do not retry together.

export interface BackoffSettings {
  /** Upper bound of the first retry's wait. */
  baseDelayMs: number;
  /** No wait is longer than this. */
  maxDelayMs: number;
}

/** Milliseconds to wait before retry number `retry` (0 for the first retry). */
export function exponentialJitterBackoff(
  retry: number,
  settings: BackoffSettings,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

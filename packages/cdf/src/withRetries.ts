import { CdfRequestError } from "./cdfRequestError.js";
import { type BackoffSettings, exponentialJitterBackoff } from "./exponentialJitterBackoff.js";

// Retries for idempotent CDF requests, around the SDK's own. The SDK (10.5.0) retries a 429
// always, a 5xx only for GET/PUT/DELETE and POSTs on its allow-list (among them
// /timeseries/data, /timeseries/data/list and /data/latest, but not /timeseries, Raw rows or
// subscriptions), up to 5 times, and never a request that got no answer (a dropped connection,
// a reset, a timeout). This layer repeats the whole request on those failures too: any
// network failure, 429 and 5xx, after the SDK's own attempts, with capped jittered backoff.
// Only idempotent requests may go through it: an insert or upsert of the same data, a delete.

export interface RetryPolicy extends BackoffSettings {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  /** For tests. */
  random?: () => number;
  /** For tests. */
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 20_000 };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `attempt` until it succeeds, fails with a non-transient error, or attempts run out. */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (error) {
      const transient = error instanceof CdfRequestError && error.transient;
      if (!transient || retry + 1 >= policy.maxAttempts) throw error;
      await (policy.sleep ?? sleep)(exponentialJitterBackoff(retry, policy, policy.random));
    }
  }
}

/**
 * `work`, or "deadline" when it has not settled `ms` from now. The SDK has no request timeout,
 * so one hung request could keep a call running until CDF kills it, which ends the call with no
 * result and no logs of the summary; the deadline ends it first, with a result. The work is
 * left running: the caller exits the process.
 */
export async function withDeadline<T>(
  work: Promise<T>,
  ms: number,
): Promise<{ done: true; value: T } | { done: false }> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<{ done: false }>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), Math.max(0, ms));
  });
  try {
    return await Promise.race([work.then((value) => ({ done: true as const, value })), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

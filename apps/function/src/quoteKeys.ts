// A payload's unknown keys are quoted back in the error, which is the call's result and a log
// line: a few of them, each cut short, so a 3 MB key cannot push the result past CDF's 1 MB.

const MAX_KEYS = 5;
const MAX_KEY_CHARS = 80;

export function quoteKeys(keys: readonly string[]): string {
  const shown = keys
    .slice(0, MAX_KEYS)
    .map((k) => JSON.stringify(k.length > MAX_KEY_CHARS ? `${k.slice(0, MAX_KEY_CHARS)}...` : k));
  const more = keys.length - shown.length;
  return more > 0 ? `${shown.join(", ")} and ${more} more` : shown.join(", ");
}

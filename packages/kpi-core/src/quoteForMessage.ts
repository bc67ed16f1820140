/**
 * A value as JSON for an error message, cut short: a wrong file passed as a config (a 200 kB CSV)
 * must name the problem, not flood the terminal.
 */
export function quoteForMessage(value: unknown, max = 80): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

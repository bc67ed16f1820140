import { withoutSecrets } from "@kpi-pipeline/cdf";

// The function's logs: one JSON object per line on stderr, which handler.py prints line by line
// into the call's logs. One object per line keeps each entry whole in CDF's log view and lets a
// reader (jq, a log shipper) parse them; the token is cut out of every line, whatever put it there.

export type LogLevel = "debug" | "info" | "warn" | "error";

export type Log = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/** A Log writing lines with `write`, with every spelling of each secret removed. */
export function jsonLog(
  write: (line: string) => void,
  secrets: readonly string[],
  now: () => Date = () => new Date(),
): Log {
  return (level, message, fields = {}) => {
    const line = JSON.stringify({ time: now().toISOString(), level, message, ...fields });
    write(`${withoutSecrets(line, secrets)}\n`);
  };
}

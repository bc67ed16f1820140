import { type Duration, durationMs, parseDuration } from "./duration.js";
import type { IssueList } from "./issueList.js";

/** A fixed-length duration in ms, or an issue (months, parse errors). */
export function fixedDuration(
  value: string | number,
  path: string,
  field: string,
  issues: IssueList,
  options: { positive?: boolean } = {},
): number | undefined {
  let duration: Duration;
  try {
    duration = parseDuration(value);
  } catch (error) {
    issues.add(path, (error as Error).message);
    return undefined;
  }
  if (duration.unit === "mo") {
    issues.add(path, `${field} cannot be in months (they differ in length); use days, e.g. 30d`);
    return undefined;
  }
  const ms = durationMs(duration);
  if (options.positive && ms <= 0) {
    issues.add(path, `${field} must be longer than 0`);
    return undefined;
  }
  return ms;
}

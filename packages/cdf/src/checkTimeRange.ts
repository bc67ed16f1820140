import { CDF_LIMITS } from "./cdfLimits.js";

/** Throws a RangeError naming `where` unless start and end are integer ms inside CDF's time range. */
export function checkTimeRange(start: number, end: number, where: string): void {
  for (const [name, t] of [
    ["start", start],
    ["end", end],
  ] as const) {
    // end may be one past CDF's last storable millisecond, as it is exclusive.
    const max = name === "end" ? CDF_LIMITS.maxTimestamp + 1 : CDF_LIMITS.maxTimestamp;
    if (!Number.isInteger(t) || t < CDF_LIMITS.minTimestamp || t > max) {
      throw new RangeError(
        `${where}: ${name} ${t} is not an integer epoch-ms time CDF can store (1900-01-01 to 2099-12-31).`,
      );
    }
  }
}

// The `{min, max}` time filters of CDF's list endpoints (createdTime, uploadedTime, startTime, ...):
// ms since epoch, both ends inclusive, either end optional.

import { z } from "zod";

export const timeRange = z.strictObject({
  min: z.number().int().optional(),
  max: z.number().int().optional(),
});
export type TimeRange = z.infer<typeof timeRange>;

/** No range matches every value; a range matches no missing value (a file never uploaded). */
export function inTimeRange(value: number | undefined, range: TimeRange | undefined): boolean {
  if (!range) return true;
  if (value === undefined) return false;
  return (range.min === undefined || value >= range.min) && (range.max === undefined || value <= range.max);
}

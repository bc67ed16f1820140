import { describeSeries, type SeriesRef, seriesLookupKey } from "@kpi-pipeline/kpi-core";

/** One series' points in one insert request. */
export interface WrittenRange {
  series: SeriesRef;
  /** First and last timestamp of the slice (inclusive). */
  first: number;
  last: number;
  points: number;
}

/**
 * A chunked write stopped part way. `landed` requests were confirmed by CDF; `notConfirmed` ones
 * were not (the failing one may or may not have been applied; later ones were not sent). Within
 * each series the landed points are a prefix in time: nothing after `landedThrough` may be
 * treated as written.
 */
export class PartialWriteError extends Error {
  override readonly name = "PartialWriteError";
  readonly landed: readonly WrittenRange[][];
  readonly notConfirmed: readonly WrittenRange[][];

  constructor(landed: WrittenRange[][], notConfirmed: WrittenRange[][], cause: unknown) {
    const failed = notConfirmed[0] ?? [];
    const sample = failed
      .slice(0, 3)
      .map((r) => `${describeSeries(r.series)} ${iso(r.first)} to ${iso(r.last)}`)
      .join(", ");
    const more = failed.length > 3 ? ` and ${failed.length - 3} more series` : "";
    super(
      `Datapoint write stopped at request ${landed.length + 1} of ${landed.length + notConfirmed.length}: ` +
        `${cause instanceof Error ? cause.message : String(cause)} ` +
        `${landed.length} request(s) landed; not confirmed: ${sample}${more}${notConfirmed.length > 1 ? `, and ${notConfirmed.length - 1} later request(s) not sent` : ""}. ` +
        "Writing the same points again is safe.",
      { cause },
    );
    this.landed = landed;
    this.notConfirmed = notConfirmed;
  }

  /** The last timestamp of `series` confirmed written with all its earlier points, or undefined. */
  landedThrough(series: SeriesRef): number | undefined {
    const key = seriesLookupKey(series);
    let through: number | undefined;
    for (const request of this.landed) {
      for (const range of request) if (seriesLookupKey(range.series) === key) through = range.last;
    }
    return through;
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

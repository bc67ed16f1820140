// The edges of the functional core: everything a run needs from the outside world, as small
// interfaces shaped by CDF (batched reads, a subscription, a version pointer, Raw for state).
// packages/cdf implements them on CDF; `@kpi-pipeline/kpi-core/testing` has in-memory versions
// that are at least as unkind as CDF (duplicates, reordering, failures), for tests and dry runs.

import type { Span } from "./dirtySpans.js";
import type { IntervalAggregates, KpiDatapoint, PointColumns, SeriesRef } from "./model.js";

/** A half-open time range [start, end), epoch milliseconds. */
export interface TimeRange {
  start: number;
  end: number;
}

/** One series' raw points with start <= t < end; with `limit`, only the first `limit` of them. */
export interface PointsRequest {
  series: SeriesRef;
  start: number;
  end: number;
  limit?: number;
}

export interface PointsAnswer {
  /** Ascending, one per timestamp, every status (a later Bad point shadows a Good one). */
  points: PointColumns;
  /** The CDF time series' isStep. */
  isStep: boolean;
}

export interface DatapointSource {
  /**
   * One answer per request, in order: CDF's datapoints/list with many items in one call (the
   * adapter splits and pages as CDF needs). No outside points: the context a window needs is
   * the nearest points that survive cleaning, which readAround.ts finds, not the nearest raw ones.
   */
  read(requests: readonly PointsRequest[]): Promise<PointsAnswer[]>;
  /**
   * Optional: CDF's server-side count, min and max per interval (datapoints/list with
   * `aggregates`). A source that has it gets asked instead of `read` wherever those equal
   * kpi-core's values (aggregatePushdown.ts); one answer per request, in order.
   */
  aggregates?(requests: readonly AggregatesRequest[]): Promise<AggregatesAnswer[]>;
}

/** count, min and max of one series per interval of `granularity` in [start, end). */
export interface AggregatesRequest {
  series: SeriesRef;
  start: number;
  end: number;
  /** CDF's granularity, e.g. "10m", "1h", "1d", "1mo". */
  granularity: string;
  /** Undefined: UTC. */
  timeZone?: string;
  /** Count Uncertain points like Good ones (CDF: treatUncertainAsBad false); Bad points never count. */
  includeUncertain: boolean;
}

export interface AggregatesAnswer {
  /** The intervals with at least one counted point; an interval left out has none. */
  intervals: IntervalAggregates;
  isStep: boolean;
}

/** The datapoints to upsert into one output series, in time order. */
export interface OutputWrite {
  series: SeriesRef;
  datapoints: readonly KpiDatapoint[];
}

/** The KPIs' output time series: the record of what is done. */
export interface KpiOutput {
  /**
   * The timestamp of each series' latest datapoint (Bad ones included: a Bad datapoint is a
   * computed window), undefined for an empty or missing series; one answer per series, in order.
   */
  latest(series: readonly SeriesRef[]): Promise<Array<number | undefined>>;
  /**
   * Upserts (same timestamp: replaced), so writing again is harmless. A Bad datapoint is stored
   * with status Bad and no value. One call is one write batch; it fails as a whole.
   */
  write(items: readonly OutputWrite[]): Promise<void>;
  /**
   * Deletes each item's datapoints with start <= t < end in each of its ranges (CDF: a range per
   * /timeseries/data/delete item). Deleting where nothing is stored is harmless, so it may be sent
   * again. A recompute calls it for datapoints an earlier definition left off the new windows.
   */
  remove(items: readonly OutputRemoval[]): Promise<void>;
}

/** Ranges to delete from one output series. */
export interface OutputRemoval {
  series: SeriesRef;
  ranges: readonly TimeRange[];
}

/** The active-version pointer: which deployed function may write (the fence). */
export interface VersionPointer {
  /** The pointer as it is now: the active function, and which write of the pointer put it there. */
  active(): Promise<PointerReading>;
}

export interface PointerReading {
  /** The identity of the active function (its externalId and epoch, as the deployer wrote it). */
  version: string;
  /**
   * Tells this state of the pointer from every other: it changes whenever the pointer's contents
   * change, so with every flip, a flip back to an earlier version (a rollback) included (CDF Raw:
   * the row's lastUpdatedTime, which moves when an insert changes the row's contents).
   * A run that finds it changed since its start is fenced; a recompute's progress counts only under
   * the generation its mark was saved under, so that work done before a flip away and back is not
   * trusted after it (another version's backfill may have rewritten the output in between).
   */
  generation: string;
}

/** Changes to one series, as a subscription reports them. */
export interface SeriesChange {
  series: SeriesRef;
  /** Timestamps that got an upsert. */
  timestamps: readonly number[];
  /** Deleted ranges [start, end). */
  deletedRanges: readonly TimeRange[];
}

export interface PartitionCursor {
  partition: number;
  /** Undefined: start from now (a new subscription sees no history). */
  cursor: string | undefined;
}

export interface ChangePage {
  /** At least once, in no order across partitions; the same change may come again. */
  changes: readonly SeriesChange[];
  /** Each partition's cursor after these changes. */
  cursors: readonly PartitionCursor[];
  /** More changes are waiting after these cursors. */
  hasNext: boolean;
}

/**
 * A datapoint subscription on the inputs (CDF: /timeseries/subscriptions/data/list). `poll`
 * rejects with ChangesLostError when a cursor is older than the retention (7 days in CDF).
 */
export interface ChangeSource {
  /** The subscription's partition count (fixed at creation). */
  readonly partitions: number;
  poll(cursors: readonly PartitionCursor[]): Promise<ChangePage>;
}

/** What one run did for one KPI, kept for status displays and alerting. */
export interface RunSummary {
  /** When the run started (epoch ms, from the Clock). */
  at: number;
  /** Windows written because they closed (due) and because their data changed (dirty). */
  due: number;
  dirty: number;
  /** Written windows without a value, by reason. */
  noValue: Record<string, number>;
  /** Due windows left for later runs (time budget). */
  backlog: number;
  /** Dirty spans left for later runs. */
  pendingSpans: number;
  /** Points read and source calls made for this KPI's inputs (shared reads count for each KPI). */
  pointsRead: number;
  requests: number;
  durationMs: number;
  /** Set when this KPI could not be brought up to date; the next run tries again. */
  error?: string;
}

/**
 * Per-KPI state: only what the output series cannot tell (design.md, "State"): the config hash
 * its datapoints were computed with, when a KPI without start went live, the changed spans
 * accepted from the subscription but not yet recomputed (so the cursor can move on under a time
 * budget), and the last run's summary.
 */
export interface KpiState {
  configHash: string;
  liveSince?: number;
  /** Read only (kept here by earlier versions); pending work now lives in PendingRecords. */
  pending?: Span[];
  lastRun?: RunSummary;
  /**
   * The `mark` of the repair (a recompute with the stored definition after another definition's
   * rewrite began) that a run found finished and took up: its progress row counts as done for
   * good. Kept here, not in the row, so that the save never overwrites a mark another
   * definition's recompute put there meanwhile.
   */
  sealed?: string;
}

/**
 * What a recompute (runKpis' `recompute` option) has written of a KPI whose definition changed.
 * Kept apart from KpiState so that a recompute never writes the rows the scheduled runs own (a
 * recompute call beside a scheduled one would otherwise overwrite the pending spans it saved).
 * The scheduled run takes the new hash once `done` covers every window of the KPI's output.
 */
export interface RecomputeProgress {
  /** The definition the windows in `done` were computed with. */
  configHash: string;
  /** The stored config hash being replaced: the progress counts only while that is still the stored one. */
  replaces: string;
  /** Sorted, merged spans [from, to) whose windows were all written with `configHash`. */
  done: Span[];
  /**
   * The run id of the recompute that saved the row last before its first write (its mark). A
   * recompute counts its own work only while the row still has its mark: another definition's
   * recompute, or another of the same, may have rewritten the output since (absent in rows of
   * versions before marks).
   */
  mark?: string;
  /**
   * The KPI's `sealed` (KpiState) when the row's mark was saved ("" when none). A row counts
   * only while the KPI's seal is still that one: a save that failed at its caller and landed
   * after a repair was sealed (a rollback, the repair, a seal, then the late save) would
   * otherwise bring back stretches the repair rewrote (absent in rows of versions before it:
   * read as "").
   */
  afterSeal?: string;
  /**
   * The version pointer's generation (PointerReading) when the row's mark was saved. The row
   * counts only while the pointer is still at that generation: the pointer written since (B, then
   * C whose backfill rewrote part of the output, then B again) means another version's recompute
   * may have rewritten stretches this row calls done, and a save of this row that landed late
   * would bring them back (review R7-F1). Absent in rows of versions before it: never counts.
   */
  generation?: string;
}

/**
 * The dirty spans one run left for later, by KPI key, in a record of its own. Runs may overlap
 * and CDF's stores have no compare-and-set, so pending work is never kept in a row another run
 * overwrites: each run adds its own record and removes only the records it loaded, after its
 * own record and cursors are saved. Overlapping runs then keep each other's pending work.
 */
export interface PendingRecord {
  id: string;
  kpis: ReadonlyMap<string, Span[]>;
  /**
   * Set while the run that owns the record is still running (since then, by its clock): every
   * run puts such a record before it reads any input, and closes or removes it at its end. A
   * run that finds another run's record that was not closed when it started has overlapped
   * with that run, and records the windows it wrote as pending (runKpis.ts, "Overlapping runs").
   */
  openSince?: number;
  /**
   * The spans, by KPI key, whose windows the run that owns the record may write in all (every
   * window it writes lies inside one of them; a KPI it writes nothing of is absent). Absent when
   * not known: a scheduled run's record until its changed windows are planned, and every record
   * of a version before plans. Another run that overlapped this one recomputes only the windows
   * it wrote that meet these spans; every window it wrote when they are not known (runKpis.ts,
   * RunRecord).
   */
  planned?: ReadonlyMap<string, Span[]>;
  /**
   * The version (RunOptions.self) whose run owns the record; absent in records of versions
   * before it (read as another version's). A scheduled run takes no new definition up while a
   * run of another version that may write the KPI is running (runKpis.ts, "foreign").
   */
  by?: string;
}

/** Everything one run reads from the state store, read in one call. */
export interface StoredState {
  /** By KPI key; a KPI without stored state is absent. */
  kpis: ReadonlyMap<string, KpiState>;
  /** By KPI key; absent when no recompute of a changed definition has written anything. */
  recomputes: ReadonlyMap<string, RecomputeProgress>;
  /** The subscription's cursors by partition; a partition never committed is absent. */
  cursors: ReadonlyMap<number, string>;
  /** Every pending record in the store (all KPIs'). */
  pending: readonly PendingRecord[];
}

/** What one save replaces; absent parts are left as they are. */
export interface StateSave {
  kpis?: ReadonlyMap<string, KpiState>;
  recomputes?: ReadonlyMap<string, RecomputeProgress>;
  cursors?: { subscription: string; cursors: ReadonlyArray<{ partition: number; cursor: string }> };
  /** Adds a pending record (replacing one of the same id) and removes records by id. */
  pending?: { put?: PendingRecord; remove?: readonly string[] };
}

/**
 * Batched: a run reads all its state in one call and saves it in one call per checkpoint (CDF
 * Raw: one rows/list, one insert of many rows), instead of two requests per KPI.
 */
export interface StateStore {
  /** The state of these KPIs and the cursors kept under `subscription`. */
  load(kpiKeys: readonly string[], subscription: string): Promise<StoredState>;
  /**
   * Replaces the given entries. A failed save may have landed in part, so a caller that needs
   * one thing stored before another (pending spans before the cursor) saves them in two calls.
   */
  save(entries: StateSave): Promise<void>;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

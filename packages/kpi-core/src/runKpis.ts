// One run (design.md, "One run, and why it leaves no holes"): the one loop the function, the
// backfill and the deployer's smoke call all run, over ports. Its promise: a crash anywhere is
// repaired by the next run, because the output series records what is done, writes are
// idempotent and in time order, and the change cursor moves only after the work it stands for
// is written or recorded as pending.

import { ChangesLostError } from "./changesLostError.js";
import { dirtySpansOfKpis, type InputChanges, mergeSpans, type Span } from "./dirtySpans.js";
import type { KpiDefinition } from "./kpiDefinition.js";
import { CDF_MAX_TIME, CDF_MIN_TIME, type KpiDatapoint, type Window } from "./model.js";
import { firstWindowStart, windowsOfSpans } from "./plan.js";
import type {
  ChangeSource,
  Clock,
  DatapointSource,
  KpiOutput,
  KpiState,
  OutputRemoval,
  PartitionCursor,
  PendingRecord,
  RecomputeProgress,
  RunSummary,
  SeriesChange,
  StateStore,
  StoredState,
  TimeRange,
  VersionPointer,
} from "./ports.js";
import { readAndCompute } from "./readAndCompute.js";
import type { ReadStats } from "./readAround.js";
import { RunReadCache } from "./runReadCache.js";
import { seriesLookupKey } from "./series.js";
import { countWindowsBetween, nextWindow, windowAtOrAfter, windowContaining } from "./window.js";

export interface RunPorts {
  source: DatapointSource;
  output: KpiOutput;
  pointer: VersionPointer;
  changes: ChangeSource;
  state: StateStore;
  clock: Clock;
}

export interface RunOptions {
  /** This function's identity: the run writes only while the version pointer names it. */
  self: string;
  /** The subscription's name, under which the state store keeps its cursors. */
  subscription: string;
  /** No new batch starts once this much time (by the clock) has passed since the run began. */
  budgetMs: number;
  /** Windows per KPI in one batch (one batched read, one write). Default 1000. */
  batchWindows?: number;
  /** Backfill mode: recompute these windows instead of the scheduled work (see RecomputeOption). */
  recompute?: RecomputeOption;
  /**
   * Names this run's pending record (a call id), followed by `~` and a random UUID: two runs
   * given one id, even at once, never share a record. Default: a random UUID alone.
   */
  runId?: string;
  /**
   * A run's open record older than this is of a run that died (a crash, a kill at the timeout),
   * and no longer counts as overlapping. A run renews its own after a third of it. Default 30
   * minutes: three times a 10-minute Cognite Function timeout.
   */
  staleRunMs?: number;
}

/**
 * Rewrite the windows whose start lies in [from, to) of the chosen KPIs (keys; default all),
 * through the same batches, fence and write order as a scheduled run. Nothing else happens: no
 * due windows, no changes polled, no cursor moved, no KpiState saved (a scheduled run beside it
 * owns those). Only windows the output already has are rewritten (start before the first due
 * window): writing past the output's end would leave a hole that due planning, which trusts the
 * latest datapoint, never fills; the scheduled runs extend the output.
 *
 * A KPI whose stored config hash differs from its definition's (the scheduled runs leave it
 * alone) gets its written spans recorded as RecomputeProgress for the new hash. Once they cover
 * every window from its first to its output's end, the next scheduled run stores the new hash
 * and takes the KPI up again; until then the old hash stays and the runs say so. Recompute calls
 * at once (the parts of one backfill) add up; two that save at the same moment may lose one's
 * progress (Raw has no compare-and-set), never claim more.
 */
export interface RecomputeOption {
  from: number;
  to: number;
  kpis?: readonly string[];
}

/** A KPI's part in a recompute. */
export interface RecomputeReport {
  /** The windows it covered after clipping to the first window and the output's end; from >= to when none. */
  from: number;
  to: number;
  /** Whether every one of them was written (false: budget, fence or error; see the summary). */
  written: boolean;
  /** Datapoints deleted: those off the windows written, and an earlier definition's before the first or in a window not yet closed. */
  removed: number;
  /** Set when the definition changed: the spans done with the new hash, and whether they are all the KPI's windows. */
  changedDefinition?: { configHash: string; done: Span[]; complete: boolean };
}

export interface KpiRunReport {
  key: string;
  summary: RunSummary;
  /** In recompute mode. */
  recompute?: RecomputeReport;
  /** The definition's hash this run stored, as a finished recompute allowed (see RecomputeOption). */
  adoptedConfigHash?: string;
}

export interface RunReport {
  at: number;
  /** The pointer named another version, at the start or before a write batch: nothing more was written or committed. */
  fenced: boolean;
  /** Whether the change cursors moved (only after every KPI's work was written or saved as pending). */
  cursorsCommitted: boolean;
  kpis: KpiRunReport[];
  /**
   * What the run asked of the datapoint source, all KPIs together (a KPI's summary counts each
   * read of a batch it was in, shared or not): calls to it, and the points they brought.
   */
  read: { calls: number; points: number };
}

/** One KPI's work in this run. */
interface Plan {
  kpi: KpiDefinition;
  state: KpiState;
  /** The state as loaded; undefined for a KPI never run. */
  stored: KpiState | undefined;
  /** The stored hash differs from the definition's, or a backfill of another definition rewrote part of the output (rewrittenBy). */
  hashChanged: boolean;
  /** The hash of another definition whose backfill began to rewrite the output and did not finish. */
  rewrittenBy: string | undefined;
  /** A recompute removed the datapoints before the first window (see clearBeforeStart). */
  clearedBefore: boolean;
  /** The progress row a recompute saved before its first write, if it did (see markRewrites). */
  marked: RecomputeProgress | undefined;
  /** Datapoints a recompute deleted: an earlier definition's (see removeStrays). */
  removed: number;
  /** The output's latest datapoint when the run started (undefined: none). */
  last: number | undefined;
  adopted: boolean;
  /** Its recompute is done, but a run of another version that may write it was running (see `foreign`). */
  heldBack: boolean;
  /** A KPI whose definition changed is left to the backfill (never silently mixed). */
  skip: boolean;
  firstStart: number;
  /** Next due window, or undefined when all closed ones are done. */
  nextDue: Window | undefined;
  /** Start of the first due window: dirty windows from here on are due anyway. */
  dueFrom: number;
  /** End of the last due window this run wrote (dueFrom while none). */
  dueWrittenTo: number;
  dirty: Span[];
  /** The dirty spans left for later runs, set at the end. */
  pending: Span[];
  dirtyWalk: Iterator<Window> | undefined;
  peekedDirty: Window | undefined;
  /** End of the last dirty window written; dirty spans before it are done. */
  dirtyDoneBefore: number;
  summary: RunSummary;
  stopped: boolean;
  /** A batch with this KPI failed: it goes alone from now on, so one bad KPI stops only itself. */
  alone: boolean;
  /** A chunk taken but not written, to take again first. */
  retry: Chunk | undefined;
  /** The spans of the windows this run wrote or tried to write (a failed write may have landed). */
  written: Span[];
}

interface Chunk {
  windows: Window[];
  kind: "due" | "dirty";
}

/** What every pointer check of a run asks for: this function, at the pointer's write its start saw. */
interface Fence {
  self: string;
  generation: string;
}

/** The pointer still names this function, and has not been written since the run's start. */
async function stillActive(ports: RunPorts, fence: Fence): Promise<boolean> {
  const now = await ports.pointer.active();
  return now.version === fence.self && now.generation === fence.generation;
}

const DEFAULT_BATCH_WINDOWS = 1000;
const DEFAULT_STALE_RUN_MS = 30 * 60_000;
/** Chunks of one batch lie within this of each other, so a batch reads no long stretch between them. */
const NEARBY_MS = 86_400_000;
/**
 * A run's plan keeps at most this many spans per KPI (the gaps between them joined, smallest
 * first: a larger plan, never a smaller one), so that a bulk load's thousands of changed spans
 * do not grow the run's record towards Raw's row limit.
 */
const MAX_PLANNED_SPANS = 32;
/** Points a recompute reads back of a stretch beyond twice its windows before it deletes blind (deleteOff). */
const READ_BACK_SLACK = 1000;

export async function runKpis(
  kpis: readonly KpiDefinition[],
  ports: RunPorts,
  opts: RunOptions,
): Promise<RunReport> {
  if (!(opts.budgetMs >= 0)) {
    throw new RangeError(`runKpis: budgetMs must be 0 or more milliseconds, got ${opts.budgetMs}`);
  }
  if (opts.batchWindows !== undefined && !(Number.isInteger(opts.batchWindows) && opts.batchWindows >= 1)) {
    throw new RangeError(
      `runKpis: batchWindows must be a whole number of windows, 1 or more, got ${opts.batchWindows}`,
    );
  }
  const staleRunMs = opts.staleRunMs ?? DEFAULT_STALE_RUN_MS;
  // Finite: a record that never goes dead would make every later run see an overlap for ever.
  if (!(staleRunMs > 0 && Number.isFinite(staleRunMs))) {
    throw new RangeError(
      `runKpis: staleRunMs must be a finite number of milliseconds above 0, got ${opts.staleRunMs}`,
    );
  }
  // Always made unique: a record shared by two runs given one id (at once, or one after the other)
  // would have one overwrite or remove the other's pending spans (review findings).
  const runId =
    opts.runId === undefined
      ? globalThis.crypto.randomUUID()
      : `${opts.runId}~${globalThis.crypto.randomUUID()}`;
  const recompute = opts.recompute;
  const selected = recompute === undefined ? kpis : chosen(kpis, recompute);
  const at = ports.clock.now();
  // One run reads a stretch once: planning's reads around the changes serve the due windows next
  // to them, and a batch's edges the next batch.
  const source = new RunReadCache(ports.source);
  const report: RunReport = { at, fenced: false, cursorsCommitted: false, kpis: [], read: source.forwarded };
  // 1. Fence: a version that is not active writes nothing. The state and the outputs' latest
  // datapoints are asked for at the same time (one round trip instead of three; only reads, so
  // a fenced run has still written nothing), and their answers used only once the fence passed.
  const active = settle(() => ports.pointer.active());
  const load = () =>
    ports.state.load(
      selected.map((kpi) => kpi.key),
      opts.subscription,
    );
  // A recompute loads after the pointer answered: the records it loads then hold every run of an
  // earlier version that can still write (each opened its record before the pointer check it
  // passed, before the flip), which finishRecompute relies on.
  const storedAsked = settle(async () => {
    if (recompute !== undefined) await active;
    return load();
  });
  const latestAsked = settle(() => ports.output.latest(selected.map((kpi) => kpi.series)));
  const pointer = await active;
  if (pointer.version !== opts.self) return { ...report, fenced: true };
  // Every later pointer check asks for this same write of the pointer: a run that saw it written
  // meanwhile (a flip away and back, B -> C -> B) is fenced, since another version may have
  // rewritten outputs in between, and the state this run loaded may be older or newer than it.
  const fence: Fence = { self: opts.self, generation: pointer.generation };
  const batchWindows = opts.batchWindows ?? DEFAULT_BATCH_WINDOWS;

  // 2. Due windows, from the output series' latest datapoint (Bad ones count as present).
  const planFrom = (stored: StoredState, latest: ReadonlyArray<number | undefined>) => {
    const run = new RunRecord(ports, runId, staleRunMs, stored.pending, opts.self);
    // Runs of another version that were running when this one loaded its state: a call of the
    // version before a deploy, past its pointer check before the flip, may still write its
    // windows (its write on the wire). A new definition is not taken up while one of them may
    // write the KPI: those windows of the old definition would land after the new one was trusted,
    // and no scheduled run removes them (review R8-F3).
    const foreign = run.openAtStart().filter((r) => r.by !== opts.self);
    return { run, plans: selected.map((kpi, i) => planOf(kpi, stored, latest[i], foreign)) };
  };
  const planOf = (
    kpi: KpiDefinition,
    stored: StoredState,
    last: number | undefined,
    foreign: readonly PendingRecord[],
  ): Plan => {
    const storedState = stored.kpis.get(kpi.key);
    let state: KpiState = storedState ?? {
      configHash: kpi.configHash,
      ...(kpi.startMs === undefined ? { liveSince: at } : {}),
    };
    const firstStart = firstWindowStart(kpi, state.liveSince ?? at);
    const dueFrom =
      last === undefined ? firstStart : Math.max(firstStart, windowContaining(kpi.window, last).end);
    const first = windowAtOrAfter(kpi.window, dueFrom);
    const progress = stored.recomputes.get(kpi.key);
    let hashChanged = storedState !== undefined && storedState.configHash !== kpi.configHash;
    // A backfill of another definition began to rewrite this output and did not finish (the
    // definition went back to the stored one): the output mixes both, as after a changed hash.
    const rewrittenBy =
      storedState !== undefined && !hashChanged ? unfinishedRewrite(progress, storedState) : undefined;
    if (rewrittenBy !== undefined) hashChanged = true;
    let adopted = false;
    let heldBack = false;
    if (recompute === undefined && hashChanged) {
      // An output without datapoints holds nothing of the old definition to mix with.
      const done =
        last === undefined ||
        (progress !== undefined && finished(progress, state, kpi.configHash, first.start, fence.generation));
      heldBack = done && mayWrite(foreign, kpi.key);
      if (done && !heldBack) {
        // The row found is sealed: a repair's (rewrittenBy, then its recompute finished), so that
        // later runs, whose output reaches further, still take it as whole; any other, so that a
        // row of another pair that lands later is told from it (unfinishedRewrite), and rows marked
        // before count no more (counts).
        state = {
          ...state,
          configHash: kpi.configHash,
          sealed: progress?.mark ?? "",
        };
        hashChanged = false;
        adopted = true;
      }
    }
    const skip = recompute === undefined && hashChanged;
    const dirty =
      recompute === undefined
        ? [...(state.pending ?? []), ...stored.pending.flatMap((record) => record.kpis.get(kpi.key) ?? [])]
        : [
            {
              from: windowAtOrAfter(kpi.window, Math.max(recompute.from, firstStart)).start,
              to: recompute.to,
            },
          ];
    return {
      kpi,
      state,
      stored: storedState,
      hashChanged,
      rewrittenBy,
      clearedBefore: false,
      marked: undefined,
      removed: 0,
      last,
      adopted,
      heldBack,
      skip,
      firstStart,
      nextDue: recompute === undefined && first.end <= at - kpi.settleMs ? first : undefined,
      dueFrom: first.start,
      dueWrittenTo: first.start,
      dirty,
      dirtyWalk: undefined,
      peekedDirty: undefined,
      dirtyDoneBefore: Number.NEGATIVE_INFINITY,
      summary: emptySummary(at),
      stopped: skip,
      alone: false,
      retry: undefined,
      pending: [],
      written: [],
    };
  };
  let stored = await storedAsked;
  let { run, plans } = planFrom(stored, await latestAsked);
  if (plans.some((plan) => plan.adopted || plan.heldBack)) {
    // A new definition is taken up only from what the state and the outputs say after the pointer
    // answered, read in that order (one round trip more each, in a run that takes one up): the
    // first reads went beside the pointer question and may be older than its answer. A run of
    // another version opened its record before the pointer check it passed, so before the flip,
    // so before this load: were it still running, its record is loaded now (held back); if it has
    // ended, what it wrote landed before its record went, so before the outputs' latest datapoints
    // are read again, and the recompute no longer reaches the output's end (review R9: an empty
    // output's latest read before such a run's writes, a record taken over before the load).
    stored = await load();
    const latest = await ports.output.latest(selected.map((kpi) => kpi.series));
    ({ run, plans } = planFrom(stored, latest));
  }
  for (const plan of plans) {
    if (plan.skip && plan.rewrittenBy !== undefined) {
      const who =
        plan.rewrittenBy === plan.kpi.configHash
          ? "a backfill with this definition, repairing what one of another definition began, has not finished"
          : `a backfill of another definition (config hash ${plan.rewrittenBy}) began to rewrite its datapoints and did not finish`;
      plan.summary.error =
        `${who}; recompute it over its whole history with this definition (the function's backfill mode), ` +
        "after which the runs take it up again";
    } else if (plan.heldBack) {
      plan.summary.error = HELD_BACK;
    } else if (plan.skip) {
      plan.summary.error =
        `the definition changed since its datapoints were computed (config hash ${plan.state.configHash}, now ` +
        `${plan.kpi.configHash}); recompute it over its whole history (the function's backfill mode), ` +
        "after which a run stores the new hash";
    }
  }

  // Overlapping runs: this run's open record is stored before it reads any input, so that a run
  // writing after this one's reads finds it at its end (see `overlapped`). Asked for while the
  // changes are polled; awaited before the first input is read.
  // A recompute knows now every window it may write. A scheduled run knows only which KPIs it may
  // write (not those left to a backfill): until its changes are planned, below, its record says
  // "any window of these" (provisionalPlan), never of a KPI it leaves alone, so that a backfill of
  // a changed definition beside it need not count its own work as undone (review finding).
  const opened = settle(() =>
    run.open(at, recompute === undefined ? provisionalPlan(plans) : plannedOf(plans, at)),
  );
  // 3. Dirty windows: changes since the saved cursors, widened by each input's reach. A
  // recompute polls nothing: the scheduled runs own the cursors.
  const polled: Polled =
    recompute === undefined
      ? await pollChanges(ports, opts, at, stored, async () => {
          // A long poll (a local run's backlog of changes) renews the record as batches do.
          await opened;
          await run.renewIfDue();
        })
      : { bySeries: new Map(), lost: false, cursors: undefined };
  await opened;
  // Changed spans are planned and kept up to this instant, past the windows closed for this run:
  // another run that started before this one polled may see more windows closed (its clock read
  // later, or on another machine a little ahead) and write one of them from input older than a
  // change polled here. Such a span's windows are left pending, not dropped, so the run after
  // computes them once they close (review finding: a late point after this run's closed edge was
  // lost when the other run wrote its window without it). staleRunMs is the margin for clocks.
  const keepUntil = ports.clock.now() + staleRunMs;
  const changed: Array<{ plan: Plan; changes: InputChanges[] }> = [];
  // A KPI left to the backfill plans its changes too: they are kept as pending work, because the
  // cursors move on below and a backfill that read before these changes would not have seen them.
  for (const plan of plans) {
    if (polled.lost) {
      // What changed since the last good cursor is unknown: all of the KPI's windows may have.
      plan.dirty = [{ from: plan.firstStart, to: keepUntil }];
    } else {
      const changes = changesOf(plan.kpi, polled.bySeries);
      if (changes.length > 0) changed.push({ plan, changes });
    }
  }
  await planDirty(source, changed, at, keepUntil);
  for (const plan of plans) {
    if (plan.skip) continue;
    plan.dirty = mergeSpans(plan.dirty);
    plan.dirtyWalk = windowsOfSpans(plan.kpi, plan.dirty, at, plan.firstStart);
  }
  // The plan, known now, goes into the run's record beside the first batch: until it lands the
  // record holds the provisional plan, which another run's check takes as "any window of these KPIs".
  if (recompute === undefined) run.plan(plannedOf(plans, at));

  if (recompute !== undefined && !(await markRewrites(ports, plans, fence, run.id))) report.fenced = true;
  if (
    recompute !== undefined &&
    !report.fenced &&
    !(await clearBeforeStart(ports, plans, recompute, fence))
  ) {
    report.fenced = true;
  }

  // 4-6. Batches: read what each KPI's next windows need, compute, write in time order.
  while (!report.fenced) {
    if (ports.clock.now() - at >= opts.budgetMs) break;
    const candidates: Array<{ plan: Plan } & Chunk> = [];
    for (const plan of plans) {
      if (plan.stopped) continue;
      const next = nextChunk(plan, at, batchWindows);
      if (next !== undefined) candidates.push({ plan, ...next });
    }
    if (candidates.length === 0) break;
    await run.renewIfDue();
    const lone = candidates.find((c) => c.plan.alone);
    const batch = lone === undefined ? nearby(candidates) : [lone];
    for (const c of candidates) {
      if (!batch.includes(c)) c.plan.retry = { windows: c.windows, kind: c.kind };
    }
    const stats: ReadStats = { points: 0, requests: 0 };
    let results: KpiDatapoint[][];
    try {
      results = await readAndCompute(
        source,
        batch.map(({ plan, windows, kind }) => {
          const from = windows[0]!.start;
          const to = windows.at(-1)!.end;
          const raw = needsRawPoints(plan, recompute === undefined ? kind : "recompute", from, to, at);
          return { kpi: plan.kpi, windows, from, to, raw };
        }),
        stats,
      );
    } catch (error) {
      if (isolate(batch)) continue;
      stop(batch[0]!.plan, `reading inputs failed: ${messageOf(error)}`);
      continue;
    }
    if (!(await stillActive(ports, fence))) {
      report.fenced = true;
      break;
    }
    // An output may be another KPI's input, and under its other id (externalId or instanceId),
    // which no key here connects: what is kept is dropped whole before any write.
    source.forgetAll();
    // Counted as written before the write is sent: a write that fails may still have landed (CDF
    // applied it, then the answer was lost), and an overlapped run must recompute it too.
    for (const { plan, windows } of batch)
      plan.written.push({ from: windows[0]!.start, to: windows.at(-1)!.end });
    try {
      await ports.output.write(
        batch.map(({ plan }, i) => ({ series: plan.kpi.series, datapoints: results[i]! })),
      );
    } catch (error) {
      if (isolate(batch)) continue;
      // Later windows must not land before these: planning trusts the latest datapoint.
      stop(batch[0]!.plan, `writing datapoints failed: ${messageOf(error)}`);
      continue;
    }
    if (recompute !== undefined) {
      try {
        await removeStrays(ports, batch);
      } catch (error) {
        // The windows are written, but not yet alone in their stretch: not done (a recompute
        // again removes what is left).
        if (isolate(batch)) continue;
        stop(batch[0]!.plan, `removing datapoints off the KPI's windows failed: ${messageOf(error)}`);
        continue;
      }
    }
    batch.forEach(({ plan, windows, kind }, i) => {
      const s = plan.summary;
      s.pointsRead += stats.points;
      s.requests += stats.requests;
      if (kind === "due") {
        s.due += windows.length;
        plan.nextDue = dueAfter(plan.kpi, windows.at(-1)!, at);
        plan.dueWrittenTo = windows.at(-1)!.end;
      } else {
        s.dirty += windows.length;
        plan.dirtyDoneBefore = windows.at(-1)!.end;
      }
      for (const d of results[i]!)
        if (d.status === "Bad") s.noValue[d.reason] = (s.noValue[d.reason] ?? 0) + 1;
    });
  }

  if (
    recompute !== undefined &&
    !report.fenced &&
    !(await clearUnclosed(ports, plans, recompute, staleRunMs, fence))
  ) {
    report.fenced = true;
  }

  // 7. Only now: summaries, pending work, then the cursors.
  for (const plan of plans) {
    const closedBefore = at - plan.kpi.settleMs;
    plan.summary.backlog =
      plan.nextDue === undefined ? 0 : countWindowsBetween(plan.kpi.window, plan.nextDue.start, closedBefore);
    const pending = remaining(plan);
    // Kept as well: spans in the window not yet closed (a guard against another run writing it
    // from older input). They are not work left over, so they do not count here.
    const openFrom = windowContaining(plan.kpi.window, closedBefore).start;
    plan.summary.pendingSpans = pending.filter((s) => s.from < openFrom).length;
    plan.summary.durationMs = ports.clock.now() - at;
    const kpiReport: KpiRunReport = { key: plan.kpi.key, summary: plan.summary };
    if (plan.adopted) kpiReport.adoptedConfigHash = plan.kpi.configHash;
    report.kpis.push(kpiReport);
    const { pending: _legacy, ...state } = plan.state;
    plan.state = { ...state, lastRun: plan.summary };
    plan.pending = pending;
  }
  // After the last write: did another run overlap this one? Then either may have written a
  // window from older input over the other's newer value, and no compare-and-set stops it; the
  // windows this run wrote that the other run may also write are recorded as pending, so that a
  // later run computes them again. A scheduled run asks for the records beside the pointer (two
  // reads after its last write, one round trip); a recompute reads its progress row only after
  // the pointer answered, as at its start.
  const overlapping = report.fenced || recompute !== undefined ? undefined : settle(() => run.overlapped());
  if (report.fenced || !(await stillActive(ports, fence))) {
    // Writes nothing more for this version; what it wrote is left for the active one to check.
    await overlapping?.catch(() => undefined);
    await run.closeFenced(plans).catch(() => undefined);
    return { ...report, fenced: true };
  }
  const overlap = await (overlapping ??
    run.overlapped(plans.filter((plan) => plan.hashChanged).map((plan) => plan.kpi.key)));
  if (recompute !== undefined) return finishRecompute(ports, plans, report, run, overlap);
  // The cursor must never be stored ahead of the pending spans, and a save may land in part: the
  // states and this run's pending record first, then the cursors, and only then are the pending
  // records this run loaded (now done or carried into its own) removed.
  const own = pendingRecordOf(plans, stored.pending, runId, overlap, run.planned, run.by);
  // This run's own record: replaced by what it leaves pending, or, when it leaves nothing, removed
  // in the same save (no overlap seen, so no run needs to find it any more).
  // The state of a KPI left to a backfill is not saved: this run changed nothing of it but its
  // summary, and a run beside this one may have taken the new definition up since this one loaded
  // it (the backfill finished in between). Saving the loaded hash back would undo that, and the
  // runs would then wait for a whole backfill again, the output falling behind (review R7-F4).
  await ports.state.save({
    kpis: new Map(plans.filter((plan) => !plan.skip).map((plan) => [plan.kpi.key, plan.state])),
    ...(own === undefined ? {} : { pending: { put: own } }),
  });
  if (polled.cursors !== undefined) {
    const cursors = polled.cursors.flatMap(({ partition, cursor }) =>
      cursor === undefined ? [] : [{ partition, cursor }],
    );
    if (cursors.length > 0) await ports.state.save({ cursors: { subscription: opts.subscription, cursors } });
    report.cursorsCommitted = true;
  }
  // The records loaded closed (or of dead runs) were taken over; a running run's record stays.
  // This run's open record goes last: until then another run counts this one as running.
  await ports.state.save({ pending: { remove: [...run.takenOver(), run.openId] } });
  return report;
}

/**
 * A recompute leaves in each stretch it wrote only its windows' datapoints. A datapoint there at
 * another timestamp is of an earlier definition (another window length, offset or zone) and
 * would stand among the new values as one more, wrong, value. Read back after the write, so the
 * stretch is never without values, and deleted in ranges that hold none of the datapoints just
 * written.
 */
async function removeStrays(
  ports: RunPorts,
  batch: ReadonlyArray<{ plan: Plan; windows: Window[] }>,
): Promise<void> {
  // One stretch per run of windows that follow one another, so that no stretch holds a window
  // of the grid that is not among those just written.
  const stretches = batch.flatMap(({ plan, windows }) =>
    adjoining(windows).map((run) => ({
      plan,
      start: run[0]!.start,
      end: run.at(-1)!.end,
      kept: run.map((w) => w.start),
    })),
  );
  await deleteOff(ports, stretches);
}

/**
 * Reads each stretch of a plan's output back and deletes its datapoints at timestamps not in
 * `kept` (ascending), in ranges holding no kept one; counts them in the plan's `removed`. The read
 * is capped (twice the kept timestamps and some, so a stretch on the same grid is read whole):
 * a stretch holding more, such as years of an old 1-second grid under daily windows, is not read
 * further but deleted blind between the kept timestamps, which removes the same datapoints without
 * reading hundreds of millions of them (review finding); those are counted as the cap.
 */
async function deleteOff(
  ports: RunPorts,
  stretches: ReadonlyArray<{ plan: Plan; start: number; end: number; kept: readonly number[] }>,
): Promise<void> {
  const caps = stretches.map(({ kept }) => 2 * kept.length + READ_BACK_SLACK);
  const stored = await ports.source.read(
    stretches.map(({ plan, start, end }, i) => ({ series: plan.kpi.series, start, end, limit: caps[i]! })),
  );
  const removals: OutputRemoval[] = [];
  const counted: Array<[Plan, number]> = [];
  stretches.forEach(({ plan, start, end, kept }, i) => {
    const { timestamps, length } = stored[i]!.points;
    const whole = length < caps[i]!;
    const ranges = whole ? strayRanges(timestamps, length, kept) : between(kept, start, end);
    if (ranges.length === 0) return;
    removals.push({ series: plan.kpi.series, ranges });
    const keep = new Set(kept);
    let strays = 0;
    for (let k = 0; k < length; k++) if (!keep.has(timestamps[k]!)) strays++;
    counted.push([plan, strays]);
  });
  if (removals.length > 0) await ports.output.remove(removals);
  for (const [plan, strays] of counted) plan.removed += strays;
}

/** Every range of [start, end) outside the (ascending) kept timestamps. */
function between(kept: readonly number[], start: number, end: number): TimeRange[] {
  const ranges: TimeRange[] = [];
  let from = start;
  for (const t of kept) {
    if (t > from) ranges.push({ start: from, end: t });
    from = Math.max(from, t + 1);
  }
  if (end > from) ranges.push({ start: from, end });
  return ranges;
}

/**
 * A changed definition's datapoints before its first window are the old definition's (its start
 * was earlier, or its grid began before the new one): a recompute whose range holds the first
 * window removes them before its batches, and its progress then counts from CDF's first
 * timestamp, so the new hash is taken only once they are gone. Nothing stands in for them: the
 * new definition has no window there. False when the pointer names another version (nothing
 * removed); a KPI whose removal failed is stopped and counts nothing as done.
 */
async function clearBeforeStart(
  ports: RunPorts,
  plans: readonly Plan[],
  recompute: RecomputeOption,
  fence: Fence,
): Promise<boolean> {
  const clearing = plans.filter(
    (p) => p.hashChanged && !p.stopped && recompute.from <= p.firstStart && p.firstStart < recompute.to,
  );
  if (clearing.length === 0) return true;
  if (!(await stillActive(ports, fence))) return false;
  try {
    await deleteOff(
      ports,
      clearing.map((plan) => ({ plan, start: CDF_MIN_TIME, end: plan.firstStart, kept: [] })),
    );
    for (const p of clearing) p.clearedBefore = true;
  } catch (error) {
    for (const p of clearing) {
      stop(
        p,
        `removing the old definition's datapoints before the KPI's first window failed: ${messageOf(error)}`,
      );
    }
  }
  return true;
}

/** The windows (in time order) split where one does not end where the next starts. */
function adjoining(windows: readonly Window[]): Window[][] {
  const runs: Window[][] = [];
  for (const w of windows) {
    const last = runs.at(-1);
    if (last !== undefined && last.at(-1)!.end === w.start) last.push(w);
    else runs.push([w]);
  }
  return runs;
}

/**
 * A changed definition's old output may end inside a window of the new grid that has not closed
 * (10-minute windows become days, at noon): the recompute cannot write that window, and the
 * output's end, which due planning trusts, lies inside it. Once every window before it is written,
 * its datapoints (all the old definition's: no run writes a changed KPI before the new hash is
 * taken) are deleted, so the output ends where the new windows do and the recompute is complete;
 * the scheduled runs write that window when it closes. Nothing stands in for them, and nothing
 * should: the window is not due. Only while the window closes more than staleRunMs from now (the
 * margin for clocks): no run writes a window before it closes, so the delete can take nothing of
 * the new definition's. False when the pointer names another version (nothing removed).
 */
async function clearUnclosed(
  ports: RunPorts,
  plans: readonly Plan[],
  recompute: RecomputeOption,
  staleRunMs: number,
  fence: Fence,
): Promise<boolean> {
  const now = ports.clock.now();
  const clearing = plans.flatMap((p) => {
    if (!p.hashChanged || p.stopped || p.last === undefined) return [];
    const open = windowContaining(p.kpi.window, p.last);
    // Every window of the range before it written (or none there).
    const writtenTo = Math.max(p.dirty[0]?.from ?? Number.POSITIVE_INFINITY, p.dirtyDoneBefore);
    const fits =
      writtenTo >= open.start &&
      open.start >= p.firstStart &&
      open.end === p.dueFrom &&
      open.end + p.kpi.settleMs > now + staleRunMs &&
      recompute.from <= open.start &&
      open.start < recompute.to;
    return fits ? [{ plan: p, open }] : [];
  });
  if (clearing.length === 0) return true;
  if (!(await stillActive(ports, fence))) return false;
  try {
    await deleteOff(
      ports,
      clearing.map(({ plan, open }) => ({ plan, start: open.start, end: open.end, kept: [] })),
    );
    // The output now ends before the window: its recompute is done up to there.
    for (const { plan, open } of clearing) plan.dueFrom = open.start;
  } catch (error) {
    for (const { plan } of clearing) {
      plan.summary.error = `removing the old definition's datapoints in the new window not yet closed failed: ${messageOf(error)}`;
    }
  }
  return true;
}

/**
 * The ranges holding every timestamp of `stored` (ascending) that is not in `kept` (ascending), and
 * no timestamp of `kept`: consecutive strays with no kept timestamp between them go in one range.
 */
export function strayRanges(stored: ArrayLike<number>, length: number, kept: readonly number[]): TimeRange[] {
  const ranges: TimeRange[] = [];
  let k = 0;
  let open: TimeRange | undefined;
  for (let i = 0; i < length; i++) {
    const t = stored[i]!;
    while (k < kept.length && kept[k]! < t) {
      k++;
      open = undefined;
    }
    if (k < kept.length && kept[k] === t) {
      open = undefined;
      continue;
    }
    if (open === undefined) ranges.push((open = { start: t, end: t + 1 }));
    else open.end = t + 1;
  }
  return ranges;
}

/** The KPIs a recompute names (all when it names none), after checking its range and names. */
function chosen(kpis: readonly KpiDefinition[], recompute: RecomputeOption): readonly KpiDefinition[] {
  const { from, to } = recompute;
  if (!(Number.isFinite(from) && Number.isFinite(to) && from < to)) {
    throw new RangeError(
      `runKpis: recompute needs from < to, both epoch milliseconds, got from ${from}, to ${to}`,
    );
  }
  if (recompute.kpis === undefined) return kpis;
  const byKey = new Map(kpis.map((kpi) => [kpi.key, kpi]));
  const unknown = recompute.kpis.filter((key) => !byKey.has(key));
  if (unknown.length > 0) {
    throw new RangeError(
      `runKpis: recompute names KPIs not in the definitions: ${unknown.map((k) => JSON.stringify(k)).join(", ")}`,
    );
  }
  return [...new Set(recompute.kpis)].map((key) => byKey.get(key)!);
}

/**
 * Whether a recompute for the definition's hash has written every window of the output, from the
 * first window to the first due one, and removed what the old definition left before the first
 * (so its progress counts from CDF's first timestamp; see clearBeforeStart), replacing the hash
 * stored now (a progress row left from an older change, or for another hash, does not count).
 */
function finished(
  progress: RecomputeProgress,
  state: KpiState,
  configHash: string,
  dueFrom: number,
  generation: string,
): boolean {
  if (progress.configHash !== configHash || progress.replaces !== state.configHash) return false;
  return counts(progress, state, generation) && covers(progress.done, CDF_MIN_TIME, dueFrom);
}

/**
 * Whether a progress row's `done` still counts: marked under the KPI's present seal and the
 * pointer's present generation. A row saved before a repair was sealed (it can only be there now
 * by a save that landed late) does not; nor does one marked before the pointer was last written
 * (B, then C's backfill rewrote part of the output, then B again: a B save that landed late
 * would otherwise claim C's stretches; review R7-F1), nor one of a version before generations.
 */
function counts(progress: RecomputeProgress, state: KpiState | undefined, generation: string): boolean {
  return (progress.afterSeal ?? "") === (state?.sealed ?? "") && progress.generation === generation;
}

/** Whether any of these runs' records says it may write the KPI (a record without a plan: any). */
function mayWrite(records: readonly PendingRecord[], key: string): boolean {
  return records.some((r) => r.planned === undefined || r.planned.has(key));
}

const HELD_BACK =
  "its recompute with this definition is done, but a call of another version that may write it was " +
  "running (a call in flight at the deploy): the runs take the definition up once that call has ended, " +
  "or leave it to a backfill if its datapoints landed after the recompute";

/** The parts of sorted, merged `spans` outside sorted, merged `cut`. */
function without(spans: readonly Span[], cut: readonly Span[]): Span[] {
  const out: Span[] = [];
  for (const s of spans) {
    let from = s.from;
    for (const c of cut) {
      if (c.to <= from || c.from >= s.to) continue;
      if (c.from > from) out.push({ from, to: c.from });
      from = Math.max(from, c.to);
    }
    if (from < s.to) out.push({ from, to: s.to });
  }
  return out;
}

/** Every timestamp CDF stores. */
const ALL_TIME: Span = { from: CDF_MIN_TIME, to: CDF_MAX_TIME + 1 };

/**
 * The hash of a definition whose backfill began to rewrite an output computed with the stored
 * hash and has not finished, from the output's progress row; undefined when there is none. A
 * definition's own backfill after such a one (the repair) counts as not finished until a run
 * took it up and sealed it (KpiState.sealed names the row's mark; a version before marks sealed
 * the row itself, done for all time).
 */
function unfinishedRewrite(progress: RecomputeProgress | undefined, state: KpiState): string | undefined {
  if (progress === undefined) return undefined;
  // A row of another definition than the stored one that does not replace it either, and not the
  // row there when the stored one was taken up (every adoption seals the row it found): only a
  // save that landed late leaves one (a run's adoption of B landing after C marked the row,
  // replacing A, and began to rewrite), and C may have rewritten part of the output (review R7-F2).
  // (A row of a version before marks on a state never sealed is left alone, as those versions did.)
  if (progress.configHash !== state.configHash && progress.replaces !== state.configHash)
    return (state.sealed ?? "") === (progress.mark ?? "") ? undefined : progress.configHash;
  // A row of the stored definition replacing another hash: the row the stored one was taken up
  // from, or one that landed late after that (a mark or progress save of the same pair, or an
  // adoption saved late over a row marked anew), perhaps over the row of a definition that began
  // to rewrite the output since (B taken up, C marks and rewrites, the late B row lands, B again):
  // only the row sealed counts as whole (review R8). A state never sealed is of a version before
  // every adoption sealed (this one seals even without a row), and is left alone as it did.
  if (progress.replaces !== state.configHash)
    return state.sealed === undefined || state.sealed === (progress.mark ?? "")
      ? undefined
      : progress.configHash;
  if (
    progress.configHash === state.configHash &&
    ((state.sealed !== undefined && state.sealed === (progress.mark ?? "")) ||
      covers(progress.done, ALL_TIME.from, ALL_TIME.to))
  )
    return undefined;
  return progress.configHash;
}

function covers(spans: readonly Span[], from: number, to: number): boolean {
  return from >= to || mergeSpans(spans).some((s) => s.from <= from && s.to >= to);
}

/**
 * A changed definition's progress row as markRewrites saves it: what earlier recomputes for the
 * same pair did, as the row says now (read just before), when it counts.
 */
function markedProgress(plan: Plan, now: StoredState, mark: string, generation: string): RecomputeProgress {
  const before = now.recomputes.get(plan.kpi.key);
  const state = now.kpis.get(plan.kpi.key);
  const replaces = plan.stored!.configHash;
  const same =
    before !== undefined &&
    before.configHash === plan.kpi.configHash &&
    before.replaces === replaces &&
    counts(before, state, generation);
  const afterSeal = state?.sealed ?? "";
  const done = same ? before.done : [];
  return { configHash: plan.kpi.configHash, replaces, done, mark, afterSeal, generation };
}

/**
 * Before a changed definition's recompute writes or deletes anything, its progress row says so
 * (with what was done before): should the definition go back before the recompute finishes, the
 * runs of the stored one find the row and leave the mixed output to a recompute
 * (unfinishedRewrite) instead of trusting its end. A KPI whose row cannot be saved is stopped.
 * False when the pointer names another version (nothing saved).
 */
async function markRewrites(
  ports: RunPorts,
  plans: readonly Plan[],
  fence: Fence,
  mark: string,
): Promise<boolean> {
  const marked = plans.filter((plan) => plan.hashChanged && !plan.stopped);
  if (marked.length === 0) return true;
  // A mark saved after the pointer went back (a rollback while this call planned) would make the
  // stored definition's runs leave the KPI to a backfill though nothing was rewritten: the
  // pointer is asked just before (review finding; a mark that fails here and lands later still
  // can, which errs on the safe side).
  if (!(await stillActive(ports, fence))) return false;
  try {
    // The row as it is now, not as this call's start read it: held between the two (B, then C
    // rewrote part of the output, then B again), this call would save the `done` it read before
    // C's rewrite and so claim stretches C rewrote (review finding R6-1).
    const now = await ports.state.load(
      marked.map((plan) => plan.kpi.key),
      "",
    );
    // A changed definition that a run took up since this call planned (its recompute finished
    // meanwhile): the output is this definition's, and this call is a plain recompute of it. A
    // mark now would make the runs take the row for a late one and ask for a repair (review R9).
    const marking = marked.filter((plan) => {
      const takenUp =
        plan.stored!.configHash !== plan.kpi.configHash &&
        now.kpis.get(plan.kpi.key)?.configHash === plan.kpi.configHash;
      if (takenUp) plan.hashChanged = false;
      return !takenUp;
    });
    const rows = marking.map((plan) => markedProgress(plan, now, mark, fence.generation));
    if (rows.length > 0)
      await ports.state.save({ recomputes: new Map(rows.map((row, i) => [marking[i]!.kpi.key, row])) });
    marking.forEach((plan, i) => {
      plan.marked = rows[i];
    });
  } catch (error) {
    for (const plan of marked)
      stop(plan, `saving the recompute's progress before its first write failed: ${messageOf(error)}`);
  }
  return true;
}

/** A recompute's end: progress for changed definitions (never KpiState), and the report. */
async function finishRecompute(
  ports: RunPorts,
  plans: readonly Plan[],
  report: RunReport,
  run: RunRecord,
  overlap: Overlap,
): Promise<RunReport> {
  const progress = new Map<string, RecomputeProgress>();
  const { recomputes: current } = overlap;
  plans.forEach((plan, i) => {
    const span = plan.dirty[0] ?? { from: plan.dueFrom, to: plan.dueFrom };
    const to = Math.min(span.to, plan.dueFrom);
    const written = Math.max(span.from, Math.min(plan.dirtyDoneBefore, to));
    const entry: RecomputeReport = {
      from: span.from,
      to,
      // A recompute writes no due window: the output's end bounds it (see RecomputeOption).
      written: plan.summary.error === undefined && remaining(plan, false).length === 0,
      removed: plan.removed,
    };
    if (plan.hashChanged) {
      const replaces = plan.stored!.configHash;
      // A run beside this one that may write the KPI (an old version's call in flight at the flip,
      // fenced only at its next batch) may have left old-grid datapoints after this one read its
      // stretches back: where it may write, nothing this run did counts as done (review findings).
      // Such a run opened its record before the pointer check it passed, so before the flip,
      // before this run loaded its state (after its own pointer check): its record was among those
      // loaded open, whether or not it is still there now (a call of the new version may have
      // taken it over and removed it). Those found by the overlap check count as well.
      const beside = run.openAtStart();
      const others =
        overlap.all || beside.some((r) => r.planned === undefined)
          ? [{ from: Number.NEGATIVE_INFINITY, to: Number.POSITIVE_INFINITY }]
          : mergeSpans(
              [...overlap.plans, ...beside.map((r) => r.planned!)].flatMap(
                (planned) => planned.get(plan.kpi.key) ?? [],
              ),
            );
      const own = without(
        mergeSpans([
          ...(plan.clearedBefore ? [{ from: CDF_MIN_TIME, to: plan.firstStart }] : []),
          ...(written > span.from ? [{ from: span.from, to: written }] : []),
        ]),
        others,
      );
      // The row as the overlap check read it. Still this run's mark, or the mark of another
      // recompute of the same pair saved under the same write of the pointer and the same seal
      // (a call beside this one, say another part of one backfill): what is there and this run's
      // own work. No other version could write between the two marks (every run is fenced when
      // the pointer was written since its start), and a version's calls in flight at the pointer's
      // last write are in `others`. The same pair marked under another generation or seal: the
      // output may have been rewritten by another definition in between (B, then C, then B
      // again, or a repair sealed), so this run's work does not count, and what is there stays.
      // Another pair: another definition's recompute took the row; if this run changed the
      // output, its mark goes back (the output mixes both), else the row is left as it is.
      const now = current.get(plan.kpi.key);
      const samePair =
        now !== undefined && now.configHash === plan.kpi.configHash && now.replaces === replaces;
      const changedOutput = plan.written.length > 0 || plan.removed > 0 || plan.clearedBefore;
      const marked = plan.marked;
      const sameMarking =
        samePair &&
        marked !== undefined &&
        (now.mark === run.id ||
          (now.generation === marked.generation && (now.afterSeal ?? "") === (marked.afterSeal ?? "")));
      let done: Span[] = [];
      if (sameMarking) {
        done = mergeSpans([...now.done, ...own]);
        progress.set(plan.kpi.key, { ...now, done });
      } else if (samePair) {
        // Marked under an earlier write of the pointer or another seal (a save that landed late):
        // it counts for no run, nor does this run's work on top of it; the next recompute marks anew.
      } else if (marked !== undefined && changedOutput) {
        progress.set(plan.kpi.key, { ...marked, done });
      }
      entry.changedDefinition = {
        configHash: plan.kpi.configHash,
        done,
        complete: covers(done, CDF_MIN_TIME, plan.dueFrom),
      };
    }
    report.kpis[i]!.recompute = entry;
  });
  // A recompute takes over no pending record: the scheduled runs own them. Its own record is
  // kept, closed, only when it overlapped another run that may write some of the windows it
  // wrote: then the scheduled runs compute those again. Closed even when the progress save
  // failed (its writes are over): left open, it would make every recompute of these KPIs in the
  // next staleRunMs count nothing where this one planned.
  try {
    if (progress.size > 0) await ports.state.save({ recomputes: progress });
  } catch (error) {
    await run.close(overlappedByKpi(plans, overlap)).catch(() => undefined);
    throw error;
  }
  await run.close(overlappedByKpi(plans, overlap));
  return report;
}

/**
 * Dirty spans for every KPI with changes, in one batched planning; if that fails, KPI by KPI, and
 * a KPI whose own planning fails recomputes all of its windows: which changed cannot be told
 * now, and the cursor must still move for the other KPIs.
 */
async function planDirty(
  source: DatapointSource,
  changed: ReadonlyArray<{ plan: Plan; changes: InputChanges[] }>,
  at: number,
  keepUntil: number,
): Promise<void> {
  if (changed.length === 0) return;
  const stats: ReadStats = { points: 0, requests: 0 };
  try {
    const spans = await dirtySpansOfKpis(
      source,
      changed.map(({ plan, changes }) => ({
        kpi: plan.kpi,
        changes,
        // The due windows come next; read with the changes when near them, the cache keeps them.
        ...(plan.nextDue === undefined || plan.skip
          ? {}
          : {
              alsoRead: {
                from: plan.nextDue.start,
                to: windowContaining(plan.kpi.window, at - plan.kpi.settleMs).start,
              },
            }),
      })),
      // As if now were keepUntil: the spans reach its closed edge (or to it, where a step input
      // holds its last value), not this run's.
      keepUntil,
      stats,
    );
    changed.forEach(({ plan }, i) => {
      for (const s of spans[i]!) plan.dirty.push(s);
      plan.summary.pointsRead += stats.points;
      plan.summary.requests += stats.requests;
    });
    return;
  } catch (error) {
    if (changed.length === 1) {
      const { plan } = changed[0]!;
      plan.dirty = [{ from: plan.firstStart, to: keepUntil }];
      const failed = `planning changed windows failed (${messageOf(error)}); all its windows are recomputed`;
      plan.summary.error = plan.skip ? `${plan.summary.error}; ${failed}` : failed;
      return;
    }
  }
  for (const one of changed) await planDirty(source, [one], at, keepUntil);
}

function emptySummary(at: number): RunSummary {
  return {
    at,
    due: 0,
    dirty: 0,
    noValue: {},
    backlog: 0,
    pendingSpans: 0,
    pointsRead: 0,
    requests: 0,
    durationMs: 0,
  };
}

interface Polled {
  bySeries: Map<string, { timestamps: number[]; deletedRanges: Span[] }>;
  lost: boolean;
  /** Where the next run continues; undefined when polling did not finish (nothing to commit). */
  cursors: PartitionCursor[] | undefined;
}

/** Every change since the saved cursors, page by page, until none is waiting or the budget is spent. */
async function pollChanges(
  ports: RunPorts,
  opts: RunOptions,
  at: number,
  stored: StoredState,
  betweenPages: () => Promise<void>,
): Promise<Polled> {
  const bySeries: Polled["bySeries"] = new Map();
  let cursors: PartitionCursor[] = [];
  for (let partition = 0; partition < ports.changes.partitions; partition++) {
    cursors.push({ partition, cursor: stored.cursors.get(partition) });
  }
  for (;;) {
    let page: Awaited<ReturnType<ChangeSource["poll"]>>;
    try {
      page = await ports.changes.poll(cursors);
    } catch (error) {
      if (!(error instanceof ChangesLostError)) throw error;
      const restart = await ports.changes.poll(
        cursors.map(({ partition }) => ({ partition, cursor: undefined })),
      );
      return { bySeries, lost: true, cursors: [...restart.cursors] };
    }
    for (const change of page.changes) add(bySeries, change);
    cursors = [...page.cursors];
    if (!page.hasNext) break;
    if (ports.clock.now() - at >= opts.budgetMs) return { bySeries, lost: false, cursors: undefined };
    await betweenPages();
  }
  // A first run (no cursors) starts the subscription now: history is the due windows' job.
  return { bySeries, lost: false, cursors };
}

function add(bySeries: Polled["bySeries"], change: SeriesChange): void {
  const key = seriesLookupKey(change.series);
  let entry = bySeries.get(key);
  if (entry === undefined) bySeries.set(key, (entry = { timestamps: [], deletedRanges: [] }));
  // A loop, not push(...): one change may carry more points than a call takes arguments.
  for (const t of change.timestamps) entry.timestamps.push(t);
  for (const r of change.deletedRanges) entry.deletedRanges.push({ from: r.start, to: r.end });
}

function changesOf(kpi: KpiDefinition, bySeries: Polled["bySeries"]): InputChanges[] {
  const out: InputChanges[] = [];
  for (const input of kpi.inputs) {
    const entry = bySeries.get(seriesLookupKey(input.series));
    if (entry === undefined) continue;
    out.push({
      input: input.name,
      timestamps: entry.timestamps,
      deletedRanges: entry.deletedRanges.map((r) => ({ start: r.from, end: r.to })),
    });
  }
  return out;
}

/** The KPI's next consecutive windows: due ones first (oldest first), then dirty ones before them. */
/**
 * The earliest chunk and those within a day of the chunks taken so far. One batch reads each
 * shared input once, from its first chunk to its last, so chunks years apart (a KPI with an old
 * `start` beside live ones, an old correction beside due windows) would read the years between;
 * the chunks left out go first in a later batch.
 */
function nearby<C extends Chunk>(candidates: readonly C[]): C[] {
  const byStart = [...candidates].sort((a, b) => a.windows[0]!.start - b.windows[0]!.start);
  const batch: C[] = [];
  let end = Number.NEGATIVE_INFINITY;
  for (const c of byStart) {
    if (batch.length > 0 && c.windows[0]!.start - end > NEARBY_MS) break;
    batch.push(c);
    end = Math.max(end, c.windows.at(-1)!.end);
  }
  return batch;
}

function nextChunk(plan: Plan, at: number, size: number): Chunk | undefined {
  if (plan.retry !== undefined) {
    const chunk = plan.retry;
    plan.retry = undefined;
    return chunk;
  }
  if (plan.nextDue !== undefined) {
    const windows: Window[] = [];
    const closedBefore = at - plan.kpi.settleMs;
    for (
      let w: Window = plan.nextDue;
      w.end <= closedBefore && windows.length < size;
      w = nextWindow(plan.kpi.window, w)
    ) {
      windows.push(w);
    }
    if (windows.length > 0) return { windows, kind: "due" };
    plan.nextDue = undefined;
  }
  if (plan.dirtyWalk === undefined) return undefined;
  const windows: Window[] = [];
  for (;;) {
    const w = plan.peekedDirty ?? plan.dirtyWalk.next().value;
    plan.peekedDirty = undefined;
    if (w === undefined || w.start >= plan.dueFrom) {
      plan.dirtyWalk = undefined;
      break;
    }
    if (windows.length > 0 && (windows.length >= size || w.start !== windows.at(-1)!.end)) {
      plan.peekedDirty = w;
      break;
    }
    windows.push(w);
  }
  return windows.length > 0 ? { windows, kind: "dirty" } : undefined;
}

function dueAfter(kpi: KpiDefinition, last: Window, at: number): Window | undefined {
  const next = nextWindow(kpi.window, last);
  return next.end <= at - kpi.settleMs ? next : undefined;
}

/**
 * CDF computes aggregates from the stored points, but an old report (cognite-sdk-python issue
 * 421) says they could lag a fresh insert. A window is read raw, never from aggregates, when its
 * value may rest on points that landed moments ago: a recomputed (dirty) window, a due window
 * that a change seen in this run or pending touches, and a due window that closed less than
 * this long ago. Pushdown then serves catch-ups and backfills of settled history, where the
 * volume is, and a lagging aggregate cannot meet a consumed change.
 */
export const AGGREGATE_SETTLE_MS = 3_600_000;

function needsRawPoints(
  plan: Plan,
  kind: Chunk["kind"] | "recompute",
  from: number,
  to: number,
  at: number,
): boolean {
  if (to > at - AGGREGATE_SETTLE_MS) return true;
  // A recompute (backfill mode) consumes no change: the scheduled runs still see them, read raw.
  if (kind === "recompute") return false;
  if (kind === "dirty") return true;
  return plan.dirty.some((span) => span.from < to && span.to > from);
}

/**
 * This run's pending record: each KPI's remaining spans, and the spans of loaded records for KPIs
 * this run does not plan (another version's, or removed ones), which it would otherwise delete.
 */
function pendingRecordOf(
  plans: readonly Plan[],
  loaded: readonly PendingRecord[],
  id: string,
  overlap: Overlap,
  planned: ReadonlyMap<string, Span[]> | undefined,
  by: string,
): PendingRecord | undefined {
  const kpis = new Map<string, Span[]>();
  for (const plan of plans) {
    const spans = mergeSpans([...plan.pending, ...overlappedWindows(plan, overlap)]);
    if (spans.length > 0) kpis.set(plan.kpi.key, spans);
  }
  const ours = new Set(plans.map((plan) => plan.kpi.key));
  for (const record of loaded) {
    for (const [key, spans] of record.kpis) {
      if (!ours.has(key)) kpis.set(key, mergeSpans([...(kpis.get(key) ?? []), ...spans]));
    }
  }
  // Closed, the record keeps its plan: a run still running may find it in its overlap check.
  return kpis.size === 0 ? undefined : { id, kpis, by, ...(planned === undefined ? {} : { planned }) };
}

/**
 * The dirty spans not yet written, kept as pending for the next run: before the due windows,
 * those after the last dirty window written; among them, those after the last due window this
 * run wrote (also those in windows not closed yet). Those are not "due anyway": which windows are due came from the outputs'
 * latest datapoint at the start, and another run may have written them since, from older input
 * (review finding: a run out of budget dropped a late point's window, which the other run had
 * written without it, for good).
 */
function remaining(plan: Plan, afterDue = true): Span[] {
  const from = plan.dirtyDoneBefore;
  const spans: Span[] = [];
  for (const s of plan.dirty) {
    const before = { from: Math.max(s.from, from), to: Math.min(s.to, plan.dueFrom) };
    if (before.to > before.from) spans.push(before);
    const after = { from: Math.max(s.from, plan.dueFrom, plan.dueWrittenTo), to: s.to };
    if (afterDue && after.to > after.from) spans.push(after);
  }
  return mergeSpans(spans);
}

/** After a failed batch of several KPIs: each goes alone from now on, its chunk first. */
function isolate(batch: ReadonlyArray<{ plan: Plan } & Chunk>): boolean {
  if (batch.length === 1) return false;
  for (const { plan, windows, kind } of batch) {
    plan.alone = true;
    plan.retry = { windows, kind };
  }
  return true;
}

function stop(plan: Plan, error: string): void {
  plan.stopped = true;
  plan.summary.error = error;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A port call started now and awaited later: a synchronous throw becomes a rejection, and a
 * rejection nobody awaits (the run returned at the fence first) is not reported as unhandled.
 */
function settle<T>(call: () => Promise<T>): Promise<T> {
  let promise: Promise<T>;
  try {
    // Promise.resolve: a port written in plain JavaScript may answer with a value.
    promise = Promise.resolve(call());
  } catch (error) {
    promise = Promise.reject(error);
  }
  promise.catch(() => undefined);
  return promise;
}

/**
 * Every window this run may write, by KPI key (KPIs that may write none left out), as spans of
 * whole windows: the walk nextChunk takes, bounded as it is. Dirty windows meet a dirty span
 * (windowsOfSpans: start before its end, end after its start), start at or after the first
 * window and before the first due one, and are closed; due windows run from the first due one to
 * the last closed one. A retried chunk is one of these, a recompute's range is its one dirty
 * span, and a lost cursor or a failed planning makes all of a KPI's windows dirty. A KPI left to
 * the backfill writes nothing. Past MAX_PLANNED_SPANS, spans are joined (a larger plan).
 */
function plannedOf(plans: readonly Plan[], at: number): Map<string, Span[]> {
  const planned = new Map<string, Span[]>();
  for (const plan of plans) {
    if (plan.skip) continue;
    const { window } = plan.kpi;
    // Closed windows end at or before the start of the window holding this run's closed edge.
    const closedEdge = windowContaining(window, at - plan.kpi.settleMs).start;
    const dirtyBefore = Math.min(plan.dueFrom, closedEdge);
    const spans: Span[] = [];
    for (const s of plan.dirty) {
      // No window that starts before dirtyBefore (a window start) ends after it. Clipped to it
      // first, so no far-off instant (a lost cursor's span ends staleRunMs ahead) is looked up.
      if (s.from >= dirtyBefore) continue;
      const from = windowContaining(window, Math.max(s.from, plan.firstStart)).start;
      const to = windowAtOrAfter(window, Math.min(s.to, dirtyBefore)).start;
      if (from < to) spans.push({ from, to });
    }
    if (plan.nextDue !== undefined && plan.dueFrom < closedEdge) {
      spans.push({ from: plan.dueFrom, to: closedEdge });
    }
    const merged = joined(mergeSpans(spans), MAX_PLANNED_SPANS);
    if (merged.length > 0) planned.set(plan.kpi.key, merged);
  }
  return planned;
}

/**
 * A scheduled run's plan before its changes are planned: any window of every KPI it may write,
 * none of a KPI left to a backfill (it writes nothing of those, whatever its changes).
 */
function provisionalPlan(plans: readonly Plan[]): Map<string, Span[]> {
  return new Map(plans.filter((plan) => !plan.skip).map((plan) => [plan.kpi.key, [ALL_TIME]]));
}

/** Sorted, merged spans, at most `max` of them: the smallest gaps between them are joined. */
function joined(spans: Span[], max: number): Span[] {
  if (spans.length <= max) return spans;
  const gaps = spans.slice(1).map((s, i) => s.from - spans[i]!.to);
  gaps.sort((a, b) => a - b);
  // Joining every gap up to this one joins at least spans.length - max of them.
  const join = gaps[spans.length - max - 1]!;
  const out: Span[] = [];
  for (const s of spans) {
    const last = out.at(-1);
    if (last !== undefined && s.from - last.to <= join) last.to = s.to;
    else out.push({ ...s });
  }
  return out;
}

/**
 * What the overlap check found: `all` when a run that overlapped this one has no plan in its
 * record (still planning, or a version before plans), else the plans of those that did.
 */
interface Overlap {
  all: boolean;
  plans: ReadonlyArray<ReadonlyMap<string, Span[]>>;
  /** The recompute progress rows of the KPIs asked for, as the check read them. */
  recomputes: ReadonlyMap<string, RecomputeProgress>;
}

/** An overlap with a run whose plan is not known: every window written counts. */
const EVERY_WINDOW: Overlap = { all: true, plans: [], recomputes: new Map() };

/**
 * The windows this run wrote that an overlapping run may also write: all of them when one's
 * plan is not known; else each written window that meets a span of such a run's plan for the
 * same KPI, whole (windows are written whole, and a window both may write is the one a race
 * can leave wrong).
 */
function overlappedWindows(plan: Plan, overlap: Overlap): Span[] {
  if (overlap.all) return plan.written;
  const spans: Span[] = [];
  for (const planned of overlap.plans) {
    for (const p of planned.get(plan.kpi.key) ?? []) {
      for (const w of plan.written) {
        const met = windowsMeeting(plan.kpi, w, p);
        if (met !== undefined) spans.push(met);
      }
    }
  }
  return mergeSpans(spans);
}

/**
 * The windows of `written` (a span of whole windows) that meet `planned` as windowsOfSpans reads
 * a span (start before its end, end after its start; [t, t) meets the window holding t), as one
 * span of whole windows; undefined when none does. Each written window is kept whole: from the
 * start of the window holding the overlap's start to the first window start at or after its end.
 */
function windowsMeeting(kpi: KpiDefinition, written: Span, planned: Span): Span | undefined {
  if (!(planned.from < written.to && planned.to > written.from)) return undefined;
  const from = windowContaining(kpi.window, Math.max(written.from, planned.from)).start;
  const to = Math.min(written.to, windowAtOrAfter(kpi.window, Math.min(written.to, planned.to)).start);
  return from < to ? { from, to } : undefined;
}

/** overlappedWindows of every KPI, by KPI key (KPIs with none left out). */
function overlappedByKpi(plans: readonly Plan[], overlap: Overlap): Map<string, Span[]> {
  const kpis = new Map<string, Span[]>();
  for (const plan of plans) {
    const spans = overlappedWindows(plan, overlap);
    if (spans.length > 0) kpis.set(plan.kpi.key, mergeSpans(spans));
  }
  return kpis;
}

/**
 * This run's own pending record while it runs ("Overlapping runs" in the README). Two runs at
 * once can each read an input before a late point lands and write its window after the other
 * wrote it with the point: the datapoints API and Raw have no compare-and-set, and the run that
 * polled the point may store its cursor last, so nothing would ever compute the window again.
 * So every run stores an open record before it reads any input, and after its last write lists
 * the records: one that was not closed when this run started belongs to a run that overlapped
 * it. The run whose write came last finds the other's record (put before the other's reads,
 * which came before its write), so at least that run records its windows as pending.
 *
 * Only the windows both runs may write need it. The record carries its run's plan (every window
 * it may write, PendingRecord.planned) once known: a recompute's at once, a scheduled run's once
 * its changes are planned, put again beside its first batch. Until then the record has no plan,
 * which reads as "may write anything". Why that is enough: say run X wrote window W last, from
 * input older than the value run Y wrote in W before. Y's check comes after X's record was put
 * (X put it before reading W, that read came before the late point landed, before Y polled it,
 * wrote W and checked), and finds it, unless X's record was gone by then; then X's check came
 * after Y's write, so after Y's record was put, and Y's record was still there (Y closes after
 * its check): X finds Y's. Whichever finds the other sees its record either without a plan
 * (pends every window it wrote, W too) or with its whole plan, which holds W, since a run writes
 * only planned windows (plannedOf; a record closed keeps its plan); and it wrote W itself, so it
 * pends W, and the next run computes W from the input as it is then.
 */
/**
 * A run's open record (put at its start, with its plan, and renewed) and its closed record (the
 * spans it leaves pending) are two records, `<id>~open` and `<id>`: a put of the open one that
 * fails at the caller but lands later (CDF applied it after the answer was lost) would otherwise
 * replace the closed record's spans after the cursor moved past them (review finding). Landing
 * late, it only brings back an open record without spans: other runs count the run as running
 * until it goes dead (more pending work, nothing lost), then take it over.
 */
class RunRecord {
  readonly #ports: RunPorts;
  readonly #id: string;
  /** The id of the open record. */
  readonly openId: string;
  readonly #staleRunMs: number;
  /** Ids of the records loaded at the start, closed ones and those of dead runs: this run takes them over. */
  readonly #closedAtStart: Set<string>;
  /** The records loaded at the start of runs still running then. */
  readonly #openAtStart: readonly PendingRecord[];
  #openedAt = Number.NaN;
  #planned: ReadonlyMap<string, Span[]> | undefined;
  /** The put of the plan, sent beside the first batch; every later put of the record waits for it. */
  #planPut: Promise<void> | undefined;

  constructor(
    ports: RunPorts,
    id: string,
    staleRunMs: number,
    loaded: readonly PendingRecord[],
    readonly by: string,
  ) {
    this.#ports = ports;
    this.#id = id;
    this.openId = `${id}~open`;
    this.#staleRunMs = staleRunMs;
    const now = ports.clock.now();
    const done = loaded.filter((r) => !this.#own(r) && (r.openSince === undefined || this.#dead(r, now)));
    this.#closedAtStart = new Set(done.map((r) => r.id));
    this.#openAtStart = loaded.filter((r) => !this.#own(r) && !this.#closedAtStart.has(r.id));
  }

  /** The run's id: its closed record's, and the mark of the progress rows it saves. */
  get id(): string {
    return this.#id;
  }

  /** The records, loaded at this run's start, of runs still running then. */
  openAtStart(): readonly PendingRecord[] {
    return this.#openAtStart;
  }

  /** Puts the open record; `planned`: every window this run may write, when known already. */
  async open(at: number, planned?: ReadonlyMap<string, Span[]>): Promise<void> {
    this.#openedAt = at;
    this.#planned = planned;
    await this.#putOpen();
  }

  /**
   * Puts the record again (still open, since the same instant) with the run's plan, and returns
   * at once: the put goes beside the first batch. A record still without a plan is read as
   * "may write anything", so the reads need not wait for it. If it fails, the record stays so (or
   * has the plan, if it landed all the same): sound either way, another run pends more; this run
   * goes on, and its later puts (a renewal, the close) carry the plan.
   */
  plan(planned: ReadonlyMap<string, Span[]>): void {
    this.#planned = planned;
    this.#planPut = settle(() => this.#putOpen());
  }

  /** The plan this run put, if any. */
  get planned(): ReadonlyMap<string, Span[]> | undefined {
    return this.#planned;
  }

  /** A long run (a backfill) renews its record before others would take it for a dead one's. */
  async renewIfDue(): Promise<void> {
    const now = this.#ports.clock.now();
    if (now - this.#openedAt < this.#staleRunMs / 3) return;
    // After the plan's put: landing after this one, it would put back the older openSince.
    await this.#planLanded();
    this.#openedAt = now;
    await this.#putOpen();
  }

  /**
   * What to recompute for the other runs' records, not closed when this run started, that are
   * there now; and, read in the same request, the recompute progress of the KPIs `keys`.
   */
  async overlapped(keys: readonly string[] = []): Promise<Overlap> {
    // The plan's put settled first: landing after this run's close, it would reopen the record.
    await this.#planLanded();
    const { pending, recomputes } = await this.#ports.state.load(keys, "");
    const now = this.#ports.clock.now();
    const others = pending.filter(
      (r) => !this.#own(r) && !this.#closedAtStart.has(r.id) && !this.#dead(r, now),
    );
    const plans: Array<ReadonlyMap<string, Span[]>> = [];
    for (const r of others) {
      if (r.planned === undefined) return { ...EVERY_WINDOW, recomputes };
      plans.push(r.planned);
    }
    return { all: false, plans, recomputes };
  }

  /** The records this run loaded and may remove once its own is saved. */
  takenOver(): string[] {
    return [...this.#closedAtStart];
  }

  /** Closes the record: the closed one put with these spans (and the plan) when there are any, then the open one removed. */
  async close(kpis: ReadonlyMap<string, Span[]>): Promise<void> {
    await this.#planLanded();
    if (kpis.size > 0)
      await this.#ports.state.save({
        pending: { put: { id: this.#id, kpis, by: this.by, ...this.#plan() } },
      });
    await this.#ports.state.save({ pending: { remove: [this.openId] } });
  }

  /**
   * A fenced run: whatever it wrote is left as pending for the active version's runs (they may
   * compute those windows otherwise, overlap or not).
   */
  async closeFenced(plans: readonly Plan[]): Promise<void> {
    if (Number.isNaN(this.#openedAt)) return;
    await this.close(overlappedByKpi(plans, EVERY_WINDOW));
  }

  #putOpen(): Promise<void> {
    return this.#ports.state.save({
      pending: {
        put: { id: this.openId, kpis: new Map(), openSince: this.#openedAt, by: this.by, ...this.#plan() },
      },
    });
  }

  #plan(): { planned?: ReadonlyMap<string, Span[]> } {
    return this.#planned === undefined ? {} : { planned: this.#planned };
  }

  async #planLanded(): Promise<void> {
    await this.#planPut?.catch(() => undefined);
  }

  #own(r: PendingRecord): boolean {
    return r.id === this.#id || r.id === this.openId;
  }

  /** Open past staleRunMs; or opened more than staleRunMs ahead of this run's clock, which no live run's clock is. */
  #dead(r: PendingRecord, now: number): boolean {
    return (
      r.openSince !== undefined &&
      (r.openSince < now - this.#staleRunMs || r.openSince > now + this.#staleRunMs)
    );
  }
}

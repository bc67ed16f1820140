// One kpis.yaml entry, already of the schema's shape, checked for what a schema cannot say and
// turned into the KpiDefinition everything downstream trusts.

import { DateTime } from "luxon";
import { type Duration, durationMs, formatDuration, parseDuration } from "./duration.js";
import { ExpressionError, parseExpression } from "./expression.js";
import { fixedDuration } from "./fixedDuration.js";
import type { IssueList } from "./issueList.js";
import { isValidTimeZone } from "./isValidTimeZone.js";
import { kpiConfigHash } from "./kpiConfigHash.js";
import type { Defaults, KpiEntry } from "./kpiConfigSchema.js";
import type { KpiDefinition } from "./kpiDefinition.js";
import {
  CDF_MAX_TIME,
  CDF_MIN_TIME,
  type CleanStep,
  type ExprNode,
  type InputSpec,
  type SeriesRef,
  type WindowSpec,
} from "./model.js";
import { seriesKey } from "./series.js";
import { isWindowStart, windowAtOrAfter, windowContaining } from "./window.js";

const CALENDAR_UNITS = { d: "day", w: "week", mo: "month" } as const;
/** An offset must stay below the shortest period (February for months) so windows keep their order. */
const CALENDAR_OFFSET_LIMIT = { day: "24h", week: "7d", month: "28d" } as const;
const CALENDAR_OFFSET_LIMIT_MS = { day: 86_400_000, week: 7 * 86_400_000, month: 28 * 86_400_000 } as const;

function seriesRefOf(
  entry: { externalId?: string | undefined; instanceId?: { space: string; externalId: string } | undefined },
  path: string,
  what: string,
  issues: IssueList,
): SeriesRef | undefined {
  if (entry.externalId !== undefined && entry.instanceId !== undefined) {
    issues.add(path, `${what} has both externalId and instanceId; give only one`);
    return undefined;
  }
  if (entry.externalId !== undefined) return { externalId: entry.externalId };
  if (entry.instanceId !== undefined) return { instanceId: { ...entry.instanceId } };
  issues.add(path, `${what} needs externalId, or instanceId: { space, externalId }`);
  return undefined;
}

function windowSpecOf(
  entry: KpiEntry,
  timeZone: string,
  path: string,
  issues: IssueList,
): WindowSpec | undefined {
  let every: Duration;
  try {
    every = parseDuration(entry.window.every);
  } catch (error) {
    issues.add(`${path}.window.every`, (error as Error).message);
    return undefined;
  }
  const offsetMs =
    entry.window.offset === undefined
      ? 0
      : fixedDuration(entry.window.offset, `${path}.window.offset`, "offset", issues);
  if (offsetMs === undefined) return undefined;
  const everyText = formatDuration(every);
  if (every.unit === "s" || every.unit === "m" || every.unit === "h") {
    const everyMs = durationMs(every);
    if (everyMs === 0) {
      issues.add(`${path}.window.every`, "every must be longer than 0; use e.g. 10m or 1h");
      return undefined;
    }
    if (offsetMs >= everyMs) {
      issues.add(
        `${path}.window.offset`,
        `offset ${entry.window.offset} must be shorter than the window (every: ${everyText}); use 0 up to just under ${everyText}`,
      );
      return undefined;
    }
    return { kind: "fixed", everyMs, offsetMs };
  }
  if (every.amount !== 1) {
    const hours =
      every.unit === "d" ? `; or use ${every.amount * 24}h for fixed windows aligned to the epoch` : "";
    issues.add(`${path}.window.every`, `"${everyText}": calendar windows take only 1d, 1w or 1mo${hours}`);
    return undefined;
  }
  const unit = CALENDAR_UNITS[every.unit];
  if (offsetMs >= CALENDAR_OFFSET_LIMIT_MS[unit]) {
    issues.add(
      `${path}.window.offset`,
      `offset ${entry.window.offset} must be shorter than ${CALENDAR_OFFSET_LIMIT[unit]} for every: ${everyText}`,
    );
    return undefined;
  }
  return { kind: "calendar", unit, offsetMs, timeZone };
}

function formatInstant(t: number, timeZone: string): string {
  return timeZone === "UTC"
    ? new Date(t).toISOString()
    : (DateTime.fromMillis(t, { zone: timeZone, locale: "en-US" }).toISO({ suppressMilliseconds: true }) ??
        String(t));
}

// KPIs mostly share one start (`defaults.start`): luxon's parse of it cost a call 30 ms for 100.
const instants = new Map<string, number | undefined>();

/** An ISO 8601 time as epoch ms, wall-clock time in `timeZone` when it has no offset; undefined if it is none. */
function isoInstant(text: string, timeZone: string): number | undefined {
  const key = `${timeZone} ${text}`;
  if (instants.has(key)) return instants.get(key);
  // A locale given: luxon would otherwise ask Intl for the system's, which in a fresh process loads
  // ICU (about 24 ms of a scheduled call whose KPIs are all in UTC). Parsing ISO does not use it.
  const parsed = DateTime.fromISO(text, { zone: timeZone, locale: "en-US" });
  const ms = parsed.isValid ? parsed.toMillis() : undefined;
  if (instants.size >= 1000) instants.clear();
  instants.set(key, ms);
  return ms;
}

function startOf(
  value: string | Date,
  spec: WindowSpec,
  timeZone: string,
  everyText: string,
  path: string,
  issues: IssueList,
): number | undefined {
  let startMs: number;
  if (value instanceof Date) {
    // zod has already rejected an invalid Date.
    startMs = value.getTime();
  } else {
    // A time without an offset is wall-clock time in the KPI's time zone: `2024-01-01` means
    // local midnight, the start of a calendar day there.
    const parsed = isoInstant(value.trim(), timeZone);
    if (parsed === undefined) {
      issues.add(path, `"${value}" is not an ISO 8601 time; use e.g. 2024-01-01T00:00:00Z`);
      return undefined;
    }
    startMs = parsed;
  }
  if (!(startMs >= CDF_MIN_TIME && startMs <= CDF_MAX_TIME)) {
    issues.add(
      path,
      `${formatInstant(startMs, "UTC")} is outside the time range CDF stores (1900-01-01T00:00:00Z to 2099-12-31T23:59:59.999Z); give a start in it`,
    );
    return undefined;
  }
  if (isWindowStart(spec, startMs)) return startMs;
  // Not aligned: an error rather than silently moving it, so the first window is the one the
  // author meant (kpis-yaml.md, "start").
  const before = windowContaining(spec, startMs).start;
  const after = windowAtOrAfter(spec, startMs).start;
  const zone = spec.kind === "calendar" ? spec.timeZone : "UTC";
  const yamlHint =
    value instanceof Date && spec.kind === "calendar" && startMs % 86_400_000 === 0 && timeZone !== "UTC"
      ? ` (an unquoted YAML date is read as UTC midnight; quote it to mean local time in ${timeZone})`
      : "";
  issues.add(
    path,
    `${formatInstant(startMs, zone)} is not a window start for every: ${everyText}; the nearest are ${formatInstant(before, zone)} and ${formatInstant(after, zone)}${yamlHint}`,
  );
  return undefined;
}

function cleanStepOf(
  step: KpiEntry["inputs"][string]["clean"] extends (infer S)[] | undefined ? S : never,
  path: string,
  issues: IssueList,
): CleanStep | undefined {
  const kinds = (["range", "spike", "flatline"] as const).filter((kind) => step[kind] !== undefined);
  if (kinds.length !== 1) {
    issues.add(
      path,
      kinds.length === 0
        ? "a clean step needs one of range: [lo, hi], spike: { window, k }, flatline: { duration }"
        : `a clean step has one kind, found ${kinds.join(" and ")}; write them as separate steps`,
    );
    return undefined;
  }
  if (step.range !== undefined) {
    const [lo, hi] = step.range;
    if (lo > hi) {
      issues.add(`${path}.range`, `range [${lo}, ${hi}] has lo > hi; write [${hi}, ${lo}]`);
      return undefined;
    }
    return { range: [lo, hi] };
  }
  if (step.spike !== undefined) {
    const window = step.spike.window ?? 7;
    if (window % 2 === 0) {
      issues.add(
        `${path}.spike.window`,
        `window ${window} must be odd so the point is in the middle; use ${window + 1}`,
      );
      return undefined;
    }
    return { spike: { window, k: step.spike.k ?? 3 } };
  }
  const durationMsValue = fixedDuration(
    step.flatline!.duration,
    `${path}.flatline.duration`,
    "duration",
    issues,
    {
      positive: true,
    },
  );
  return durationMsValue === undefined ? undefined : { flatline: { durationMs: durationMsValue } };
}

function inputsOfEntry(entry: KpiEntry, path: string, issues: IssueList): InputSpec[] | undefined {
  const inputs: InputSpec[] = [];
  let ok = true;
  for (const [name, input] of Object.entries(entry.inputs)) {
    const inputPath = `${path}.inputs.${name}`;
    if (name === "windowSeconds") {
      issues.add(inputPath, `"windowSeconds" is reserved for the window length; name the input differently`);
      ok = false;
      continue;
    }
    const series = seriesRefOf(input, inputPath, `input "${name}"`, issues);
    const clean = (input.clean ?? []).map((step, index) =>
      cleanStepOf(step, `${inputPath}.clean[${index}]`, issues),
    );
    const maxGapMs =
      input.maxGap === undefined
        ? undefined
        : fixedDuration(input.maxGap, `${inputPath}.maxGap`, "maxGap", issues, { positive: true });
    if (
      series === undefined ||
      clean.includes(undefined) ||
      (input.maxGap !== undefined && maxGapMs === undefined)
    ) {
      ok = false;
      continue;
    }
    inputs.push({
      name,
      series,
      clean: clean as CleanStep[],
      maxGapMs,
      step: input.step ?? false,
      counter: input.counter ?? false,
      uncertain: input.uncertain ?? false,
    });
  }
  return ok ? inputs : undefined;
}

export function normalizeKpi(
  entry: KpiEntry,
  defaults: Defaults,
  path: string,
  issues: IssueList,
): KpiDefinition | undefined {
  const before = issues.issues.length;
  const series = seriesRefOf(entry, path, "a KPI", issues);
  const timeZone = entry.window.timeZone ?? defaults.timeZone ?? "UTC";
  let spec: WindowSpec | undefined;
  if (entry.window.timeZone !== undefined && !isValidTimeZone(entry.window.timeZone)) {
    issues.add(
      `${path}.window.timeZone`,
      `unknown time zone "${entry.window.timeZone}"; use an IANA name such as Europe/Oslo or UTC`,
    );
  } else if (isValidTimeZone(timeZone)) {
    spec = windowSpecOf(entry, timeZone, path, issues);
  }
  const settleValue = entry.settle ?? defaults.settle ?? 0;
  const settleMs = fixedDuration(
    settleValue,
    entry.settle === undefined ? "defaults.settle" : `${path}.settle`,
    "settle",
    issues,
  );
  const inputs = inputsOfEntry(entry, path, issues);
  let expression: ExprNode | undefined;
  try {
    expression = parseExpression(entry.value, Object.keys(entry.inputs));
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    // A value past the length limit is quoted only in part: the message must fit a terminal.
    const quoted =
      entry.value.length <= 200
        ? `"${entry.value}"`
        : `"${entry.value.slice(0, 80)}…" (${entry.value.length} characters)`;
    issues.add(`${path}.value`, `${error.message} in ${quoted}`);
  }
  // Without start the KPI is live from its first run (plan.ts, firstWindowStart).
  const startValue = entry.start ?? defaults.start;
  let startMs: number | undefined;
  let startFailed = false;
  if (startValue !== undefined && spec !== undefined) {
    const startPath = entry.start === undefined ? "defaults.start" : `${path}.start`;
    startMs = startOf(startValue, spec, timeZone, String(entry.window.every), startPath, issues);
    startFailed = startMs === undefined;
  }
  if (
    issues.issues.length > before ||
    series === undefined ||
    spec === undefined ||
    settleMs === undefined ||
    inputs === undefined ||
    expression === undefined ||
    startFailed
  ) {
    return undefined;
  }
  const definition: Omit<KpiDefinition, "configHash"> = {
    series,
    key: seriesKey(series),
    name: entry.name,
    description: entry.description,
    unit: entry.unit,
    window: spec,
    settleMs,
    startMs,
    inputs,
    value: entry.value,
    expression,
  };
  return { ...definition, configHash: kpiConfigHash(definition) };
}

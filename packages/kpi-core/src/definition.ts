// kpis.yaml: one zod schema is the type, the validation, the messages and the editor's JSON
// Schema (style.md, "One schema, many uses"). parseKpiConfig checks the shape with it, then the
// rules a schema cannot say (durations per field, time zones, window grid, the expression) and
// returns the normalized KpiDefinition[] everything downstream trusts.

import { DateTime, IANAZone } from "luxon";
import { z } from "zod";
import {
  DURATION_HINT,
  DURATION_PATTERN,
  type Duration,
  durationMs,
  formatDuration,
  parseDuration,
} from "./duration.js";
import {
  ExpressionError,
  formatExpression,
  INPUT_NAME_PATTERN,
  inputsOf,
  parseExpression,
} from "./expression.js";
import {
  CDF_MAX_TIME,
  CDF_MIN_TIME,
  type CleanStep,
  type ExprNode,
  type InputSpec,
  type KpiDefinition,
  type SeriesRef,
  type WindowSpec,
} from "./model.js";
import { quoteForMessage } from "./quoteForMessage.js";
import { isWindowStart, windowAtOrAfter, windowContaining } from "./window.js";

// ---- the schema ----

const durationText = z.string().regex(new RegExp(DURATION_PATTERN), {
  error: (issue) => `${quoteForMessage(String(issue.input))} is not a duration; ${DURATION_HINT}`,
});

const durationSchema = z
  .union([z.literal(0), durationText], {
    error: (issue) =>
      issue.input === undefined
        ? `required; ${DURATION_HINT}`
        : `${quoteForMessage(issue.input)} is not a duration; ${DURATION_HINT}`,
  })
  .meta({
    description: "A duration: an integer and a unit s, m, h, d, w or mo.",
    examples: ["10m", "1h", "1d"],
  });

const externalIdSchema = z
  .string()
  .min(1, { error: "externalId is empty" })
  .max(255, { error: "externalId is longer than CDF's limit of 255 characters" });

const instanceIdSchema = z
  .strictObject({ space: z.string().min(1), externalId: z.string().min(1) })
  .meta({ description: "A CogniteTimeSeries node in CDF data modeling." });

const seriesFields = {
  externalId: externalIdSchema.optional().meta({ description: "The time series' externalId." }),
  instanceId: instanceIdSchema.optional(),
};

const cleanStepSchema = z
  .strictObject({
    range: z
      .tuple([z.number(), z.number()])
      .optional()
      .meta({ description: "Drop values outside [lo, hi]; the bounds are kept.", examples: [[0, 500]] }),
    spike: z
      .strictObject({
        window: z
          .int()
          .min(3)
          .optional()
          .meta({ description: "Odd number of points centred on each point (default 7)." }),
        k: z.number().positive().optional().meta({ description: "Threshold in scaled MADs (default 3)." }),
      })
      .optional()
      .meta({ description: "Hampel filter: drop points far from the rolling median." }),
    flatline: z
      .strictObject({ duration: durationSchema })
      .optional()
      .meta({ description: "Drop runs of one unchanged value that last longer than duration." }),
  })
  .meta({
    description: "One cleaning step: exactly one of range, spike, flatline.",
    minProperties: 1,
    maxProperties: 1,
  });

const inputSchema = z
  .strictObject({
    ...seriesFields,
    clean: z.array(cleanStepSchema).optional().meta({ description: "Cleaning steps, applied in order." }),
    maxGap: durationSchema.optional().meta({
      description: "Longest interpolated segment (linear, default 1h) or hold (step, default unlimited).",
    }),
    step: z
      .boolean()
      .optional()
      .meta({ description: "Hold each value until the next point (default: the series' isStep)." }),
    counter: z.boolean().optional().meta({ description: "A counter: delta() treats a drop as a reset." }),
    uncertain: z
      .boolean()
      .optional()
      .meta({ description: "Count Uncertain points too (default: Good points only; Bad never)." }),
  })
  .meta({ description: "An input time series: externalId or instanceId, and how to read it." });

const timeZoneSchema = z
  .string()
  .meta({ description: "IANA time zone name.", examples: ["Europe/Oslo", "UTC"] });

const startSchema = z
  .union([z.string(), z.date()], {
    error: (issue) =>
      `${issue.input instanceof Date ? "an invalid date" : quoteForMessage(issue.input)} is not a time; use an ISO 8601 time such as 2024-01-01T00:00:00Z`,
  })
  .meta({ description: "Start of the first window, ISO 8601.", examples: ["2024-01-01T00:00:00Z"] });

const windowSchema = z.strictObject({
  every: durationSchema.meta({
    description:
      "Window length: s/m/h are fixed and epoch-aligned; 1d, 1w, 1mo are calendar units in timeZone.",
    examples: ["10m", "1h", "1d", "1w", "1mo"],
  }),
  offset: durationSchema
    .optional()
    .meta({ description: "Shift of the window grid (local clock time for calendar windows)." }),
  timeZone: timeZoneSchema.optional(),
});

const kpiSchema = z.strictObject({
  ...seriesFields,
  name: z.string().optional(),
  description: z.string().optional(),
  unit: z.string().optional(),
  window: windowSchema,
  settle: durationSchema
    .optional()
    .meta({ description: "Wait after a window's end before computing it (default 0)." }),
  start: startSchema.optional(),
  inputs: z.record(
    z.string().regex(new RegExp(INPUT_NAME_PATTERN), {
      error: (issue) =>
        `input name "${String(issue.input)}" is not an identifier; use letters, digits and _ (not first), e.g. flow_in`,
    }),
    inputSchema,
  ),
  value: z
    .string()
    .min(1, { error: "value is empty; write an expression such as twa(flow)" })
    .meta({
      description: "The value expression.",
      examples: ["twa(flow)", 'integral(power, "h") / delta(units)'],
    }),
});

const defaultsSchema = z.strictObject({
  timeZone: timeZoneSchema.optional(),
  settle: durationSchema.optional(),
  start: startSchema.optional(),
});

/** The kpis.yaml document, as parsed from YAML. */
export const kpiConfigSchema = z
  .strictObject({
    defaults: defaultsSchema.optional(),
    kpis: z.array(kpiSchema),
  })
  .meta({ title: "kpis.yaml", description: "KPI definitions for kpi-pipeline." });

export type KpiConfigInput = z.input<typeof kpiConfigSchema>;
type KpiConfig = z.output<typeof kpiConfigSchema>;
type KpiEntry = KpiConfig["kpis"][number];
type Defaults = NonNullable<KpiConfig["defaults"]>;

const KNOWN_FIELDS: Array<[pattern: RegExp, fields: readonly string[]]> = [
  [/^$/, Object.keys(kpiConfigSchema.shape)],
  [/^defaults$/, Object.keys(defaultsSchema.shape)],
  [/^kpis\[\d+\]$/, Object.keys(kpiSchema.shape)],
  [/^kpis\[\d+\]\.window$/, Object.keys(windowSchema.shape)],
  [/^kpis\[\d+\]\.inputs\.[^.]+$/, Object.keys(inputSchema.shape)],
  [/^kpis\[\d+\]\.inputs\.[^.]+\.clean\[\d+\]$/, Object.keys(cleanStepSchema.shape)],
];

/** The JSON Schema of kpis.yaml for editors (yaml-language-server), generated from kpiConfigSchema. */
export function kpiConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(kpiConfigSchema, {
    io: "input",
    unrepresentable: "any",
    // YAML turns an unquoted timestamp into a Date; in the file it is still an ISO 8601 string.
    override: (context) => {
      if (context.zodSchema._zod.def.type === "date") {
        context.jsonSchema.type = "string";
        context.jsonSchema.format = "date-time";
      }
    },
  }) as Record<string, unknown>;
}

/** The JSON Schema as committed in schema/kpis.schema.json (2-space indent, trailing newline). */
export function kpiConfigJsonSchemaText(): string {
  return `${JSON.stringify(kpiConfigJsonSchema(), null, 2)}\n`;
}

// ---- errors ----

export interface KpiConfigIssue {
  /** Where in the document, e.g. `kpis[3].window.every`. */
  path: string;
  message: string;
}

export class KpiConfigError extends Error {
  readonly issues: readonly KpiConfigIssue[];
  readonly source: string | undefined;
  constructor(issues: readonly KpiConfigIssue[], source?: string) {
    super(
      issues
        .map((issue) =>
          [source, issue.path === "" ? undefined : issue.path, issue.message].filter(Boolean).join(": "),
        )
        .join("\n"),
    );
    this.name = "KpiConfigError";
    this.issues = issues;
    this.source = source;
  }
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text === "" ? String(key) : `.${String(key)}`;
  }
  return text;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value instanceof Date) return "a date";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${quoteForMessage(value)}`;
}

function issueMessage(issue: z.core.$ZodIssue, path: string): string {
  switch (issue.code) {
    case "invalid_type": {
      const expected = issue.expected === "tuple" ? "a list of two numbers" : issue.expected;
      if (issue.input === undefined) return `missing; expected ${expected}`;
      return `expected ${expected}, got ${describeValue(issue.input)}`;
    }
    case "unrecognized_keys": {
      const known = KNOWN_FIELDS.find(([pattern]) => pattern.test(path))?.[1];
      const unknown = issue.keys.map((key) => `"${key}"`).join(", ");
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${unknown}${known ? `; allowed: ${known.join(", ")}` : ""}`;
    }
    case "invalid_key":
      return issue.issues[0]?.message ?? issue.message;
    default:
      return issue.message;
  }
}

// ---- normalization ----

/** Collects issues under one KPI's path. */
class IssueList {
  readonly issues: KpiConfigIssue[] = [];
  add(path: string, message: string): void {
    this.issues.push({ path, message });
  }
}

const CALENDAR_UNITS = { d: "day", w: "week", mo: "month" } as const;
/** An offset must stay below the shortest period (February for months) so windows keep their order. */
const CALENDAR_OFFSET_LIMIT = { day: "24h", week: "7d", month: "28d" } as const;
const CALENDAR_OFFSET_LIMIT_MS = { day: 86_400_000, week: 7 * 86_400_000, month: 28 * 86_400_000 } as const;

function isValidZone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

/** A fixed-length duration in ms, or an issue (months, parse errors). */
function fixedDuration(
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

/** `externalId`, or `space:externalId` for a data-modeling time series. */
export function seriesKey(series: SeriesRef): string {
  return "externalId" in series
    ? series.externalId
    : `${series.instanceId.space}:${series.instanceId.externalId}`;
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
    : (DateTime.fromMillis(t, { zone: timeZone }).toISO({ suppressMilliseconds: true }) ?? String(t));
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
    const parsed = DateTime.fromISO(value.trim(), { zone: timeZone });
    if (!parsed.isValid) {
      issues.add(path, `"${value}" is not an ISO 8601 time; use e.g. 2024-01-01T00:00:00Z`);
      return undefined;
    }
    startMs = parsed.toMillis();
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

function normalizeKpi(
  entry: KpiEntry,
  defaults: Defaults,
  path: string,
  issues: IssueList,
): KpiDefinition | undefined {
  const before = issues.issues.length;
  const series = seriesRefOf(entry, path, "a KPI", issues);
  const timeZone = entry.window.timeZone ?? defaults.timeZone ?? "UTC";
  let spec: WindowSpec | undefined;
  if (entry.window.timeZone !== undefined && !isValidZone(entry.window.timeZone)) {
    issues.add(
      `${path}.window.timeZone`,
      `unknown time zone "${entry.window.timeZone}"; use an IANA name such as Europe/Oslo or UTC`,
    );
  } else if (isValidZone(timeZone)) {
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

/**
 * Validates a parsed kpis.yaml document (the CLI parses the YAML) and returns the normalized
 * definitions. Throws KpiConfigError listing every issue, each with its path, one per line,
 * prefixed with `source` (e.g. the file name) when given.
 */
export function parseKpiConfig(raw: unknown, source?: string): KpiDefinition[] {
  const parsed = kpiConfigSchema.safeParse(raw, { reportInput: true });
  const issues = new IssueList();
  let config: KpiConfig;
  if (parsed.success) {
    config = parsed.data;
  } else {
    // An unknown field first: `evry: 1h` explains the missing `every` reported after it.
    const unknownFirst = [...parsed.error.issues].sort(
      (a, b) => Number(b.code === "unrecognized_keys") - Number(a.code === "unrecognized_keys"),
    );
    for (const issue of unknownFirst) {
      const path = formatPath(issue.path);
      issues.add(path, issueMessage(issue, path));
    }
    // Still check every KPI whose own shape is fine, so one run reports all problems.
    const partial = raw as { defaults?: unknown; kpis?: unknown };
    const defaults = defaultsSchema.optional().safeParse(partial?.defaults);
    if (!defaults.success || !Array.isArray(partial?.kpis)) throw new KpiConfigError(issues.issues, source);
    config = {
      defaults: defaults.data,
      kpis: partial.kpis.map((entry) => {
        const result = kpiSchema.safeParse(entry);
        return result.success ? result.data : undefined;
      }) as KpiEntry[],
    };
  }
  const defaults = config.defaults ?? {};
  if (defaults.settle !== undefined) fixedDuration(defaults.settle, "defaults.settle", "settle", issues);
  if (defaults.timeZone !== undefined && !isValidZone(defaults.timeZone)) {
    issues.add(
      "defaults.timeZone",
      `unknown time zone "${defaults.timeZone}"; use an IANA name such as Europe/Oslo or UTC`,
    );
  }
  const definitions: KpiDefinition[] = [];
  const outputs = new Map<string, number>();
  config.kpis.forEach((entry, index) => {
    if (entry === undefined) return;
    const path = `kpis[${index}]`;
    const definition = normalizeKpi(entry, defaults, path, issues);
    if (definition === undefined) return;
    const first = outputs.get(definition.key);
    if (first !== undefined) {
      const field = "externalId" in definition.series ? "externalId" : "instanceId";
      issues.add(
        `${path}.${field}`,
        `"${definition.key}" is also the output of kpis[${first}]; each KPI needs its own output time series`,
      );
      return;
    }
    outputs.set(definition.key, index);
    definitions.push(definition);
  });
  // A bad defaults.settle is reported once per KPI that uses it; say it once.
  const unique = issues.issues.filter(
    (issue, i, all) =>
      all.findIndex((other) => other.path === issue.path && other.message === issue.message) === i,
  );
  if (unique.length > 0) throw new KpiConfigError(unique, source);
  return definitions;
}

// ---- config hash ----

/**
 * The version of what the engine makes of a definition. Bump it with every change that can give
 * an existing definition other numbers (a clean rule, an aggregate, reading), so every KPI's hash
 * changes and each is recomputed. 2: Hampel with MAD 0 keeps values that repeat in the window.
 * 3: round() rounds the decimal as written (round(1.005, 2) = 1.01, was 1).
 */
export const ENGINE_SEMANTICS_VERSION = 3;

/**
 * A stable hash of what decides a KPI's numbers: the engine's semantics version, the window grid
 * (and its time zone, canonical, when calendar), start, and each input the expression uses
 * (series, cleaning, maxGap, step, counter, uncertain) in the expression's canonical form with
 * inputs named by position. Not name, description, unit or settle (they change no number), not
 * input names or unused inputs, not spacing in `value`, not how a zone is spelled (UTC, Etc/UTC).
 * A maxGap written out equal to the default still changes the hash unless the input says
 * `step: true`: the default depends on whether the CDF series is a step series, which a
 * definition alone does not know. A changed hash means the KPI must be recomputed (design.md).
 */
export function kpiConfigHash(definition: Omit<KpiDefinition, "configHash">): string {
  const used = inputsOf(definition.expression);
  const byName = new Map(definition.inputs.map((input) => [input.name, input]));
  const window =
    definition.window.kind === "fixed"
      ? { kind: "fixed", everyMs: definition.window.everyMs, offsetMs: definition.window.offsetMs }
      : { ...definition.window, timeZone: canonicalZone(definition.window.timeZone) };
  const material = {
    version: ENGINE_SEMANTICS_VERSION,
    window,
    startMs: definition.startMs ?? null,
    inputs: used.map((name) => {
      const input = byName.get(name)!;
      return {
        series: input.series,
        clean: input.clean,
        maxGapMs: input.maxGapMs ?? null,
        step: input.step,
        counter: input.counter,
        uncertain: input.uncertain,
      };
    }),
    expression: formatExpression(definition.expression, (name) => `$${used.indexOf(name)}`),
  };
  return fnv1a64(canonicalJson(material));
}

/** One spelling per zone (UTC, Etc/UTC, utc and Zulu are one zone), as the runtime's ICU names it. */
function canonicalZone(name: string): string {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return name;
  }
}

/** JSON with object keys sorted, so equal values give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = 0xffffffffffffffffn;

/** FNV-1a, 64 bit, over the UTF-8 bytes: small, pure, stable across runtimes (not cryptographic). */
function fnv1a64(text: string): string {
  let hash = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * FNV_PRIME) & MASK_64;
  }
  return hash.toString(16).padStart(16, "0");
}

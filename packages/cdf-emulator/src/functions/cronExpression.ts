// A 5-field cron expression (minute hour day-of-month month day-of-week), evaluated in UTC:
// CDF does not document the time zone of function schedules (README.md, section "CDF facts": unconfirmed, probably UTC), and
// UTC is what CDF's own docs examples assume. Syntax: `*`, numbers, ranges `a-b`, steps `*/n`,
// `a-b/n`, `a/n`, comma lists, and the month/weekday names JAN-DEC, SUN-SAT. As in Vixie cron,
// when both day-of-month and day-of-week are restricted a day matching either one fires.

const MINUTE_MS = 60_000;
/** A valid expression that matches no date within this horizon is rejected (e.g. `0 0 30 2 *`). */
const SEARCH_HORIZON_MS = 8 * 366 * 24 * 3600 * 1000;

const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  namesStart?: number;
}

const FIELDS: FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTH_NAMES, namesStart: 1 },
  // 7 is accepted as Sunday, as in most crons.
  { name: "day of week", min: 0, max: 7, names: DAY_NAMES, namesStart: 0 },
];

export class CronSyntaxError extends Error {}

export interface CronExpression {
  source: string;
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  /** Whether the field was `*` (matters for the day-of-month / day-of-week OR rule). */
  dayOfMonthAny: boolean;
  dayOfWeekAny: boolean;
}

function parseValue(text: string, spec: FieldSpec, source: string): number {
  const upper = text.toUpperCase();
  const nameIndex = spec.names?.indexOf(upper) ?? -1;
  if (nameIndex >= 0) return nameIndex + (spec.namesStart ?? 0);
  if (!/^\d+$/.test(text)) {
    throw new CronSyntaxError(`cron '${source}': '${text}' is not a valid ${spec.name} value`);
  }
  const value = Number(text);
  if (value < spec.min || value > spec.max) {
    throw new CronSyntaxError(`cron '${source}': ${spec.name} ${value} is outside ${spec.min}-${spec.max}`);
  }
  return value;
}

function parseField(text: string, spec: FieldSpec, source: string): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(",")) {
    const [rangeText, stepText, extra] = part.split("/");
    if (rangeText === undefined || rangeText === "" || extra !== undefined) {
      throw new CronSyntaxError(`cron '${source}': '${part}' is not a valid ${spec.name} term`);
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
        throw new CronSyntaxError(
          `cron '${source}': step '${stepText}' in ${spec.name} must be a positive integer`,
        );
      }
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (rangeText === "*") {
      from = spec.min;
      to = spec.max;
    } else if (rangeText.includes("-")) {
      const [a, b, more] = rangeText.split("-");
      if (a === undefined || b === undefined || more !== undefined) {
        throw new CronSyntaxError(`cron '${source}': '${rangeText}' is not a valid ${spec.name} range`);
      }
      from = parseValue(a, spec, source);
      to = parseValue(b, spec, source);
      if (from > to) {
        throw new CronSyntaxError(`cron '${source}': ${spec.name} range '${rangeText}' runs backwards`);
      }
    } else {
      from = parseValue(rangeText, spec, source);
      to = stepText === undefined ? from : spec.max;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

/** Parse a 5-field cron expression; throws CronSyntaxError naming the offending field. */
export function parseCronExpression(source: string): CronExpression {
  const fields = source.trim().split(/\s+/);
  if (fields.length !== 5 || fields[0] === "") {
    throw new CronSyntaxError(
      `cron '${source}': expected 5 fields (minute hour day-of-month month day-of-week), got ${fields[0] === "" ? 0 : fields.length}`,
    );
  }
  const sets = fields.map((f, i) => parseField(f, FIELDS[i] as FieldSpec, source));
  const daysOfWeek = sets[4] as Set<number>;
  if (daysOfWeek.has(7)) {
    daysOfWeek.delete(7);
    daysOfWeek.add(0);
  }
  const expression: CronExpression = {
    source,
    minutes: sets[0] as Set<number>,
    hours: sets[1] as Set<number>,
    daysOfMonth: sets[2] as Set<number>,
    months: sets[3] as Set<number>,
    daysOfWeek,
    dayOfMonthAny: fields[2] === "*",
    dayOfWeekAny: fields[4] === "*",
  };
  if (nextCronTick(expression, 0) === undefined) {
    throw new CronSyntaxError(`cron '${source}': never matches a date (check day of month against month)`);
  }
  return expression;
}

function dayMatches(cron: CronExpression, date: Date): boolean {
  const dom = cron.daysOfMonth.has(date.getUTCDate());
  const dow = cron.daysOfWeek.has(date.getUTCDay());
  if (cron.dayOfMonthAny) return dow;
  if (cron.dayOfWeekAny) return dom;
  return dom || dow;
}

/** The first tick strictly after `after` (ms, UTC), or undefined when none within 8 years. */
export function nextCronTick(cron: CronExpression, after: number): number | undefined {
  let t = Math.floor(after / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  const limit = after + SEARCH_HORIZON_MS;
  while (t <= limit) {
    const d = new Date(t);
    if (!cron.months.has(d.getUTCMonth() + 1)) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      continue;
    }
    if (!dayMatches(cron, d)) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
      continue;
    }
    if (!cron.hours.has(d.getUTCHours())) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
      continue;
    }
    if (!cron.minutes.has(d.getUTCMinutes())) {
      t += MINUTE_MS;
      continue;
    }
    return t;
  }
  return undefined;
}

/** Whether `time` (ms) is exactly one of the expression's ticks. */
export function isCronTick(cron: CronExpression, time: number): boolean {
  return nextCronTick(cron, time - 1) === time;
}

/** A short English reading of the expression, for the schedule's read-only `when` field. */
export function describeCronExpression(source: string): string {
  const [minute, hour, dom, month, dow] = source.trim().split(/\s+/);
  const rest = `${dom} ${month} ${dow}`;
  if (rest === "* * *") {
    if (hour === "*" && minute === "*") return "Every minute";
    const everyMinutes = /^\*\/(\d+)$/.exec(minute ?? "");
    if (hour === "*" && everyMinutes) return `Every ${everyMinutes[1]} minutes`;
    if (hour === "*" && /^\d+$/.test(minute ?? "")) return `At ${minute} minutes past the hour`;
    if (/^\d+$/.test(hour ?? "") && /^\d+$/.test(minute ?? "")) {
      return `At ${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`;
    }
  }
  return `At cron schedule '${source.trim()}' (UTC)`;
}

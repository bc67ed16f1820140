import { parseTimestamp, parseTimestampEnd, timestampError } from "@kpi-pipeline/backfill";
import { z } from "zod";
import { quoteKeys } from "./quoteKeys.js";

// What a call asks for, in the `data` a schedule or a caller sends. Strict: a misspelt key
// ("form" for "from", "budgetSecond") is refused rather than silently ignored, because a
// backfill that ran over the wrong range looks exactly like one that ran over the right one.

/** Seconds of real time the run may spend; the default is 70% of the function timeout. */
const budgetSeconds = z
  .number()
  .positive("budgetSeconds must be more than 0")
  .max(3600, "budgetSeconds must be at most 3600 (a call runs at most the function timeout)")
  .optional();

/** ISO 8601 text or epoch milliseconds, within CDF's time range. */
function timestamp(end: boolean) {
  return z.union([z.string(), z.number()]).transform((given, ctx) => {
    const text = typeof given === "number" ? String(given) : given;
    const ms =
      typeof given === "number" && !Number.isInteger(given)
        ? undefined
        : end
          ? parseTimestampEnd(text)
          : parseTimestamp(text);
    if (ms === undefined) {
      ctx.addIssue({ code: "custom", message: timestampError(text) });
      return z.NEVER;
    }
    return ms;
  });
}

const scheduled = z.strictObject({ mode: z.literal("scheduled"), budgetSeconds });
const dryRun = z.strictObject({ mode: z.literal("dry-run"), budgetSeconds });
const backfill = z
  .strictObject({
    mode: z.literal("backfill"),
    from: timestamp(false),
    to: timestamp(true),
    kpis: z.array(z.string().min(1)).min(1, "kpis, when given, must name at least one KPI").optional(),
    budgetSeconds,
  })
  .refine((b) => b.from < b.to, { message: "from must be before to", path: ["to"] });

const callDataSchema = z.discriminatedUnion("mode", [scheduled, dryRun, backfill]);

export type CallData = z.output<typeof callDataSchema>;

/**
 * The call's `data`: absent, null or {} is a scheduled run (a schedule made without data).
 * Returns the parsed data, or the problems as sentences naming each field.
 */
export function parseCallData(
  data: unknown,
): { ok: true; data: CallData } | { ok: false; problems: string[] } {
  const given =
    data === undefined || data === null || (isPlainObject(data) && Object.keys(data).length === 0)
      ? { mode: "scheduled" }
      : isPlainObject(data) && !("mode" in data)
        ? { mode: "scheduled", ...data }
        : data;
  if (!isPlainObject(given)) {
    return {
      ok: false,
      problems: [`data must be an object such as {"mode": "scheduled"}, got ${kindOf(data)}`],
    };
  }
  const mode = given.mode;
  if (mode !== "scheduled" && mode !== "dry-run" && mode !== "backfill") {
    return {
      ok: false,
      problems: [
        `data.mode ${JSON.stringify(mode)?.slice(0, 60) ?? "undefined"} is not a mode: use "scheduled", "dry-run" or "backfill"`,
      ],
    };
  }
  const result = callDataSchema.safeParse(given);
  if (result.success) return { ok: true, data: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => {
      const where = ["data", ...issue.path.map(String)].join(".");
      if (issue.code === "unrecognized_keys") {
        return `${where} has unknown ${issue.keys.length === 1 ? "key" : "keys"} ${quoteKeys(issue.keys)} (mode ${mode} takes ${KEYS[mode]})`;
      }
      return `${where}: ${issue.message}`;
    }),
  };
}

const KEYS = {
  scheduled: "budgetSeconds",
  "dry-run": "budgetSeconds",
  backfill: "from, to, kpis and budgetSeconds",
} as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  return typeof value === "string" ? "a string" : typeof value;
}

// kpis.yaml: one zod schema is the type, the validation, the messages and the editor's JSON
// Schema (style.md, "One schema, many uses"). The rules a schema cannot say (durations per field,
// time zones, window grid, the expression) are normalizeKpi's.

import { z } from "zod";
import { DURATION_HINT, DURATION_PATTERN } from "./duration.js";
import { INPUT_NAME_PATTERN } from "./expression.js";
import { quoteForMessage } from "./quoteForMessage.js";

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

export const cleanStepSchema = z
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

export const inputSchema = z
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

export const windowSchema = z.strictObject({
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

export const kpiSchema = z.strictObject({
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

export const defaultsSchema = z.strictObject({
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
export type KpiConfig = z.output<typeof kpiConfigSchema>;
export type KpiEntry = KpiConfig["kpis"][number];
export type Defaults = NonNullable<KpiConfig["defaults"]>;

// The one view the emulator's data modeling serves: Cognite's core view `cdf_cdm:CogniteTimeSeries/v1`,
// with the properties it has in CDF (CogniteDescribable, CogniteSourceable and its own: type,
// isStep, sourceUnit, unit, assets, equipment; property list as in cognite-sdk-python's
// `cognite/client/data_classes/data_modeling/cdm/v1.py`, CogniteTimeSeriesApply). A node with data
// in this view is what CDF backs with a time series, so datapoints can be addressed by its instanceId.

import { z } from "zod";

export const COGNITE_TIME_SERIES_VIEW = {
  type: "view",
  space: "cdf_cdm",
  externalId: "CogniteTimeSeries",
  version: "v1",
} as const;

/** Where read answers put the view's properties: `properties[space][externalId/version]`. */
export const VIEW_KEY = `${COGNITE_TIME_SERIES_VIEW.externalId}/${COGNITE_TIME_SERIES_VIEW.version}`;

const space = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,41}[a-zA-Z0-9]?$/, {
  message: "must be a space id (a letter, then up to 42 letters, digits, '_' or '-')",
});
const nodeExternalId = z.string().min(1).max(256);
const directRelation = z.strictObject({ space, externalId: nodeExternalId });
// CDF's text properties hold at most 128,000 characters without NUL (RawPropertyValueV3).
const text = z
  .string()
  .max(128_000)
  .refine((s) => !s.includes("\u0000"), { message: "must not contain NUL characters" });
// openapi.json ViewCorePropertyDefinition: 'YYYY-MM-DDTHH:MM:SS[.millis][Z|time zone]'.
const timestamp = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}(:?\d{2})?)$/, {
    message: "must be a timestamp like 2024-01-01T00:00:00Z",
  })
  .refine((s) => Number.isFinite(Date.parse(s)), { message: "is not a valid time" });

/** Each property CDF's view has, with the value it accepts (null clears it). */
const PROPERTIES = {
  name: text.nullable(),
  description: text.nullable(),
  tags: z.array(text).min(1).max(1000).nullable(),
  aliases: z.array(text).min(1).max(1000).nullable(),
  sourceId: text.nullable(),
  sourceContext: text.nullable(),
  source: directRelation.nullable(),
  sourceCreatedTime: timestamp.nullable(),
  sourceUpdatedTime: timestamp.nullable(),
  sourceCreatedUser: text.nullable(),
  sourceUpdatedUser: text.nullable(),
  type: z.enum(["numeric", "string"]),
  isStep: z.boolean(),
  sourceUnit: text.nullable(),
  unit: directRelation.nullable(),
  assets: z.array(directRelation).min(1).max(1200).nullable(),
  equipment: z.array(directRelation).min(1).max(1200).nullable(),
};

export const PROPERTY_NAMES = Object.keys(PROPERTIES) as Array<keyof typeof PROPERTIES>;

/** The properties one write of a node gives (any subset; checked for presence of `type` on create). */
export const cogniteTimeSeriesWrite = z.strictObject(
  Object.fromEntries(Object.entries(PROPERTIES).map(([k, v]) => [k, v.optional()])) as {
    [K in keyof typeof PROPERTIES]: z.ZodOptional<(typeof PROPERTIES)[K]>;
  },
);
export type CogniteTimeSeriesWrite = z.infer<typeof cogniteTimeSeriesWrite>;

/** A node's stored properties: unset ones are absent (CDF returns only set properties). */
export type CogniteTimeSeriesProperties = {
  [K in keyof CogniteTimeSeriesWrite]?: Exclude<CogniteTimeSeriesWrite[K], null>;
} & { type: "numeric" | "string"; isStep: boolean };

/**
 * The properties after a write: `replace` starts from nothing (CDF: replace all values of the
 * view), otherwise the write is merged into what the node has; null clears a property. Returns a
 * reason when the result is not a valid CogniteTimeSeries.
 */
export function applyWrite(
  previous: CogniteTimeSeriesProperties | undefined,
  write: CogniteTimeSeriesWrite,
  replace: boolean,
): { properties: CogniteTimeSeriesProperties } | { problem: string } {
  const next: Record<string, unknown> = replace || !previous ? {} : { ...previous };
  for (const [key, value] of Object.entries(write)) {
    if (value === undefined) continue;
    if (value === null) delete next[key];
    else next[key] = value;
  }
  if (next.isStep === undefined) next.isStep = false;
  if (next.type === undefined) {
    return {
      problem:
        previous === undefined
          ? "property 'type' is required: 'numeric' or 'string'"
          : "property 'type' is required when replace is true",
    };
  }
  if (previous !== undefined && next.type !== previous.type) {
    return {
      problem: `property 'type' cannot change from '${previous.type}' to '${String(next.type)}'; delete the node and create it again`,
    };
  }
  return { properties: next as CogniteTimeSeriesProperties };
}

/** The same properties, compared by value (key order aside): an unchanged write is not a change. */
export function sameProperties(a: CogniteTimeSeriesProperties, b: CogniteTimeSeriesProperties): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The backing time series' fields CDF derives from the node (unit: the sourceUnit text). */
export function backingSeriesFields(p: CogniteTimeSeriesProperties): {
  isString: boolean;
  isStep: boolean;
  name?: string;
  description?: string;
  unit?: string;
} {
  const fields: ReturnType<typeof backingSeriesFields> = {
    isString: p.type === "string",
    isStep: p.isStep,
  };
  if (p.name !== undefined) fields.name = p.name;
  if (p.description !== undefined) fields.description = p.description;
  if (p.sourceUnit !== undefined) fields.unit = p.sourceUnit;
  return fields;
}

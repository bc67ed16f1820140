// Request bodies of `/timeseries*` (not datapoints), as openapi.json gives them
// (PostTimeSeriesMetadataDTO, TimeSeriesUpdate, TimeSeriesFilter, ...), with CDF's limits.
// Parsed with parseRequestBody: a body that does not parse is a 400 naming the field.

import { z } from "zod";

export const TIME_SERIES_LIMITS = {
  itemsPerRequest: 1000,
  externalId: 255,
  name: 255,
  unit: 32,
  unitExternalId: 64,
  description: 1000,
  // openapi.json `TimeSeriesMetadata`: keys <= 128 bytes, <= 256 pairs, <= 10,000 bytes in total.
  metadataKeys: 256,
  metadataKeyBytes: 128,
  metadataBytes: 10_000,
};

const L = TIME_SERIES_LIMITS;
const id = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const instanceId = z.strictObject({ space: z.string().min(1), externalId: z.string().min(1) });

/** Metadata within CDF's limits; also used to check the result of an add/remove patch. */
export const metadata = z.record(z.string(), z.string()).superRefine((m, ctx) => {
  const entries = Object.entries(m);
  if (entries.length > L.metadataKeys) {
    ctx.addIssue({
      code: "custom",
      message: `has ${entries.length} keys; at most ${L.metadataKeys} are allowed`,
    });
  }
  let total = 0;
  for (const [key, value] of entries) {
    const keyBytes = Buffer.byteLength(key);
    if (keyBytes > L.metadataKeyBytes) {
      ctx.addIssue({
        code: "custom",
        message: `key '${key.slice(0, 40)}...' is ${keyBytes} bytes; at most ${L.metadataKeyBytes} are allowed`,
      });
    }
    total += keyBytes + Buffer.byteLength(value);
  }
  if (total > L.metadataBytes) {
    ctx.addIssue({
      code: "custom",
      message: `is ${total} bytes in total; at most ${L.metadataBytes} are allowed`,
    });
  }
});

/** A field CDF knows but this endpoint refuses, with the reason as the message. */
const refused = (message: string) =>
  z
    .unknown()
    .refine((v) => v === undefined, { message })
    .optional();

const createShape = {
  externalId: z.string().max(L.externalId).nullish(),
  name: z.string().max(L.name).nullish(),
  legacyName: z.string().nullish(),
  unit: z.string().max(L.unit).nullish(),
  unitExternalId: z.string().max(L.unitExternalId).nullish(),
  description: z.string().max(L.description).nullish(),
  isString: z.boolean().optional(),
  isStep: z.boolean().optional(),
  metadata: metadata.nullish(),
  assetId: id.nullish(),
  dataSetId: id.nullish(),
  securityCategories: z.array(id).optional(),
};

const numericUnitOnly = {
  message: "unitExternalId is only available for numeric time series",
  path: ["unitExternalId"],
};
const unitFitsType = (i: { isString?: boolean | undefined; unitExternalId?: string | null | undefined }) =>
  !(i.isString === true && i.unitExternalId != null);

/** One item of `POST /timeseries`. */
export const timeSeriesCreate = z
  .strictObject({
    ...createShape,
    instanceId: refused(
      "time series with an instanceId are created through data modeling (CogniteTimeSeries), not /timeseries. In the emulator use POST /_emulator/timeseries.",
    ),
  })
  .refine(unitFitsType, numericUnitOnly);

/** One item of `POST /_emulator/timeseries`, which may also create data-model series by instanceId. */
export const controlTimeSeriesCreate = z
  .strictObject({ ...createShape, instanceId: instanceId.optional() })
  .refine(unitFitsType, numericUnitOnly);

export const createTimeSeriesBody = z.object({
  items: z.array(timeSeriesCreate).min(1).max(L.itemsPerRequest),
});

/** Exactly one of id, externalId or instanceId (instanceId only where the endpoint takes it). */
function reference<T extends z.ZodRawShape>(extra: T, allowInstanceId: boolean) {
  return z
    .strictObject({
      id: id.optional(),
      externalId: z.string().min(1).max(L.externalId).optional(),
      instanceId: allowInstanceId
        ? instanceId.optional()
        : refused("delete a data-model time series through data modeling, not by instanceId"),
      ...extra,
    })
    .refine(
      (r) =>
        ["id", "externalId", "instanceId"].filter((k) => (r as Record<string, unknown>)[k] !== undefined)
          .length === 1,
      {
        message: `give exactly one of id, externalId${allowInstanceId ? " or instanceId" : ""}`,
      },
    );
}

export const byIdsBody = z.object({
  items: z.array(reference({}, true)).min(1).max(L.itemsPerRequest),
  ignoreUnknownIds: z.boolean().optional(),
});

export const deleteBody = z.object({
  items: z.array(reference({}, false)).min(1).max(L.itemsPerRequest),
  ignoreUnknownIds: z.boolean().optional(),
});

const setOrNull = <T extends z.ZodType>(value: T) =>
  z.union([z.strictObject({ set: value }), z.strictObject({ setNull: z.literal(true) })]);
const setAddRemove = <S extends z.ZodType, R extends z.ZodType>(set: S, add: S, remove: R) =>
  z.union([z.strictObject({ set }), z.strictObject({ add: add.optional(), remove: remove.optional() })]);

/** `update` of one item of `POST /timeseries/update` (openapi.json TimeSeriesPatch). */
export const timeSeriesPatch = z.strictObject({
  externalId: setOrNull(z.string().max(L.externalId)).optional(),
  name: setOrNull(z.string().max(L.name)).optional(),
  unit: setOrNull(z.string().max(L.unit)).optional(),
  unitExternalId: setOrNull(z.string().max(L.unitExternalId)).optional(),
  description: setOrNull(z.string().max(L.description)).optional(),
  assetId: setOrNull(id).optional(),
  dataSetId: setOrNull(id).optional(),
  isStep: z.strictObject({ set: z.boolean() }).optional(),
  metadata: setAddRemove(metadata, metadata, z.array(z.string())).optional(),
  securityCategories: setAddRemove(z.array(id), z.array(id), z.array(id)).optional(),
  isString: refused(
    "isString cannot be changed after a time series is created; create a new time series instead",
  ),
});
export type TimeSeriesPatch = z.infer<typeof timeSeriesPatch>;

export const updateBody = z.object({
  items: z
    .array(reference({ update: timeSeriesPatch }, true))
    .min(1)
    .max(L.itemsPerRequest),
});

const timeRange = z.strictObject({ min: z.number().int().optional(), max: z.number().int().optional() });
const FILTERS = {
  name: z.string(),
  unit: z.string(),
  unitExternalId: z.string(),
  isString: z.boolean(),
  isStep: z.boolean(),
  metadata,
  externalIdPrefix: z.string(),
  assetIds: z.array(id),
  dataSetIds: z.array(
    z.union([
      z.strictObject({ id }),
      z.strictObject({ externalId: refused("the emulator has no data sets; filter by id") }),
    ]),
  ),
  createdTime: timeRange,
  lastUpdatedTime: timeRange,
};

/** openapi.json TimeSeriesFilter: the properties the emulator filters on; others are named as unsupported. */
export const timeSeriesFilter = z
  .looseObject(
    Object.fromEntries(Object.entries(FILTERS).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof typeof FILTERS]: z.ZodOptional<(typeof FILTERS)[K]>;
    },
  )
  .superRefine((f, ctx) => {
    for (const key of Object.keys(f)) {
      if (!(key in FILTERS)) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `this filter is not supported by the emulator (supported: ${Object.keys(FILTERS).join(", ")})`,
        });
      }
    }
  });
export type TimeSeriesFilter = z.infer<typeof timeSeriesFilter>;

export const listBody = z.object({
  filter: timeSeriesFilter.optional(),
  limit: z.unknown().optional(),
  cursor: z.string().optional(),
  partition: z.string().optional(),
});

export const aggregateBody = z.object({
  aggregate: z
    .string()
    .refine((a) => a === "count", { message: "the emulator only supports the 'count' aggregate" })
    .optional(),
  filter: timeSeriesFilter.optional(),
});

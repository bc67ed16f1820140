// CDF's documented limits that this package packs requests by and checks before sending.
// Source: Cognite's OpenAPI document (the copy vendored in packages/cdf-emulator/openapi), operations
// POST /timeseries/data, /timeseries/data/list, /timeseries/data/latest, /timeseries (metadata),
// /timeseries/subscriptions*, and /raw/dbs/{db}/tables/{table}/rows.

import { CDF_MAX_TIME, CDF_MIN_TIME } from "@kpi-pipeline/kpi-core";

export const CDF_LIMITS = {
  /** Items per /timeseries/data/list and /timeseries/data/latest request. */
  listItems: 100,
  /** Raw points per /timeseries/data/list request, summed over the items' limits. */
  listPoints: 100_000,
  /** Aggregate datapoints (intervals) per /timeseries/data/list request, summed over the items' limits. */
  listAggregates: 10_000,
  /** Items per /timeseries/data insert. */
  insertItems: 10_000,
  /** Points per /timeseries/data insert, over all items. */
  insertPoints: 100_000,
  /** Earliest timestamp CDF stores: 1900-01-01T00:00:00Z. */
  minTimestamp: CDF_MIN_TIME,
  /** Latest timestamp CDF stores: 2099-12-31T23:59:59.999Z. */
  maxTimestamp: CDF_MAX_TIME,
  /** Numeric values must lie strictly inside (-1e100, 1e100). */
  maxAbsValue: 1e100,
  /** Time series created per POST /timeseries. */
  createItems: 1000,
  /** Time series metadata (TimeSeriesMetadata): pairs, UTF-8 bytes per key, bytes of all keys and values. */
  metadataKeys: 256,
  metadataKeyBytes: 128,
  metadataTotalBytes: 10_000,
  /** Time series fields (PostTimeSeriesMetadataDTO maxLength, in characters). */
  externalIdChars: 255,
  nameChars: 255,
  unitChars: 32,
  descriptionChars: 1000,
  /** Series added or removed per subscription update call, and per subscription. */
  subscriptionUpdateItems: 100,
  subscriptionSeries: 10_000,
  /** Partitions of a subscription (fixed at creation). */
  subscriptionPartitions: 100,
  /** Rows per Raw insert; characters per Raw row key. */
  rawInsertRows: 10_000,
  rawKeyChars: 1024,
} as const;

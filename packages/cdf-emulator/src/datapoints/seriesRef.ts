// Datapoint request items name a time series by exactly one of id, externalId or instanceId.
// Unknown ones fail the whole request with 400 and `missing` (nothing is written), unless the
// endpoint supports ignoreUnknownIds and the caller set it.

import { CdfError, type EmulatorContext, type TimeSeriesInfo } from "../context.js";

export type SeriesRef =
  | { id: number }
  | { externalId: string }
  | { instanceId: { space: string; externalId: string } };

export function seriesRefOf(item: unknown, where: string): SeriesRef {
  if (typeof item !== "object" || item === null) throw new CdfError(400, `${where}: must be an object`);
  const { id, externalId, instanceId } = item as Record<string, unknown>;
  const given = [id, externalId, instanceId].filter((x) => x !== undefined).length;
  if (given !== 1) {
    throw new CdfError(400, `${where}: give exactly one of id, externalId or instanceId`);
  }
  if (id !== undefined) {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 1) {
      throw new CdfError(400, `${where}.id: must be a positive integer, got ${JSON.stringify(id)}`);
    }
    return { id };
  }
  if (externalId !== undefined) {
    if (typeof externalId !== "string" || externalId.length > 255) {
      throw new CdfError(400, `${where}.externalId: must be a string of at most 255 characters`);
    }
    return { externalId };
  }
  const ref = instanceId as { space?: unknown; externalId?: unknown };
  if (
    typeof ref !== "object" ||
    ref === null ||
    typeof ref.space !== "string" ||
    typeof ref.externalId !== "string"
  ) {
    throw new CdfError(400, `${where}.instanceId: must be {space, externalId} strings`);
  }
  // openapi.json CogniteInstanceId: space 1-43 characters, externalId 1-255.
  if (ref.space.length < 1 || ref.space.length > 43) {
    throw new CdfError(400, `${where}.instanceId.space: must be 1 to 43 characters, got ${ref.space.length}`);
  }
  if (ref.externalId.length < 1 || ref.externalId.length > 255) {
    throw new CdfError(
      400,
      `${where}.instanceId.externalId: must be 1 to 255 characters, got ${ref.externalId.length}`,
    );
  }
  return { instanceId: { space: ref.space, externalId: ref.externalId } };
}

/** Resolve every ref; throws 400 with all missing refs unless `ignoreUnknownIds` (then undefined). */
export function resolveSeries(
  ctx: EmulatorContext,
  refs: SeriesRef[],
  ignoreUnknownIds: boolean,
): Array<TimeSeriesInfo | undefined> {
  const missing: SeriesRef[] = [];
  const found = refs.map((ref) => {
    const info = ctx.findTimeSeries(ref);
    if (!info) missing.push(ref);
    return info;
  });
  if (missing.length > 0 && !ignoreUnknownIds) {
    throw new CdfError(400, "Time series not found", { missing: dedupe(missing) });
  }
  return found;
}

function dedupe(refs: SeriesRef[]): SeriesRef[] {
  const seen = new Set<string>();
  return refs.filter((r) => {
    const key = JSON.stringify(r);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `{"id":..,"externalId":..,"instanceId":..,"isString":..,"isStep":..,"type":..` (open object). */
export function seriesHeaderJson(info: TimeSeriesInfo): string {
  const head: Record<string, unknown> = { id: info.id };
  if (info.externalId !== undefined) head.externalId = info.externalId;
  if (info.instanceId !== undefined) head.instanceId = info.instanceId;
  head.isString = info.isString;
  head.isStep = info.isStep;
  head.type = info.isString ? "string" : "numeric";
  const json = JSON.stringify(head);
  return json.slice(0, -1);
}

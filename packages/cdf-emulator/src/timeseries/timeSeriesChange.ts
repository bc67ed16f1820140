// What one item of `POST /timeseries/update` does to a series, from its parsed patch: set and
// setNull for scalar fields; set, add and remove for metadata and securityCategories.

import { CdfError } from "../context.js";
import type { IdentifierRef } from "../requestBody.js";
import { metadata as metadataSchema, type TimeSeriesPatch } from "./timeSeriesRequests.js";
import type { TimeSeries } from "./timeSeriesStore.js";

export interface TimeSeriesChange {
  ref: IdentifierRef;
  apply: (ts: TimeSeries) => void;
  /** The externalId the change gives the series (null: removed), for the store's 409 check. */
  externalId?: string | null;
}

type Nullable = "externalId" | "name" | "unit" | "unitExternalId" | "description" | "assetId" | "dataSetId";

export function timeSeriesChange(ref: IdentifierRef, patch: TimeSeriesPatch, path: string): TimeSeriesChange {
  const steps: Array<(ts: TimeSeries) => void> = [];
  const change: TimeSeriesChange = {
    ref,
    apply: (ts) => {
      for (const step of steps) step(ts);
    },
  };
  const nullable: Nullable[] = [
    "externalId",
    "name",
    "unit",
    "unitExternalId",
    "description",
    "assetId",
    "dataSetId",
  ];
  for (const field of nullable) {
    const c = patch[field];
    if (c === undefined) continue;
    if ("setNull" in c) {
      if (field === "externalId") change.externalId = null;
      steps.push((ts) => {
        delete ts[field];
      });
    } else {
      const value = c.set;
      if (field === "externalId") change.externalId = value as string;
      steps.push((ts) => {
        (ts as unknown as Record<string, unknown>)[field] = value;
      });
    }
  }
  if (patch.isStep !== undefined) {
    const value = patch.isStep.set;
    steps.push((ts) => {
      ts.isStep = value;
    });
  }
  const metadata = patch.metadata;
  if (metadata !== undefined) {
    if ("set" in metadata) {
      const value = metadata.set;
      steps.push((ts) => {
        ts.metadata = { ...value };
      });
    } else {
      steps.push((ts) => {
        const next = { ...ts.metadata };
        for (const k of metadata.remove ?? []) delete next[k];
        Object.assign(next, metadata.add);
        // The patch alone was within the limits; the merged result must be too.
        const checked = metadataSchema.safeParse(next);
        if (!checked.success) {
          throw new CdfError(
            400,
            `${path}.update.metadata: the metadata after this add/remove ${checked.error.issues[0]?.message}`,
          );
        }
        ts.metadata = next;
      });
    }
  }
  const categories = patch.securityCategories;
  if (categories !== undefined) {
    if ("set" in categories) {
      const value = categories.set;
      steps.push((ts) => {
        ts.securityCategories = value;
      });
    } else {
      const remove = new Set(categories.remove ?? []);
      steps.push((ts) => {
        const next = (ts.securityCategories ?? []).filter((x) => !remove.has(x));
        for (const x of categories.add ?? []) if (!next.includes(x)) next.push(x);
        ts.securityCategories = next;
      });
    }
  }
  return change;
}

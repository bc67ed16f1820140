// CDF's by-ids rule (byids, delete, revoke): every item names one record; unknown items fail the
// whole request with 400 and every one of them in `missing`, unless the request sets
// ignoreUnknownIds, in which case they are left out of the answer.

import { CdfError } from "./context.js";

/** The record of each known ref, in request order. */
export function resolveByIds<Ref, T>(
  refs: readonly Ref[],
  find: (ref: Ref) => T | undefined,
  options: { ignoreUnknownIds?: boolean | undefined; notFound: string },
): T[] {
  const found: T[] = [];
  const missing: Ref[] = [];
  for (const ref of refs) {
    const record = find(ref);
    if (record === undefined) missing.push(ref);
    else found.push(record);
  }
  if (missing.length > 0 && !options.ignoreUnknownIds) {
    throw new CdfError(400, options.notFound, { missing });
  }
  return found;
}

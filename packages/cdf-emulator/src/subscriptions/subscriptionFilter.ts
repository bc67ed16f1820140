// Filter subscriptions: the time series advanced-filter language (`SubscriptionFilterLanguage`),
// evaluated by the emulator on the properties the emulator's time series index exposes to other
// modules (id, externalId, instanceId, isString, isStep, type). CDF also filters on name,
// metadata, unit, dataSetId, ...; a filter on those is rejected with a 400 that says so, rather
// than silently matching nothing.

import { CdfError, type TimeSeriesInfo } from "../context.js";

type Scalar = string | number | boolean;

const supportedProperties = new Map<string, (ts: TimeSeriesInfo) => Scalar | undefined>([
  ["id", (ts) => ts.id],
  ["externalId", (ts) => ts.externalId],
  ["isString", (ts) => ts.isString],
  ["isStep", (ts) => ts.isStep],
  ["type", (ts) => (ts.isString ? "string" : "numeric")],
  ["instanceId/space", (ts) => ts.instanceId?.space],
  ["instanceId/externalId", (ts) => ts.instanceId?.externalId],
]);

export type SeriesPredicate = (ts: TimeSeriesInfo) => boolean;

// CDF's limits on the filter language (SubscriptionFilterLanguage: depth <= 10, <= 100 clauses).
const maxDepth = 10;
const maxClauses = 100;

function fail(path: string, message: string): never {
  throw new CdfError(400, `${path}: ${message}`);
}

function propertyOf(leaf: Record<string, unknown>, path: string): (ts: TimeSeriesInfo) => Scalar | undefined {
  const property = leaf["property"];
  if (!Array.isArray(property) || property.length < 1 || property.length > 2) {
    fail(`${path}.property`, 'must be a list of 1 or 2 strings, e.g. ["externalId"]');
  }
  const key = property.join("/");
  const get = supportedProperties.get(key);
  if (!get) {
    fail(
      `${path}.property`,
      `${JSON.stringify(property)} is not supported by the emulator's filter subscriptions ` +
        `(supported: ${[...supportedProperties.keys()].map((k) => JSON.stringify(k.split("/"))).join(", ")}); ` +
        "use an explicit list of time series instead",
    );
  }
  return get;
}

function compare(a: Scalar, b: unknown): number | undefined {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

/** Compile a filter to a predicate, or throw a 400 naming the offending clause. */
export function compileSubscriptionFilter(filter: unknown, path = "filter"): SeriesPredicate {
  let clauses = 0;
  const compile = (node: unknown, at: string, depth: number): SeriesPredicate => {
    if (++clauses > maxClauses) fail(path, `has more than ${maxClauses} clauses`);
    if (depth > maxDepth) fail(at, `is nested deeper than ${maxDepth} levels`);
    if (node === null || typeof node !== "object" || Array.isArray(node)) fail(at, "must be an object");
    const keys = Object.keys(node);
    if (keys.length !== 1) fail(at, `must have exactly one operator (got ${keys.join(", ") || "none"})`);
    const op = keys[0]!;
    const arg = (node as Record<string, unknown>)[op];
    const where = `${at}.${op}`;
    switch (op) {
      case "and":
      case "or": {
        if (!Array.isArray(arg) || arg.length < 1 || arg.length > 99)
          fail(where, "must be a list of 1-99 filters");
        const parts = arg.map((child, i) => compile(child, `${where}[${i}]`, depth + 1));
        return op === "and" ? (ts) => parts.every((p) => p(ts)) : (ts) => parts.some((p) => p(ts));
      }
      case "not": {
        const inner = compile(arg, where, depth + 1);
        return (ts) => !inner(ts);
      }
    }
    if (arg === null || typeof arg !== "object" || Array.isArray(arg)) fail(where, "must be an object");
    const leaf = arg as Record<string, unknown>;
    switch (op) {
      case "equals": {
        const get = propertyOf(leaf, where);
        const value = leaf["value"];
        return (ts) => get(ts) === value;
      }
      case "in": {
        const get = propertyOf(leaf, where);
        const values = leaf["values"];
        if (!Array.isArray(values) || values.length < 1 || values.length > 100) {
          fail(`${where}.values`, "must be a list of 1-100 values");
        }
        return (ts) => {
          const v = get(ts);
          return v !== undefined && values.includes(v);
        };
      }
      case "prefix": {
        const get = propertyOf(leaf, where);
        const value = leaf["value"];
        if (typeof value !== "string") fail(`${where}.value`, "must be a string");
        return (ts) => {
          const v = get(ts);
          return typeof v === "string" && v.startsWith(value);
        };
      }
      case "exists": {
        const get = propertyOf(leaf, where);
        return (ts) => get(ts) !== undefined;
      }
      case "range": {
        const get = propertyOf(leaf, where);
        const { gt, gte, lt, lte } = leaf;
        if (gt === undefined && gte === undefined && lt === undefined && lte === undefined) {
          fail(where, "needs at least one of gt, gte, lt, lte");
        }
        if ((gt !== undefined && gte !== undefined) || (lt !== undefined && lte !== undefined)) {
          fail(where, "may not combine gt with gte, or lt with lte");
        }
        return (ts) => {
          const v = get(ts);
          if (v === undefined) return false;
          const checks: Array<[unknown, (c: number) => boolean]> = [
            [gt, (c) => c > 0],
            [gte, (c) => c >= 0],
            [lt, (c) => c < 0],
            [lte, (c) => c <= 0],
          ];
          return checks.every(([bound, ok]) => {
            if (bound === undefined) return true;
            const c = compare(v, bound);
            return c !== undefined && ok(c);
          });
        };
      }
      case "search":
        // CDF: "we do not support the search LeafFilter" in subscription filters.
        return fail(where, "the search filter is not supported in subscriptions (CDF rejects it too)");
      case "containsAny":
      case "containsAll":
        return fail(where, "no array property is supported by the emulator's filter subscriptions");
      default:
        return fail(
          at,
          `unknown filter operator '${op}' (use and, or, not, equals, in, range, prefix, exists)`,
        );
    }
  };
  return compile(filter, path, 1);
}

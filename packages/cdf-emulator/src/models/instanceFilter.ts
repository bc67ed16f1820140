// The data-modeling filter language (openapi.json TableExpressionFilterDefinition) over the nodes
// the emulator stores: and/or/not, equals, in, prefix, range, exists, matchAll and hasData, on the
// node's own properties (["node", "space" | "externalId" | "version" | "createdTime" |
// "lastUpdatedTime"]) and the view's (["cdf_cdm", "CogniteTimeSeries/v1", <property>]). Anything
// else is a 400 naming the clause, never a filter that silently matches nothing.

import { CdfError } from "../context.js";
import { COGNITE_TIME_SERIES_VIEW, PROPERTY_NAMES, VIEW_KEY } from "./cogniteTimeSeriesView.js";
import type { StoredNode } from "./instanceStore.js";

export type NodePredicate = (node: StoredNode) => boolean;

const NODE_PROPERTIES = ["space", "externalId", "version", "createdTime", "lastUpdatedTime"] as const;
const MAX_DEPTH = 10;

function fail(where: string, message: string): never {
  throw new CdfError(400, `${where}: ${message}`);
}

function propertyOf(leaf: Record<string, unknown>, where: string): (n: StoredNode) => unknown {
  const property = leaf["property"];
  if (!Array.isArray(property) || !property.every((p) => typeof p === "string")) {
    fail(`${where}.property`, 'must be a list of strings, e.g. ["node", "externalId"]');
  }
  if (property.length === 2 && property[0] === "node") {
    const name = property[1] as (typeof NODE_PROPERTIES)[number];
    if (NODE_PROPERTIES.includes(name)) return (n) => n[name];
  }
  if (
    property.length === 3 &&
    property[0] === COGNITE_TIME_SERIES_VIEW.space &&
    property[1] === VIEW_KEY &&
    (PROPERTY_NAMES as string[]).includes(property[2] as string)
  ) {
    const name = property[2] as (typeof PROPERTY_NAMES)[number];
    return (n) => n.properties[name];
  }
  return fail(
    `${where}.property`,
    `${JSON.stringify(property)} is not a property the emulator can filter on: use ["node", ${NODE_PROPERTIES.map((p) => `"${p}"`).join(" | ")}] or ["cdf_cdm", "${VIEW_KEY}", <a CogniteTimeSeries property>]`,
  );
}

function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The filter as a predicate, or a 400 naming the clause the emulator cannot evaluate. */
export function compileInstanceFilter(filter: unknown, where: string): NodePredicate {
  const compile = (node: unknown, at: string, depth: number): NodePredicate => {
    if (depth > MAX_DEPTH) fail(at, `is nested deeper than ${MAX_DEPTH} levels`);
    if (node === null || typeof node !== "object" || Array.isArray(node)) fail(at, "must be an object");
    const keys = Object.keys(node);
    if (keys.length !== 1) fail(at, `must have exactly one operator (got ${keys.join(", ") || "none"})`);
    const op = keys[0] as string;
    const arg = (node as Record<string, unknown>)[op];
    const here = `${at}.${op}`;
    if (op === "and" || op === "or") {
      if (!Array.isArray(arg) || arg.length === 0) fail(here, "must be a non-empty list of filters");
      const parts = arg.map((child, i) => compile(child, `${here}[${i}]`, depth + 1));
      return op === "and" ? (n) => parts.every((p) => p(n)) : (n) => parts.some((p) => p(n));
    }
    if (op === "not") {
      const inner = compile(arg, here, depth + 1);
      return (n) => !inner(n);
    }
    if (op === "matchAll") return () => true;
    if (op === "hasData") {
      if (!Array.isArray(arg)) fail(here, "must be a list of view or container references");
      // Every node the emulator stores has data in CogniteTimeSeries/v1, and in nothing else.
      const onlyOurs = arg.every(
        (r) =>
          typeof r === "object" &&
          r !== null &&
          (r as Record<string, unknown>)["space"] === COGNITE_TIME_SERIES_VIEW.space &&
          (r as Record<string, unknown>)["externalId"] === COGNITE_TIME_SERIES_VIEW.externalId,
      );
      return () => onlyOurs;
    }
    if (arg === null || typeof arg !== "object" || Array.isArray(arg)) fail(here, "must be an object");
    const leaf = arg as Record<string, unknown>;
    const get = propertyOf(leaf, here);
    switch (op) {
      case "equals": {
        const value = leaf["value"];
        return (n) => sameValue(get(n), value);
      }
      case "in": {
        const values = leaf["values"];
        if (!Array.isArray(values)) fail(`${here}.values`, "must be a list");
        return (n) => values.some((v) => sameValue(get(n), v));
      }
      case "prefix": {
        const value = leaf["value"];
        if (typeof value !== "string") fail(`${here}.value`, "must be a string");
        return (n) => {
          const v = get(n);
          return typeof v === "string" && v.startsWith(value);
        };
      }
      case "exists":
        return (n) => get(n) !== undefined;
      case "range": {
        const bounds: Array<[unknown, (c: number) => boolean]> = [
          [leaf["gt"], (c) => c > 0],
          [leaf["gte"], (c) => c >= 0],
          [leaf["lt"], (c) => c < 0],
          [leaf["lte"], (c) => c <= 0],
        ];
        if (bounds.every(([b]) => b === undefined)) fail(here, "needs at least one of gt, gte, lt, lte");
        return (n) => {
          const v = get(n);
          return bounds.every(([bound, ok]) => {
            if (bound === undefined) return true;
            const c = compare(v, bound);
            return c !== undefined && ok(c);
          });
        };
      }
      default:
        return fail(
          at,
          `the filter '${op}' is not supported by the emulator (use and, or, not, equals, in, prefix, range, exists, matchAll, hasData)`,
        );
    }
  };
  return compile(filter, where, 1);
}

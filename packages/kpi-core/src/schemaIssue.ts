import type { z } from "zod";
import type { KpiConfigIssue } from "./kpiConfigError.js";
import {
  cleanStepSchema,
  defaultsSchema,
  inputSchema,
  kpiConfigSchema,
  kpiSchema,
  windowSchema,
} from "./kpiConfigSchema.js";
import { quoteForMessage } from "./quoteForMessage.js";

const KNOWN_FIELDS: Array<[pattern: RegExp, fields: readonly string[]]> = [
  [/^$/, Object.keys(kpiConfigSchema.shape)],
  [/^defaults$/, Object.keys(defaultsSchema.shape)],
  [/^kpis\[\d+\]$/, Object.keys(kpiSchema.shape)],
  [/^kpis\[\d+\]\.window$/, Object.keys(windowSchema.shape)],
  [/^kpis\[\d+\]\.inputs\.[^.]+$/, Object.keys(inputSchema.shape)],
  [/^kpis\[\d+\]\.inputs\.[^.]+\.clean\[\d+\]$/, Object.keys(cleanStepSchema.shape)],
];

/** A zod issue as kpis.yaml's author reads it: the path in the document and what to fix. */
export function schemaIssue(issue: z.core.$ZodIssue): KpiConfigIssue {
  const path = formatPath(issue.path);
  return { path, message: issueMessage(issue, path) };
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text === "" ? String(key) : `.${String(key)}`;
  }
  return text;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value instanceof Date) return "a date";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${quoteForMessage(value)}`;
}

function issueMessage(issue: z.core.$ZodIssue, path: string): string {
  switch (issue.code) {
    case "invalid_type": {
      const expected = issue.expected === "tuple" ? "a list of two numbers" : issue.expected;
      if (issue.input === undefined) return `missing; expected ${expected}`;
      return `expected ${expected}, got ${describeValue(issue.input)}`;
    }
    case "unrecognized_keys": {
      const known = KNOWN_FIELDS.find(([pattern]) => pattern.test(path))?.[1];
      const unknown = issue.keys.map((key) => `"${key}"`).join(", ");
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${unknown}${known ? `; allowed: ${known.join(", ")}` : ""}`;
    }
    case "invalid_key":
      return issue.issues[0]?.message ?? issue.message;
    default:
      return issue.message;
  }
}

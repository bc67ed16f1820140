import { fixedDuration } from "./fixedDuration.js";
import { IssueList } from "./issueList.js";
import { isValidTimeZone } from "./isValidTimeZone.js";
import { KpiConfigError } from "./kpiConfigError.js";
import {
  defaultsSchema,
  type KpiConfig,
  type KpiEntry,
  kpiConfigSchema,
  kpiSchema,
} from "./kpiConfigSchema.js";
import type { KpiDefinition } from "./kpiDefinition.js";
import { normalizeKpi } from "./normalizeKpi.js";
import { schemaIssue } from "./schemaIssue.js";

/**
 * Validates a parsed kpis.yaml document (the CLI parses the YAML) and returns the normalized
 * definitions. Throws KpiConfigError listing every issue, each with its path, one per line,
 * prefixed with `source` (e.g. the file name) when given.
 */
export function parseKpiConfig(raw: unknown, source?: string): KpiDefinition[] {
  const parsed = kpiConfigSchema.safeParse(raw, { reportInput: true });
  const issues = new IssueList();
  let config: KpiConfig;
  if (parsed.success) {
    config = parsed.data;
  } else {
    // An unknown field first: `evry: 1h` explains the missing `every` reported after it.
    const unknownFirst = [...parsed.error.issues].sort(
      (a, b) => Number(b.code === "unrecognized_keys") - Number(a.code === "unrecognized_keys"),
    );
    for (const issue of unknownFirst) {
      const { path, message } = schemaIssue(issue);
      issues.add(path, message);
    }
    // Still check every KPI whose own shape is fine, so one run reports all problems.
    const partial = raw as { defaults?: unknown; kpis?: unknown };
    const defaults = defaultsSchema.optional().safeParse(partial?.defaults);
    if (!defaults.success || !Array.isArray(partial?.kpis)) throw new KpiConfigError(issues.issues, source);
    config = {
      defaults: defaults.data,
      kpis: partial.kpis.map((entry) => {
        const result = kpiSchema.safeParse(entry);
        return result.success ? result.data : undefined;
      }) as KpiEntry[],
    };
  }
  const defaults = config.defaults ?? {};
  if (defaults.settle !== undefined) fixedDuration(defaults.settle, "defaults.settle", "settle", issues);
  if (defaults.timeZone !== undefined && !isValidTimeZone(defaults.timeZone)) {
    issues.add(
      "defaults.timeZone",
      `unknown time zone "${defaults.timeZone}"; use an IANA name such as Europe/Oslo or UTC`,
    );
  }
  const definitions: KpiDefinition[] = [];
  const outputs = new Map<string, number>();
  config.kpis.forEach((entry, index) => {
    if (entry === undefined) return;
    const path = `kpis[${index}]`;
    const definition = normalizeKpi(entry, defaults, path, issues);
    if (definition === undefined) return;
    const first = outputs.get(definition.key);
    if (first !== undefined) {
      const field = "externalId" in definition.series ? "externalId" : "instanceId";
      issues.add(
        `${path}.${field}`,
        `"${definition.key}" is also the output of kpis[${first}]; each KPI needs its own output time series`,
      );
      return;
    }
    outputs.set(definition.key, index);
    definitions.push(definition);
  });
  // A bad defaults.settle is reported once per KPI that uses it; say it once.
  const unique = issues.issues.filter(
    (issue, i, all) =>
      all.findIndex((other) => other.path === issue.path && other.message === issue.message) === i,
  );
  if (unique.length > 0) throw new KpiConfigError(unique, source);
  return definitions;
}

import type { KpiConfigIssue } from "./kpiConfigError.js";

/** Collects issues under one KPI's path. */
export class IssueList {
  readonly issues: KpiConfigIssue[] = [];
  add(path: string, message: string): void {
    this.issues.push({ path, message });
  }
}

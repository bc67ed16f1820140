// Every problem of a kpis.yaml at once, each with its path, so one run shows the author all fixes.

/** One problem in a kpis.yaml. */
export interface KpiConfigIssue {
  /** Where in the document, e.g. `kpis[3].window.every`. */
  path: string;
  message: string;
}

export class KpiConfigError extends Error {
  readonly issues: readonly KpiConfigIssue[];
  readonly source: string | undefined;
  constructor(issues: readonly KpiConfigIssue[], source?: string) {
    super(
      issues
        .map((issue) =>
          [source, issue.path === "" ? undefined : issue.path, issue.message].filter(Boolean).join(": "),
        )
        .join("\n"),
    );
    this.name = "KpiConfigError";
    this.issues = issues;
    this.source = source;
  }
}

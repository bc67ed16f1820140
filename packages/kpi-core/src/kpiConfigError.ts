// Every problem of a kpis.yaml at once, each with its path, so one run shows the author all fixes.

/** One problem in a kpis.yaml. */
export interface KpiConfigIssue {
  /** Where in the document, e.g. `kpis[3].window.every`; "" for the document as a whole. */
  path: string;
  message: string;
  /** 1-based line and column in the text, when the problem is in the YAML itself. */
  line?: number;
  column?: number;
}

export class KpiConfigError extends Error {
  readonly issues: readonly KpiConfigIssue[];
  readonly source: string | undefined;
  constructor(issues: readonly KpiConfigIssue[], source?: string) {
    super(issues.map((issue) => formatIssue(issue, source)).join("\n"));
    this.name = "KpiConfigError";
    this.issues = issues;
    this.source = source;
  }
}

/** `source:line:column: path: message`, each part only when known, as compilers print them. */
function formatIssue(issue: KpiConfigIssue, source: string | undefined): string {
  const position = issue.line === undefined ? undefined : `${issue.line}:${issue.column ?? 1}`;
  const where =
    source === undefined
      ? position === undefined
        ? undefined
        : `line ${position}`
      : position === undefined
        ? source
        : `${source}:${position}`;
  return [where, issue.path === "" ? undefined : issue.path, issue.message].filter(Boolean).join(": ");
}

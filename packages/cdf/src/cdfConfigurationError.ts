/** The CDF settings (environment variables or options) are missing or invalid; `problems` names each one. */
export class CdfConfigurationError extends Error {
  override readonly name = "CdfConfigurationError";
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(
      problems.length === 1
        ? `CDF configuration: ${problems[0]}`
        : `CDF configuration has ${problems.length} problems: ${problems.join("; ")}`,
    );
    this.problems = problems;
  }
}

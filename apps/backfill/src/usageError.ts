/** A wrong invocation: unknown or missing flags, bad --from/--to, a file that does not exist. Exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * The run was stopped by Ctrl-C or SIGTERM. Exit code 130 (the CLI reports 143 for SIGTERM). The
 * message says what became of the output, which depends on where it went.
 */
export class InterruptedError extends Error {
  readonly exitCode = 130;
  constructor(message: string) {
    super(message);
    this.name = "InterruptedError";
  }
}

/** Bad data: a malformed row, an invalid kpis.yaml, an input series found in no file. Exit code 1. */
export class DataError extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = "DataError";
  }
}

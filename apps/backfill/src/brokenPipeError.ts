/**
 * The reader of our output went away (`kpi-backfill ... | head -1`). Not a failure: like other
 * Unix tools, the run stops quietly with exit code 0.
 */
export class BrokenPipeError extends Error {
  constructor() {
    super("the reader of the output closed it");
    this.name = "BrokenPipeError";
  }
}

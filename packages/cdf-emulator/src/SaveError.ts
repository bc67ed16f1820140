// A save to the data dir that did not write everything: which resources, and why. It is a
// CdfError (500) so `POST /_emulator/save` answers with it as is, in the error envelope.

import { CdfError } from "./context.js";

export interface SaveFailure {
  /** The store (`raw`, `timeseries`, `datapoints`, ...), `auth`, `clock` or `data dir`. */
  resource: string;
  reason: string;
}

/** The outcome of the last save, for `GET /_emulator/stats`. */
export interface SaveReport {
  /** Wall-clock time of the save (ISO 8601): when a person last had their state written. */
  at: string;
  dataDir: string;
  /** Empty when everything was saved. */
  failures: SaveFailure[];
}

export class SaveError extends CdfError {
  constructor(
    readonly dataDir: string,
    readonly failures: SaveFailure[],
  ) {
    super(
      500,
      `Saving to ${dataDir} failed for ${failures
        .map((f) => `${f.resource} (${f.reason})`)
        .join(
          ", ",
        )}; everything else was saved. Until a save succeeds, those resources live only in memory: fix the cause (disk space, permissions, the data dir) and POST /_emulator/save again.`,
      { extra: { failures } },
    );
    this.name = "SaveError";
  }
}

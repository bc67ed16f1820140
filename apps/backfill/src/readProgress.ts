import type { ReadStats } from "./pointSink.js";
import { progressLine } from "./progressLine.js";

export interface ReadProgress {
  /** Called as reading advances; cheap when nothing is due. `force` shows it regardless (end of a file). */
  update(file: string, stats: ReadStats, force?: boolean): void;
  /** Clears the progress line. */
  done(): void;
}

/** `reading <file>: <rows> rows, <MB> MB, <MB/s> MB/s` on a terminal's stderr. */
export function readProgress(
  stderr: NodeJS.WritableStream,
  isTTY: boolean,
  now: () => number = Date.now,
): ReadProgress {
  const line = progressLine(stderr, isTTY, now);
  const startedAt = now();
  return {
    update(file, stats, force = false) {
      if (!force && !line.due()) return;
      const megabytes = stats.bytes / 1e6;
      const seconds = Math.max((now() - startedAt) / 1000, 1e-3);
      line.show(
        `reading ${file}: ${stats.rows.toLocaleString("en-US")} rows, ${megabytes.toFixed(1)} MB, ${(megabytes / seconds).toFixed(1)} MB/s`,
        true,
      );
    },
    done: () => line.done(),
  };
}

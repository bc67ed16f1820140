import type { ReadStats } from "./pointSink.js";

// Progress is for a person watching a terminal: only when stderr is a TTY (never in CI logs or
// when stderr is piped), at most 4 updates a second, one line rewritten in place, no colour.

const INTERVAL_MS = 250;

export interface ReadProgress {
  /** Called as reading advances; cheap when nothing is due. `force` shows it regardless (end of a file). */
  update(file: string, stats: ReadStats, force?: boolean): void;
  /** Clears the progress line. */
  done(): void;
}

export function readProgress(
  stderr: NodeJS.WritableStream,
  isTTY: boolean,
  now: () => number = Date.now,
): ReadProgress {
  if (!isTTY) return { update() {}, done() {} };
  const startedAt = now();
  let lastAt = 0;
  let shown = false;
  return {
    update(file, stats, force = false) {
      const at = now();
      if (!force && at - lastAt < INTERVAL_MS) return;
      lastAt = at;
      const megabytes = stats.bytes / 1e6;
      const seconds = Math.max((at - startedAt) / 1000, 1e-3);
      stderr.write(
        `\r\x1b[2Kreading ${file}: ${stats.rows.toLocaleString("en-US")} rows, ${megabytes.toFixed(1)} MB, ${(megabytes / seconds).toFixed(1)} MB/s`,
      );
      shown = true;
    },
    done() {
      if (shown) stderr.write("\r\x1b[2K");
    },
  };
}

// Progress is for a person watching a terminal: only when stderr is a TTY (never in CI logs or
// when stderr is piped), at most 4 updates a second, one line rewritten in place, no colour.

const INTERVAL_MS = 250;

export interface ProgressLine {
  /** Whether an update is due now; cheap, so callers can skip building the text. */
  due(): boolean;
  /** Shows `text` if due, or anyway with `force` (the end of a step). */
  show(text: string, force?: boolean): void;
  /** Clears the line. */
  done(): void;
}

export function progressLine(
  stderr: NodeJS.WritableStream,
  isTTY: boolean,
  now: () => number = Date.now,
): ProgressLine {
  if (!isTTY) return { due: () => false, show() {}, done() {} };
  let lastAt = Number.NEGATIVE_INFINITY;
  let shown = false;
  return {
    due: () => now() - lastAt >= INTERVAL_MS,
    show(text, force = false) {
      const at = now();
      if (!force && at - lastAt < INTERVAL_MS) return;
      lastAt = at;
      stderr.write(`\r\x1b[2K${text}`);
      shown = true;
    },
    done() {
      if (shown) stderr.write("\r\x1b[2K");
      shown = false;
    },
  };
}

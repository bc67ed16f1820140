import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";

/** A fresh temp directory per test, removed afterwards; `file(name, text)` writes into it. */
export function scratchDir(): {
  dir: () => string;
  file: (name: string, text: string) => string;
  /** Removes the directory now; the next dir() is a fresh one. */
  reset: () => void;
} {
  let current: string | undefined;
  const reset = (): void => {
    if (current !== undefined) rmSync(current, { recursive: true, force: true });
    current = undefined;
  };
  afterEach(reset);
  const dir = (): string => {
    current ??= mkdtempSync(join(tmpdir(), "kpi-backfill-test-"));
    return current;
  };
  return {
    reset,
    dir,
    file(name, text) {
      const path = join(dir(), name);
      writeFileSync(path, text);
      return path;
    },
  };
}

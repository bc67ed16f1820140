// Where the Python harness (harness.py) is. It ships as a file, not a string, so that it can be
// read, linted and run on its own. Found next to the module that asks for it: in src/ that is
// src/functions/harness.py; tsup bundles this module into a file at the root of dist/ and copies
// the harness to dist/harness.py (tsup.config.ts), so the same relative URL works in both.

import { access } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const HARNESS_URL = new URL("./harness.py", import.meta.url);

/** The harness's path; rejects with what to do when the package was built or copied without it. */
export async function pythonHarnessPath(): Promise<string> {
  const path = fileURLToPath(HARNESS_URL);
  try {
    await access(path);
  } catch {
    throw new Error(
      `The function runtime's Python harness is missing: ${path} does not exist. The cdf-emulator package is incomplete; rebuild it (pnpm exec turbo run build --filter @kpi-pipeline/cdf-emulator).`,
    );
  }
  return path;
}

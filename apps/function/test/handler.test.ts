import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

// handler.py's own tests are Python (unittest, standard library only); this runs them under the
// system python3, the one CDF-like runtimes and the emulator use, with this node as the bundle's.

const PYTHON_DIR = fileURLToPath(new URL("../python/", import.meta.url));

it("handler.py passes its Python tests", async () => {
  const run = promisify(execFile);
  const { stderr } = await run(
    "/usr/bin/python3",
    ["-W", "error::ResourceWarning", "-m", "unittest", "-v", "test_handler"],
    {
      cwd: PYTHON_DIR,
      env: { PATH: process.env.PATH, TEST_NODE: process.execPath, PYTHONDONTWRITEBYTECODE: "1" },
    },
  ).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`python3 -m unittest failed:\n${error.stderr ?? error.message}`);
  });
  expect(stderr).toMatch(/\nOK\s*$/);
  expect(stderr).toMatch(/Ran 1\d tests/);
});

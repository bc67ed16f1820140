// The emulator process as the README tells people to run it: the built CLI (`pnpm build` first,
// as `pnpm test` does), through the root `pnpm cdf-emulator` script and the README's
// background-start snippet, each exactly as written.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const repoRoot = join(packageDir, "..", "..");
let dataDir: string;

beforeAll(() => {
  if (!existsSync(join(packageDir, "dist", "cli.js"))) {
    throw new Error("packages/cdf-emulator/dist/cli.js is missing: run `pnpm build` first (pnpm test does).");
  }
});

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "cdf-emulator-documented-"));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs `command` in its own process group, as a terminal runs a foreground job. */
function startGroup(command: string, args: string[]) {
  const child = spawn(command, args, { cwd: repoRoot, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  const ready = async (): Promise<void> => {
    const deadline = Date.now() + 20_000;
    while (!/^CDF_PROJECT=/m.test(stdout)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`no CDF_PROJECT line; stdout: ${stdout}; stderr: ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return { child, exited, ready, output: () => ({ stdout, stderr }) };
}

describe("pnpm cdf-emulator", () => {
  it.each(["SIGINT", "SIGTERM"] as const)(
    "%s to the whole foreground group (Ctrl-C in a terminal) saves and exits 0 without ELIFECYCLE",
    async (signal) => {
      const run = startGroup("pnpm", ["cdf-emulator", "--port", "0", "--data-dir", dataDir]);
      await run.ready();
      process.kill(-(run.child.pid as number), signal);
      expect(await run.exited).toEqual({ code: 0, signal: null });
      const { stdout, stderr } = run.output();
      expect(stdout + stderr).not.toContain("ELIFECYCLE");
      expect(stderr).toBe("");
      await expect(readFile(join(dataDir, "clock.json"), "utf8")).resolves.toContain('"now"');
    },
    30_000,
  );
});

describe("README: the background-start snippet", () => {
  it("runs as written: waits for the CDF_ lines, reaches the emulator, stops it with exit 0", async () => {
    const readme = await readFile(join(packageDir, "README.md"), "utf8");
    const snippet = /<!-- snippet: background-start[^\n]*-->\n```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(snippet).toBeDefined();
    const script = `set -e\n${snippet}\nwait "$EMULATOR_PID"\necho "emulator exit $?"\n`;
    const run = startGroup("bash", ["-c", script]);
    const { code } = await run.exited;
    const { stdout, stderr } = run.output();
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\{"now":\d+\}/m);
    expect(stdout).toContain("emulator exit 0");
  }, 30_000);
});

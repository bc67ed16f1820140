import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "cdf-emulator-cli-"));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function run(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const reader = createInterface({ input: child.stdout });
  const firstLines = (n: number) =>
    new Promise<string[]>((resolve, reject) => {
      reader.on("line", (line) => {
        lines.push(line);
        if (lines.length === n) resolve(lines);
      });
      child.on("exit", (code) => reject(new Error(`cli exited with ${code} after ${lines.length} lines`)));
    });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, firstLines, exited };
}

describe("cdf-emulator CLI", () => {
  it("prints connection details as JSON and env lines, serves, and saves on SIGTERM", async () => {
    const { child, firstLines, exited } = run([
      "--port",
      "0",
      "--project",
      "demo",
      "--data-dir",
      dataDir,
      "--clock",
      "2024-01-01T00:00:00Z",
    ]);
    const lines = await firstLines(6);
    const info = JSON.parse(lines[0] as string) as {
      baseUrl: string;
      tokenUrl: string;
      clientId: string;
      project: string;
    };
    expect(info.project).toBe("demo");
    expect(lines.slice(1).map((l) => l.split("=")[0])).toEqual([
      "CDF_BASE_URL",
      "CDF_TOKEN_URL",
      "CDF_CLIENT_ID",
      "CDF_CLIENT_SECRET",
      "CDF_PROJECT",
    ]);
    const advanced = await fetch(`${info.baseUrl}/_emulator/clock`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ advance: "1h" }),
    });
    expect(advanced.status).toBe(200);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    const clock = JSON.parse(await readFile(join(dataDir, "clock.json"), "utf8")) as { now: number };
    expect(clock.now).toBe(Date.parse("2024-01-01T01:00:00Z"));
  }, 30_000);

  it("rejects an unparsable --clock with a non-zero exit", async () => {
    const { exited } = run(["--port", "0", "--clock", "yesterday-ish"]);
    expect(await exited).not.toBe(0);
  }, 30_000);
});

import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
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
  return watch(child);
}

function watch(child: ChildProcess) {
  let stderr = "";
  let stdout = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const lines: string[] = [];
  const reader = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  /** Resolves with the lines read so far once one matches. */
  const lineMatching = (pattern: RegExp) =>
    new Promise<string[]>((resolve, reject) => {
      reader.on("line", (line) => {
        lines.push(line);
        if (pattern.test(line)) resolve(lines);
      });
      child.on("exit", (code) =>
        reject(new Error(`cli exited with ${code} after ${lines.length} lines; stderr: ${stderr}`)),
      );
    });
  const firstLines = (n: number) =>
    new Promise<string[]>((resolve, reject) => {
      reader.on("line", (line) => {
        lines.push(line);
        if (lines.length === n) resolve(lines);
      });
      child.on("exit", (code) => reject(new Error(`cli exited with ${code} after ${lines.length} lines`)));
    });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, firstLines, lineMatching, exited, stderr: () => stderr, stdout: () => stdout };
}

/** A user-facing failure: one line on stderr, no stack trace. */
function expectOneSentence(stderr: string, ...mentions: string[]): void {
  const lines = stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^cdf-emulator: /);
  expect(stderr).not.toMatch(/^\s+at /m);
  for (const m of mentions) expect(lines[0]).toContain(m);
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

  it("rejects an unparsable --clock with exit 2", async () => {
    const { exited } = run(["--port", "0", "--clock", "yesterday-ish"]);
    expect(await exited).toBe(2);
  }, 30_000);
});

describe("start-up checks: exit 2 and one sentence naming the flag", () => {
  it.each([
    ["a --data-dir that is a file", async () => ["--data-dir", await fileIn(dataDir)], "--data-dir"],
    [
      "a --data-dir below a file",
      async () => ["--data-dir", join(await fileIn(dataDir), "sub")],
      "--data-dir",
    ],
    ["an empty --project", async () => ["--project", ""], "--project"],
    ["a --project with a slash", async () => ["--project", "a/b"], "--project"],
    ["a --port out of range", async () => ["--port", "70000"], "--port"],
    ["a non-numeric --port", async () => ["--port", "http"], "--port"],
    ["a --clock after 2099", async () => ["--clock", "2100-01-01T00:00:00Z"], "--clock"],
    ["a --clock before 1900", async () => ["--clock", "1899-12-31T23:59:59Z"], "--clock"],
  ])(
    "%s",
    async (_, args, flag) => {
      const started = run(["--port", "0", ...(await args())]);
      expect(await started.exited).toBe(2);
      expectOneSentence(started.stderr(), flag);
      expect(started.stdout()).toBe("");
    },
    30_000,
  );

  it("a port in use is one sentence and exit 1", async () => {
    const first = run(["--port", "0", "--json"]);
    const [json] = await first.firstLines(1);
    const port = new URL((JSON.parse(json as string) as { baseUrl: string }).baseUrl).port;
    const second = run(["--port", port]);
    expect(await second.exited).toBe(1);
    expectOneSentence(second.stderr(), `port ${port}`, "already in use");
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
  }, 30_000);
});

describe("a save that fails on exit", () => {
  it("exits 1 with one sentence naming the resource, after saving the rest", async () => {
    const started = run(["--port", "0", "--data-dir", dataDir]);
    await started.lineMatching(/^CDF_PROJECT=/);
    // A directory where raw.json goes: the rename of raw's state file over it fails.
    await mkdir(join(dataDir, "raw.json", "blocker"), { recursive: true });
    started.child.kill("SIGTERM");
    expect(await started.exited).toBe(1);
    expectOneSentence(started.stderr().replace(/^cdf-emulator: saving raw to .*\n/m, ""), "raw", dataDir);
    expect(started.stderr()).toContain(`cdf-emulator: saving raw to ${dataDir} failed`);
    await expect(readFile(join(dataDir, "timeseries.json"), "utf8")).resolves.toContain("nextId");
  }, 30_000);
});

async function fileIn(dir: string): Promise<string> {
  const file = join(dir, "not-a-dir");
  await writeFile(file, "x");
  return file;
}

import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/program.js";
import { capturedIo } from "./capturedIo.js";
import { scratchDir } from "./scratchDir.js";

// The real process: shebang entry, argv, exit codes and stdout, run from source through tsx
// with the "source" condition (so no build is needed and workspace packages resolve to src/).
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));

const NODE_ARGS = ["--conditions", "source", "--import", "tsx", CLI];

function kpiBackfill(...args: string[]) {
  const run = spawnSync(process.execPath, [...NODE_ARGS, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The CLI behind a shell, for redirections and pipes; `$CLI` stands for the command. */
function inShell(script: string) {
  const cli = [process.execPath, ...NODE_ARGS].map((part) => `'${part}'`).join(" ");
  const run = spawnSync("bash", ["-c", `set -o pipefail; ${script.replace("$CLI", cli)}`], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const scratch = scratchDir();

// One KPI of 1-second windows: a day of them is 86,400 rows (about 4 MB), more than a pipe holds.
const SECONDS_CONFIG = `
kpis:
  - externalId: k
    window: { every: 1s }
    start: 2024-01-01T00:00:00Z
    inputs: { x: { externalId: a } }
    value: twa(x)
`;
const SECONDS_POINTS = "externalId,timestamp,value\na,2024-01-01T00:00:00Z,1\na,2024-01-01T01:00:00Z,2\n";

function secondsArgs(to: string): string[] {
  return [
    "evaluate",
    "--config",
    scratch.file("sec.yaml", SECONDS_CONFIG),
    "--input",
    scratch.file("sec.csv", SECONDS_POINTS),
    "--from",
    "2024-01-01T00:00:00Z",
    "--to",
    to,
  ];
}

const QUICK_START = [
  "evaluate",
  "--config",
  "examples/kpis.yaml",
  "--input",
  "examples/points.csv",
  "--from",
  "2024-03-30T00:00:00Z",
  "--to",
  "2024-04-02T00:00:00Z",
];

describe("the kpi-backfill process", () => {
  it("runs the README quick start: exit 0, CSV on stdout, nothing on stderr", () => {
    const { status, stdout, stderr } = kpiBackfill(...QUICK_START);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(stdout.startsWith("externalId,timestamp,value,status\n")).toBe(true);
    expect(stdout).toContain("kpi:line-1:energy-per-unit-1d,1711857600000,4.25,Good\n");
  }, 60_000);

  it("exits 2 for a usage error", () => {
    const { status, stdout, stderr } = kpiBackfill(
      ...QUICK_START.slice(0, -2),
      "--to",
      "2024-03-01T00:00:00Z",
    );
    expect(status).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("kpi-backfill: error: --from (2024-03-30T00:00:00Z) must be before --to");
  }, 60_000);

  it("exits 1 for a data error (a kpis.yaml that is not KPI definitions)", () => {
    const { status, stdout, stderr } = kpiBackfill(
      "evaluate",
      "--config",
      "examples/points.csv",
      "--input",
      "examples/points.csv",
      "--from",
      "2024-03-30",
      "--to",
      "2024-03-31",
    );
    expect(status).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain(
      'examples/points.csv: not KPI definitions; expected a YAML mapping with "kpis:"',
    );
  }, 60_000);

  it("prints its help on stdout with no arguments, exit 0, and promises only commands that exist", () => {
    const { status, stdout, stderr } = kpiBackfill();
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(stdout).toContain("Usage: kpi-backfill [options] [command]");
    expect(stdout).not.toContain("outputHelp");
    const commands = stdout.slice(stdout.indexOf("Commands:")).split("\n").slice(1);
    const names = commands.filter((line) => /^ {2}\S/.test(line)).map((line) => line.trim().split(" ")[0]);
    expect(names).toEqual(["evaluate", "help"]);
    expect(stdout).not.toMatch(/backfill them in CDF|plan|gaps|--remote/);
  }, 60_000);

  it("ends quietly with exit 0 when the reader of stdout goes away (| head -1)", () => {
    const args = secondsArgs("2024-01-02T00:00:00Z")
      .map((arg) => `'${arg}'`)
      .join(" ");
    const { status, stdout, stderr } = inShell(`$CLI ${args} | head -1`);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(stdout).toBe("externalId,timestamp,value,status\n");
  }, 60_000);

  it("says stdout is on a full disk (ENOSPC) in one line, exit 3", () => {
    const args = secondsArgs("2024-01-01T06:00:00Z")
      .map((arg) => `'${arg}'`)
      .join(" ");
    const { status, stderr } = inShell(`$CLI ${args} > /dev/full`);
    expect(status).toBe(3);
    expect(stderr).toBe(
      "kpi-backfill: error: cannot write to stdout: no space left on the device (ENOSPC)\n",
    );
  }, 60_000);

  it("says when even its help cannot be written (stdout on a full disk), exit 3", () => {
    const { status, stderr } = inShell("$CLI evaluate --help > /dev/full");
    expect(stderr).toBe(
      "kpi-backfill: error: cannot write to stdout: no space left on the device (ENOSPC)\n",
    );
    expect(status).toBe(3);
  }, 60_000);

  it("says --out in a directory it cannot write to in one line, exit 3, before reading the input", () => {
    // /sys refuses new files even to root, so this holds whoever runs the tests.
    const { status, stdout, stderr } = kpiBackfill(...QUICK_START, "--out", "/sys/kpi-results.csv");
    expect(stdout).toBe("");
    expect(stderr).toBe(
      "kpi-backfill: error: cannot create a temp file beside /sys/kpi-results.csv: permission denied (EACCES)\n",
    );
    expect(status).toBe(3);
  }, 60_000);

  it("runs a range of 864,000 windows in a 64 MB heap: memory is bounded by the data, not the range", () => {
    const out = join(scratch.dir(), "seconds.csv");
    const run = spawnSync(
      process.execPath,
      ["--max-old-space-size=64", ...NODE_ARGS, ...secondsArgs("2024-01-11T00:00:00Z"), "--out", out],
      { cwd: ROOT, encoding: "utf8", timeout: 120_000 },
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text.length).toBeGreaterThan(864_000 * 20);
    expect(text.split("\n")).toHaveLength(864_002);
    expect(text.slice(text.lastIndexOf("\n", text.length - 2) + 1)).toBe(
      `k,${Date.UTC(2024, 0, 10, 23, 59, 59)},,Bad\n`,
    );
  }, 120_000);

  it("leaves no partial result when killed with SIGKILL mid-write: the old file stays as it was", async () => {
    const out = join(scratch.dir(), "results.csv");
    writeFileSync(out, "previous results\n");
    const child = spawn(
      process.execPath,
      [...NODE_ARGS, ...secondsArgs("2024-03-01T00:00:00Z"), "--out", out],
      {
        cwd: ROOT,
        stdio: "ignore",
      },
    );
    // Wait until the temp file has grown, i.e. the run is writing results, then kill it.
    const temp = () => readdirSync(scratch.dir()).find((name) => name.endsWith(".tmp"));
    for (
      let i = 0;
      i < 600 && !(temp() !== undefined && readFileSync(join(scratch.dir(), temp()!)).length > 1 << 20);
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(temp()).toBeDefined();
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    expect(readFileSync(out, "utf8")).toBe("previous results\n");
  }, 120_000);

  it("removes its temp file and keeps the old result on Ctrl-C (SIGINT), exit 130", async () => {
    const out = join(scratch.dir(), "results.csv");
    writeFileSync(out, "previous results\n");
    const child = spawn(
      process.execPath,
      [...NODE_ARGS, ...secondsArgs("2024-03-01T00:00:00Z"), "--out", out],
      {
        cwd: ROOT,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const temp = () => readdirSync(scratch.dir()).find((name) => name.endsWith(".tmp"));
    for (
      let i = 0;
      i < 600 && !(temp() !== undefined && readFileSync(join(scratch.dir(), temp()!)).length > 1 << 20);
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill("SIGINT");
    const code = await new Promise((resolve) => child.once("exit", resolve));
    expect(code).toBe(130);
    expect(stderr).toBe(
      "kpi-backfill: error: interrupted; no result file was written (an existing one is unchanged)\n",
    );
    expect(readFileSync(out, "utf8")).toBe("previous results\n");
    expect(readdirSync(scratch.dir()).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  }, 120_000);
});

describe("--out through a link to stdout", () => {
  it("writes the results into the file stdout is redirected to, and leaves the link a link", () => {
    const dir = scratch.dir();
    const args = QUICK_START.map((arg) => (arg.startsWith("examples/") ? join(ROOT, arg) : `'${arg}'`)).join(
      " ",
    );
    const run = inShell(
      `mkdir '${dir}/d' && ln -s /proc/self/fd/1 '${dir}/d/lnk' && $CLI ${args} --out '${dir}/d/lnk' > '${dir}/o2.csv' && test -L '${dir}/d/lnk' && cat '${dir}/o2.csv'`,
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(kpiBackfill(...QUICK_START).stdout);
    expect(run.stdout.split("\n").length).toBeGreaterThan(10);
  }, 60_000);
});

describe("Ctrl-C and SIGTERM", () => {
  /** Starts a long run (1-second windows over two months) with stdout into `stdout`. */
  function longRun(stdout: "pipe" | number, extra: string[] = []) {
    const child = spawn(process.execPath, [...NODE_ARGS, ...secondsArgs("2024-03-01T00:00:00Z"), ...extra], {
      cwd: ROOT,
      stdio: ["ignore", stdout, "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    return { child, exit, stderr: () => stderr };
  }

  async function waitUntil(done: () => boolean): Promise<void> {
    for (let i = 0; i < 600 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done()).toBe(true);
  }

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)(
    "%s stops a run whose stdout is a file (exit %i), where writes never wait",
    async (signal, exitCode) => {
      const out = join(scratch.dir(), "redirected.csv");
      const fd = openSync(out, "w");
      const run = longRun(fd);
      closeSync(fd);
      await waitUntil(() => statSync(out).size > 1 << 20);
      run.child.kill(signal);
      const { code } = await run.exit;
      expect(code).toBe(exitCode);
      expect(run.stderr()).toBe(
        "kpi-backfill: error: interrupted; the results written to stdout stop part way\n",
      );
      // Two months of seconds are over 5 million rows: the run stopped long before their end.
      expect(readFileSync(out, "utf8").split("\n").length).toBeLessThan(5_000_000);
    },
    120_000,
  );

  it("SIGTERM stops a run with --out (exit 143): no partial result, no temp file, the old file kept", async () => {
    const out = join(scratch.dir(), "results.csv");
    writeFileSync(out, "previous results\n");
    const run = longRun("pipe", ["--out", out]);
    const temp = () => readdirSync(scratch.dir()).find((name) => name.endsWith(".tmp"));
    await waitUntil(() => temp() !== undefined && statSync(join(scratch.dir(), temp()!)).size > 1 << 20);
    run.child.kill("SIGTERM");
    expect((await run.exit).code).toBe(143);
    expect(run.stderr()).toBe(
      "kpi-backfill: error: interrupted; no result file was written (an existing one is unchanged)\n",
    );
    expect(readFileSync(out, "utf8")).toBe("previous results\n");
    expect(readdirSync(scratch.dir()).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  }, 120_000);

  it("a second Ctrl-C ends the run at once when the first cannot stop it (a write to a full pipe nobody reads)", async () => {
    const run = longRun("pipe");
    // Nobody reads stdout: once the pipe is full, the run waits in a write and cannot see the
    // first Ctrl-C until the write completes.
    await new Promise((resolve) => run.child.stdout!.once("data", resolve));
    run.child.stdout!.pause();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    run.child.kill("SIGINT");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(run.child.exitCode).toBe(null);
    run.child.kill("SIGINT");
    expect(await run.exit).toEqual({ code: null, signal: "SIGINT" });
  }, 120_000);
});

describe("the last line of defence", () => {
  it("turns an unexpected error into one line without a stack trace, exit 70", async () => {
    const io = {
      ...capturedIo(),
      now: () => {
        throw new TypeError("the clock broke");
      },
    };
    const exitCode = await runCli(
      [
        ...QUICK_START.slice(0, 1),
        ...QUICK_START.slice(1).map((arg) => (arg.startsWith("examples/") ? join(ROOT, arg) : arg)),
      ],
      io,
    );
    expect(exitCode).toBe(70);
    expect(io.stderrText()).toBe(
      "kpi-backfill: error: internal error: TypeError: the clock broke. This is a bug in kpi-backfill; please report it with the command you ran\n",
    );
    expect(existsSync(join(ROOT, "undefined"))).toBe(false);
  });
});

import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runEvaluate } from "../src/evaluate.js";
import { resolveEvaluateOptions } from "../src/evaluateOptions.js";
import { runCli } from "../src/program.js";
import { capturedIo } from "./capturedIo.js";
import { scratchDir } from "./scratchDir.js";

const scratch = scratchDir();
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1); // 1704067200000

// Two KPIs over one input, listed out of key order; a:count starts an hour later.
const CONFIG = `
kpis:
  - externalId: b:avg
    window: { every: 1h }
    start: 2024-01-01T00:00:00Z
    inputs:
      x: { externalId: "sensor:x" }
    value: twa(x)
  - externalId: a:count
    window: { every: 1h }
    start: 2024-01-01T01:00:00Z
    inputs:
      x: { externalId: "sensor:x" }
    value: count(x)
`;

// 10 -> 20 -> 30 over the first hour (twa 20), 30 -> 40 -> 40 over the second (twa 37.5), and a
// last point at 02:00 with nothing after it (no covered time in the third hour).
const POINTS = [
  "externalId,timestamp,value,status",
  "sensor:x,2024-01-01T00:00:00Z,10,",
  "sensor:x,2024-01-01T00:30:00Z,20,",
  "sensor:x,2024-01-01T01:00:00Z,30,",
  "sensor:x,2024-01-01T01:30:00Z,40,",
  "sensor:x,2024-01-01T02:00:00Z,40,",
  "other:series,2024-01-01T00:00:00Z,1,",
].join("\n");

async function evaluate(args: string[], options: Parameters<typeof capturedIo>[0] = {}) {
  const io = capturedIo(options);
  const exitCode = await runCli(["evaluate", ...args], io);
  return { exitCode, stdout: io.stdoutText(), stderr: io.stderrText() };
}

/** The flags of one evaluation of `config` over `points` in [from, to), plus `extra`. */
function rangeArgs(config: string, points: string, from: string, to: string, extra: string[] = []): string[] {
  return ["--config", config, "--input", points, "--from", from, "--to", to, ...extra];
}

function standardArgs(
  extra: string[] = [],
  from = "2024-01-01T00:00:00Z",
  to = "2024-01-01T03:00:00Z",
): string[] {
  const config = scratch.file("kpis.yaml", CONFIG);
  const points = scratch.file("points.csv", POINTS);
  return rangeArgs(config, points, from, to, extra);
}

describe("kpi-backfill evaluate: results", () => {
  it("writes one CSV row per KPI per window, sorted by KPI key then window start", async () => {
    const { exitCode, stdout, stderr } = await evaluate(standardArgs());
    expect(stderr).toBe("");
    expect(exitCode).toBe(0);
    expect(stdout).toBe(
      [
        "externalId,timestamp,value,status",
        `a:count,${T0 + H},2,Good`,
        `a:count,${T0 + 2 * H},1,Good`,
        `b:avg,${T0},20,Good`,
        `b:avg,${T0 + H},37.5,Good`,
        `b:avg,${T0 + 2 * H},,Bad`,
        "",
      ].join("\n"),
    );
  });

  it("leaves out windows that end after --to or start before --from", async () => {
    const { stdout } = await evaluate(standardArgs([], "2024-01-01T00:15:00Z", "2024-01-01T02:30:00Z"));
    expect(stdout.trim().split("\n").slice(1)).toEqual([
      `a:count,${T0 + H},2,Good`,
      `b:avg,${T0 + H},37.5,Good`,
    ]);
  });

  it("starts no KPI before its own start, even when --from is earlier", async () => {
    const { stdout } = await evaluate(standardArgs([], "2023-12-31T00:00:00Z", "2024-01-01T02:00:00Z"));
    expect(stdout).toContain(`b:avg,${T0},20,Good`);
    expect(stdout).not.toContain(`a:count,${T0},`);
    expect(stdout).not.toContain(`b:avg,${T0 - H},`);
  });

  it("writes JSONL with null value and the reason for a window without a value", async () => {
    const { stdout } = await evaluate(standardArgs(["--format", "jsonl"], "2024-01-01T01:00:00Z"));
    const rows = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(rows[0]).toEqual({ externalId: "a:count", timestamp: T0 + H, value: 2, status: "Good" });
    expect(rows[3]).toMatchObject({ externalId: "b:avg", timestamp: T0 + 2 * H, value: null, status: "Bad" });
    expect(rows[3].reason).toMatch(/covered/);
  });

  it("picks JSONL from an --out file named *.jsonl", async () => {
    const out = join(scratch.dir(), "results.jsonl");
    const { exitCode, stdout } = await evaluate(standardArgs(["--out", out]));
    expect(exitCode).toBe(0);
    expect(stdout).toBe("");
    expect(JSON.parse(readFileSync(out, "utf8").split("\n")[0]!)).toEqual({
      externalId: "a:count",
      timestamp: T0 + H,
      value: 2,
      status: "Good",
    });
  });

  it("writes to stdout for --out -", async () => {
    const { stdout } = await evaluate(standardArgs(["--out", "-"]));
    expect(stdout.split("\n")[0]).toBe("externalId,timestamp,value,status");
  });

  it("writes the same rows to a file as to stdout, and leaves no temp file beside it", async () => {
    const out = join(scratch.dir(), "results.csv");
    const toFile = await evaluate(standardArgs(["--out", out]));
    const toStdout = await evaluate(standardArgs());
    expect(toFile.exitCode).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(toStdout.stdout);
    expect(readdirSync(scratch.dir()).sort()).toEqual(["kpis.yaml", "points.csv", "results.csv"]);
  });
});

describe("kpi-backfill evaluate: input files", () => {
  const twaConfig = `
kpis:
  - externalId: avg
    window: { every: 1h }
    start: 2024-01-01T00:00:00Z
    inputs:
      x: { externalId: "sensor:x" }
    value: twa(x)
`;
  async function firstHour(files: Array<[string, string]>): Promise<string> {
    const config = scratch.file("kpis.yaml", twaConfig);
    const inputs = files.flatMap(([name, text]) => ["--input", scratch.file(name, text)]);
    const { stdout, stderr } = await evaluate([
      "--config",
      config,
      ...inputs,
      "--from",
      "2024-01-01T00:00:00Z",
      "--to",
      "2024-01-01T01:00:00Z",
    ]);
    expect(stderr).toBe("");
    return stdout.trim().split("\n")[1]!;
  }
  const base =
    "externalId,timestamp,value\nsensor:x,2024-01-01T00:00:00Z,10\nsensor:x,2024-01-01T00:30:00Z,20\nsensor:x,2024-01-01T01:00:00Z,30\n";
  const correction = '{"externalId":"sensor:x","timestamp":"2024-01-01T00:30:00Z","value":80}\n';

  it("lets a later file overwrite a point at the same externalId and timestamp (10 -> 80 -> 30: twa 50)", async () => {
    expect(
      await firstHour([
        ["export.csv", base],
        ["fix.jsonl", correction],
      ]),
    ).toBe(`avg,${T0},50,Good`);
  });

  it("keeps the earlier point when the files come the other way round", async () => {
    const withCorrectionFirst = await firstHour([
      ["fix.jsonl", correction],
      ["export.csv", base],
    ]);
    expect(withCorrectionFirst).toBe(`avg,${T0},20,Good`);
  });

  it("lets a later row in the same file overwrite an earlier one", async () => {
    expect(await firstHour([["export.csv", `${base}sensor:x,2024-01-01T00:30:00Z,80\n`]])).toBe(
      `avg,${T0},50,Good`,
    );
  });

  it("removes a point when a later row at its timestamp is Bad (10 -> [50 Bad] -> 30: twa 20)", async () => {
    const spiky = base.replace("00:30:00Z,20", "00:30:00Z,50");
    const bad = "externalId,timestamp,value,status\nsensor:x,2024-01-01T00:30:00Z,,Bad\n";
    expect(await firstHour([["export.csv", spiky]])).toBe(`avg,${T0},35,Good`);
    expect(
      await firstHour([
        ["export.csv", spiky],
        ["bad.csv", bad],
      ]),
    ).toBe(`avg,${T0},20,Good`);
  });

  it("matches an instanceId input to rows with a space column", async () => {
    const config = scratch.file(
      "kpis.yaml",
      `
kpis:
  - externalId: dm-count
    window: { every: 1h }
    start: 2024-01-01T00:00:00Z
    inputs:
      x: { instanceId: { space: plant, externalId: flow } }
    value: count(x)
`,
    );
    const points = scratch.file(
      "points.csv",
      "space,externalId,timestamp,value\nplant,flow,2024-01-01T00:10:00Z,1\nplant,flow,2024-01-01T00:20:00Z,1\n,flow,2024-01-01T00:30:00Z,1\n",
    );
    const { stdout } = await evaluate(
      rangeArgs(config, points, "2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z"),
    );
    expect(stdout.trim().split("\n")[1]).toBe(`dm-count,${T0},2,Good`);
  });
});

describe("kpi-backfill evaluate: missing input series", () => {
  const config = `
kpis:
  - externalId: ratio
    window: { every: 1h }
    start: 2024-01-01T00:00:00Z
    inputs:
      x: { externalId: "sensor:x" }
      y: { externalId: "sensor:not-exported" }
    value: count(x) / count(y)
`;

  it("fails with exit 1, naming the input, its KPI and the series", async () => {
    const out = join(scratch.dir(), "results.csv");
    const args = [
      "--config",
      scratch.file("kpis.yaml", config),
      "--input",
      scratch.file("points.csv", POINTS),
    ];
    const { exitCode, stderr } = await evaluate([
      ...args,
      "--from",
      "2024-01-01",
      "--to",
      "2024-01-02",
      "--out",
      out,
    ]);
    expect(exitCode).toBe(1);
    expect(stderr).toContain('input "y" of KPI "ratio": externalId "sensor:not-exported"');
    expect(stderr).toContain("--allow-missing");
    expect(existsSync(out)).toBe(false);
  });

  it("evaluates the input as an empty series with --allow-missing (count 0: division by zero, Bad)", async () => {
    const args = [
      "--config",
      scratch.file("kpis.yaml", config),
      "--input",
      scratch.file("points.csv", POINTS),
    ];
    const { exitCode, stdout, stderr } = await evaluate([
      ...args,
      "--from",
      "2024-01-01T00:00:00Z",
      "--to",
      "2024-01-01T01:00:00Z",
      "--allow-missing",
      "--json",
    ]);
    expect(exitCode).toBe(0);
    expect(stdout.trim().split("\n")[1]).toBe(`ratio,${T0},,Bad`);
    expect(JSON.parse(stderr).missingInputs).toEqual([
      'input "y" of KPI "ratio": externalId "sensor:not-exported"',
    ]);
  });
});

describe("kpi-backfill evaluate: errors and exit codes", () => {
  it("exits 1 naming file and line of a bad row", async () => {
    const config = scratch.file("kpis.yaml", CONFIG);
    const points = scratch.file("points.csv", `${POINTS}\nsensor:x,abc,1,\n`);
    const { exitCode, stderr } = await evaluate(rangeArgs(config, points, "2024-01-01", "2024-01-02"));
    expect(exitCode).toBe(1);
    expect(stderr).toContain(`${points}:8: timestamp "abc" is not epoch ms or ISO 8601`);
  });

  it("exits 1 with kpi-core's path and reason for an invalid kpis.yaml", async () => {
    const config = scratch.file("kpis.yaml", CONFIG.replace("every: 1h", "every: 90x"));
    const points = scratch.file("points.csv", POINTS);
    const { exitCode, stderr } = await evaluate(rangeArgs(config, points, "2024-01-01", "2024-01-02"));
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(/kpis\[0\]\.window\.every/);
    expect(stderr).toContain("90x");
  });

  it("exits 1 with line and column for kpis.yaml that is not YAML", async () => {
    const config = scratch.file("kpis.yaml", "kpis:\n  - externalId: [unclosed\n");
    const points = scratch.file("points.csv", POINTS);
    const { exitCode, stderr } = await evaluate(rangeArgs(config, points, "2024-01-01", "2024-01-02"));
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(/kpis\.yaml:\d+:\d+: not valid YAML/);
  });

  const usage: Array<[string, (args: string[]) => string[], RegExp]> = [
    [
      "an unparseable --from",
      (a) => a.map((x) => (x === "2024-01-01T00:00:00Z" ? "yesterday" : x)),
      /--from "yesterday" is not epoch ms or ISO 8601/,
    ],
    [
      "--from not before --to",
      (a) => a.map((x) => (x === "2024-01-01T03:00:00Z" ? "2024-01-01T00:00:00Z" : x)),
      /--from .* must be before --to/,
    ],
    ["a missing --to", (a) => a.slice(0, -2), /missing --to/],
    [
      "a --config file that does not exist",
      (a) => ["--config", "nope.yaml", ...a.slice(2)],
      /--config nope\.yaml: no such file/,
    ],
    [
      "an --input with an unknown extension",
      (a) => [...a, "--input", scratch.file("points.txt", "")],
      /unknown file type; name it \*\.csv/,
    ],
    [
      "an --out directory that does not exist",
      (a) => [...a, "--out", join(scratch.dir(), "no/such/dir/r.csv")],
      /directory .* does not exist/,
    ],
    ["an unknown --format", (a) => [...a, "--format", "xml"], /format/],
    ["an unknown flag", (a) => [...a, "--frm", "x"], /unknown option '--frm'/],
  ];
  for (const [what, change, message] of usage) {
    it(`exits 2 for ${what}`, async () => {
      const { exitCode, stderr, stdout } = await evaluate(change(standardArgs()));
      expect(exitCode).toBe(2);
      expect(stderr).toMatch(message);
      expect(stdout).toBe("");
    });
  }

  it("leaves an existing result file untouched, and no temp file, when a run fails", async () => {
    const out = join(scratch.dir(), "results.csv");
    writeFileSync(out, "previous good result\n");
    const config = scratch.file("kpis.yaml", CONFIG);
    const points = scratch.file("points.csv", `${POINTS}\nsensor:x,2024-01-01T05:00:00Z,oops,\n`);
    const { exitCode } = await evaluate(
      rangeArgs(config, points, "2024-01-01", "2024-01-02", ["--out", out]),
    );
    expect(exitCode).toBe(1);
    expect(readFileSync(out, "utf8")).toBe("previous good result\n");
    expect(readdirSync(scratch.dir()).sort()).toEqual(["kpis.yaml", "points.csv", "results.csv"]);
  });

  it("prints errors as JSON on stderr with --json", async () => {
    const { exitCode, stderr } = await evaluate([...standardArgs(), "--from", "nonsense", "--json"]);
    expect(exitCode).toBe(2);
    expect(JSON.parse(stderr)).toEqual({ ok: false, exitCode: 2, error: expect.stringContaining("--from") });
  });

  it("exits 2 naming --config when evaluate gets no flags at all", async () => {
    const { exitCode, stderr } = await evaluate([]);
    expect(exitCode).toBe(2);
    expect(stderr).toMatch(/missing --config/);
  });
});

describe("kpi-backfill evaluate: terminal output", () => {
  it("prints a JSON summary on stderr with --json", async () => {
    const { stderr } = await evaluate([...standardArgs(), "--json"]);
    const summary = JSON.parse(stderr);
    expect(summary).toMatchObject({
      ok: true,
      kpis: 2,
      windows: 5,
      badWindows: 1,
      rows: 6,
      missingInputs: [],
      out: "-",
    });
    expect(summary.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("shows no progress when stderr is not a terminal", async () => {
    expect((await evaluate(standardArgs())).stderr).toBe("");
  });

  it("shows reading progress when stderr is a terminal", async () => {
    const { stderr } = await evaluate(standardArgs(), { stderrIsTTY: true });
    expect(stderr).toMatch(/reading .*points\.csv: 6 rows/);
  });

  it("shows how far a batched computation is on a terminal, and clears the line at the end", async () => {
    const options = resolveEvaluateOptions({
      config: scratch.file("kpis.yaml", CONFIG),
      input: [scratch.file("points.csv", POINTS)],
      from: "2024-01-01T00:00:00Z",
      to: "2024-01-01T03:00:00Z",
    });
    const io = capturedIo({ stderrIsTTY: true });
    await runEvaluate(options, io, { batchWindows: 1 });
    expect(io.stderrText()).toContain("computing KPI 1 of 2 (a:count): 1 of 5 windows written");
    expect(io.stderrText().endsWith("\r\x1b[2K")).toBe(true);
    const quiet = capturedIo();
    await runEvaluate(options, quiet, { batchWindows: 1 });
    expect(quiet.stderrText()).toBe("");
  });

  it("colours the error label on a terminal unless NO_COLOR is set", async () => {
    const bad = standardArgs().map((x) => (x === "2024-01-01T00:00:00Z" ? "nope" : x));
    expect((await evaluate(bad, { stderrIsTTY: true })).stderr).toContain("\x1b[31merror:");
    const plain = await evaluate(bad, { stderrIsTTY: true, env: { NO_COLOR: "1" } });
    expect(plain.stderr).toContain("kpi-backfill: error: --from");
    expect(plain.stderr).not.toContain("\x1b[");
  });

  it("shows real examples in --help and exits 0", async () => {
    const { exitCode, stdout } = await evaluate(["--help"]);
    expect(exitCode).toBe(0);
    expect(stdout).toContain("kpi-backfill evaluate --config examples/kpis.yaml --input examples/points.csv");
    expect(stdout).toContain("--allow-missing");
  });
});

describe("kpi-backfill evaluate: results in bounded batches", () => {
  // KPIs on three grids (10 min, 1 h, Oslo days) over one input with cleaning that looks beyond a
  // window (a spike filter over neighbours, flatline runs of any length) and interpolation that
  // reads the points outside it: the cases where a batch could differ from one pass.
  const config = `
defaults: { timeZone: Europe/Oslo }
kpis:
  - externalId: mean-10m
    window: { every: 10m }
    start: 2024-03-30T00:00:00Z
    inputs:
      x: { externalId: s, clean: [{ spike: { window: 5, k: 2 } }, { flatline: { duration: 30m } }], maxGap: 45m }
    value: twa(x)
  - externalId: count-1h
    window: { every: 1h }
    start: 2024-03-30T00:00:00Z
    inputs:
      x: { externalId: s }
    value: count(x) + max(x)
  - externalId: integral-1d
    window: { every: 1d }
    start: "2024-03-30"
    inputs:
      x: { externalId: s, step: true }
    value: integral(x, "h")
`;
  const from = Date.UTC(2024, 2, 29, 22);
  const to = Date.UTC(2024, 3, 2);

  async function evaluateWith(points: string, batchWindows: number | undefined): Promise<string> {
    const options = resolveEvaluateOptions({
      config: scratch.file("kpis.yaml", config),
      input: [scratch.file("points.csv", points)],
      from: String(from),
      to: String(to),
      allowMissing: true,
    });
    const io = capturedIo();
    await runEvaluate(options, io, { batchWindows });
    return io.stdoutText();
  }

  it("gives exactly the rows of one pass, whatever the batch size", async () => {
    const point = fc.record({
      t: fc.integer({ min: from - 6 * H, max: to + 6 * H }),
      v: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constant(3), fc.constant(1e6)),
      bad: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(point, { maxLength: 120 }),
        fc.integer({ min: 1, max: 40 }),
        async (points, size) => {
          const csv = [
            "externalId,timestamp,value,status",
            ...points.map((p) => `s,${p.t},${p.v},${p.bad ? "Bad" : ""}`),
          ].join("\n");
          const onePass = await evaluateWith(csv, Number.POSITIVE_INFINITY);
          expect(onePass.split("\n").length).toBeGreaterThan(500);
          expect(await evaluateWith(csv, size)).toBe(onePass);
        },
      ),
      { numRuns: 25 },
    );
  });
});

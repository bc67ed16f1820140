import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The real process: shebang entry, argv, exit codes and stdout, run from source through tsx
// with the "source" condition (so no build is needed and workspace packages resolve to src/).
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));

function kpiBackfill(...args: string[]) {
  const run = spawnSync(process.execPath, ["--conditions", "source", "--import", "tsx", CLI, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
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
});

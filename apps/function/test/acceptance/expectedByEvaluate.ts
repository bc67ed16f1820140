import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import type { SeriesRef } from "@kpi-pipeline/kpi-core";
import type { KpiRow } from "./kpiRow.js";
import { readAllPoints } from "./readAllPoints.js";

const run = promisify(execFile);

/** The kpi-backfill command as a user runs it (built by `pnpm build`, which `pnpm test` runs first). */
const KPI_BACKFILL = fileURLToPath(new URL("../../../backfill/bin/kpi-backfill.js", import.meta.url));

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * What every KPI must hold: the inputs as they finally are in the emulator, exported to CSV, and
 * `kpi-backfill evaluate` over them for every window in [from, to). Keyed by KPI output key,
 * rows in time order.
 */
export async function expectedByEvaluate(
  t: Pick<TestEmulator, "emulator" | "client">,
  options: { configPath: string; inputs: readonly SeriesRef[]; from: number; to: number },
): Promise<Map<string, KpiRow[]>> {
  const dir = await mkdtemp(join(tmpdir(), "kpi-acceptance-"));
  try {
    const lines = ["externalId,space,timestamp,value,status"];
    for (const ref of options.inputs) {
      const [space, externalId] =
        "instanceId" in ref ? [ref.instanceId.space, ref.instanceId.externalId] : ["", ref.externalId];
      for (const p of await readAllPoints(t, ref))
        lines.push(`${csvField(externalId)},${csvField(space)},${p.timestamp},${p.value ?? ""},${p.status}`);
    }
    const input = join(dir, "inputs.csv");
    const out = join(dir, "expected.jsonl");
    await writeFile(input, `${lines.join("\n")}\n`);
    await run(process.execPath, [
      KPI_BACKFILL,
      "evaluate",
      "--config",
      options.configPath,
      "--input",
      input,
      "--allow-missing",
      "--from",
      String(options.from),
      "--to",
      String(options.to),
      "--out",
      out,
    ]);
    const expected = new Map<string, KpiRow[]>();
    for (const line of (await readFile(out, "utf8")).split("\n")) {
      if (line === "") continue;
      const row = JSON.parse(line) as {
        externalId: string;
        timestamp: number;
        value: number | null;
        status: string;
      };
      const rows = expected.get(row.externalId) ?? [];
      rows.push([row.timestamp, row.value, row.status === "Good" ? "Good" : "Bad"]);
      expected.set(row.externalId, rows);
    }
    for (const rows of expected.values()) rows.sort((a, b) => a[0] - b[0]);
    return expected;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

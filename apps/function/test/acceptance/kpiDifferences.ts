import type { KpiRow } from "./kpiRow.js";

/**
 * Where the outputs differ from the expected rows, one line per KPI that differs: windows missing
 * (holes), windows that should not be there, and windows with another value or status, with the
 * first few of each. Empty when every KPI holds exactly what it should.
 */
export function kpiDifferences(
  outputs: ReadonlyMap<string, readonly KpiRow[]>,
  expected: ReadonlyMap<string, readonly KpiRow[]>,
): string[] {
  const lines: string[] = [];
  const keys = [...new Set([...outputs.keys(), ...expected.keys()])].sort();
  const iso = (ms: number) => new Date(ms).toISOString();
  for (const key of keys) {
    const got = new Map((outputs.get(key) ?? []).map((r) => [r[0], r]));
    const want = new Map((expected.get(key) ?? []).map((r) => [r[0], r]));
    const missing = [...want.keys()].filter((ts) => !got.has(ts));
    const extra = [...got.keys()].filter((ts) => !want.has(ts));
    const wrong = [...want.values()].filter((w) => {
      const g = got.get(w[0]);
      return g !== undefined && !(g[1] === w[1] && g[2] === w[2]);
    });
    if (missing.length + extra.length + wrong.length === 0) continue;
    const parts: string[] = [];
    if (missing.length > 0)
      parts.push(
        `${missing.length} missing (${missing.slice(0, 3).map(iso).join(", ")}${missing.length > 3 ? ", ..." : ""})`,
      );
    if (extra.length > 0)
      parts.push(
        `${extra.length} not expected (${extra.slice(0, 3).map(iso).join(", ")}${extra.length > 3 ? ", ..." : ""})`,
      );
    if (wrong.length > 0)
      parts.push(
        `${wrong.length} wrong (${wrong
          .slice(0, 3)
          .map(
            (w) =>
              `${iso(w[0])}: ${JSON.stringify(got.get(w[0])!.slice(1))} instead of ${JSON.stringify(w.slice(1))}`,
          )
          .join("; ")}${wrong.length > 3 ? "; ..." : ""})`,
      );
    lines.push(`${key}: ${parts.join(", ")}`);
  }
  return lines;
}

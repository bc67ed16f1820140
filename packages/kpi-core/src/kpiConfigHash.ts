import { formatExpression, inputsOf } from "./expression.js";
import type { KpiDefinition } from "./kpiDefinition.js";

/**
 * The version of what the engine makes of a definition. Bump it with every change that can give
 * an existing definition other numbers (a clean rule, an aggregate, reading), so every KPI's hash
 * changes and each is recomputed. 2: Hampel with MAD 0 keeps values that repeat in the window.
 * 3: round() rounds the decimal as written (round(1.005, 2) = 1.01, was 1).
 */
export const ENGINE_SEMANTICS_VERSION = 3;

/**
 * A stable hash of what decides a KPI's numbers: the engine's semantics version, the window grid
 * (and its time zone, canonical, when calendar), start, and each input the expression uses
 * (series, cleaning, maxGap, step, counter, uncertain) in the expression's canonical form with
 * inputs named by position. Not name, description, unit or settle (they change no number), not
 * input names or unused inputs, not spacing in `value`, not how a zone is spelled (UTC, Etc/UTC).
 * A maxGap written out equal to the default still changes the hash unless the input says
 * `step: true`: the default depends on whether the CDF series is a step series, which a
 * definition alone does not know. A changed hash means the KPI must be recomputed (design.md).
 */
export function kpiConfigHash(definition: Omit<KpiDefinition, "configHash">): string {
  const used = inputsOf(definition.expression);
  const byName = new Map(definition.inputs.map((input) => [input.name, input]));
  const window =
    definition.window.kind === "fixed"
      ? { kind: "fixed", everyMs: definition.window.everyMs, offsetMs: definition.window.offsetMs }
      : { ...definition.window, timeZone: canonicalZone(definition.window.timeZone) };
  const material = {
    version: ENGINE_SEMANTICS_VERSION,
    window,
    startMs: definition.startMs ?? null,
    inputs: used.map((name) => {
      const input = byName.get(name)!;
      return {
        series: input.series,
        clean: input.clean,
        maxGapMs: input.maxGapMs ?? null,
        step: input.step,
        counter: input.counter,
        uncertain: input.uncertain,
      };
    }),
    expression: formatExpression(definition.expression, (name) => `$${used.indexOf(name)}`),
  };
  return fnv1a64(canonicalJson(material));
}

/** One spelling per zone (UTC, Etc/UTC, utc and Zulu are one zone), as the runtime's ICU names it. */
function canonicalZone(name: string): string {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return name;
  }
}

/** JSON with object keys sorted, so equal values give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = 0xffffffffffffffffn;

/** FNV-1a, 64 bit, over the UTF-8 bytes: small, pure, stable across runtimes (not cryptographic). */
function fnv1a64(text: string): string {
  let hash = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * FNV_PRIME) & MASK_64;
  }
  return hash.toString(16).padStart(16, "0");
}

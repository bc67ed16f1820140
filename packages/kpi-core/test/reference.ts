// A deliberately simple, slow reference for kpi-core's numbers, written straight from design.md
// ("Semantics") and, where design.md is silent, the README's "KPI semantics" (integral has no value
// when nothing is covered; Uncertain points are dropped unless asked for). It shares no code with
// src/: plain arrays, one scan per question, and exact rational arithmetic (BigInt) for every
// intermediate, so the only rounding is the final conversion to a double (and stddev's sqrt).
// reference.test.ts compares kpi-core against it over random data.

// ---------------------------------------------------------------------------------------------
// Exact rationals. A finite double is a dyadic rational, so values and timestamps convert exactly.

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** num / den, den > 0, in lowest terms. */
export class Q {
  readonly num: bigint;
  readonly den: bigint;

  constructor(num: bigint, den = 1n) {
    if (den === 0n) throw new RangeError("division by zero");
    if (den < 0n) {
      num = -num;
      den = -den;
    }
    const g = gcd(num, den);
    this.num = g > 1n ? num / g : num;
    this.den = g > 1n ? den / g : den;
  }

  /** The exact value of a finite double. */
  static of(x: number): Q {
    if (!Number.isFinite(x)) throw new RangeError(`not finite: ${x}`);
    let k = 0;
    let scaled = x;
    // Multiplying by 2 is exact; every finite double becomes an integer after at most 1074 steps.
    while (!Number.isInteger(scaled)) {
      scaled *= 2;
      k++;
    }
    return new Q(BigInt(scaled), 2n ** BigInt(k));
  }

  add(o: Q): Q {
    return new Q(this.num * o.den + o.num * this.den, this.den * o.den);
  }
  sub(o: Q): Q {
    return new Q(this.num * o.den - o.num * this.den, this.den * o.den);
  }
  mul(o: Q): Q {
    return new Q(this.num * o.num, this.den * o.den);
  }
  div(o: Q): Q {
    return new Q(this.num * o.den, this.den * o.num);
  }
  cmp(o: Q): number {
    const d = this.num * o.den - o.num * this.den;
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  }
  lt(o: Q): boolean {
    return this.cmp(o) < 0;
  }
  gt(o: Q): boolean {
    return this.cmp(o) > 0;
  }
  eq(o: Q): boolean {
    return this.cmp(o) === 0;
  }
  floor(): bigint {
    const q = this.num / this.den; // truncates toward zero
    return this.num < 0n && q * this.den !== this.num ? q - 1n : q;
  }

  /** The nearest double (within one ulp; enough for a 1e-9 comparison). */
  toNumber(): number {
    if (this.num === 0n) return 0;
    const negative = this.num < 0n;
    const n = negative ? -this.num : this.num;
    // Scale so the integer quotient has about 64 significant bits, then undo the scale.
    const k = bitLength(this.den) - bitLength(n) + 64;
    const q = k >= 0 ? (n << BigInt(k)) / this.den : n / (this.den << BigInt(-k));
    let r = Number(q);
    let e = -k;
    while (e > 500) {
      r *= 2 ** 500;
      e -= 500;
    }
    while (e < -500) {
      r *= 2 ** -500;
      e += 500;
    }
    r *= 2 ** e;
    return negative ? -r : r;
  }
}

const ZERO = new Q(0n);
const qi = (n: number | bigint): Q => new Q(BigInt(n));

// ---------------------------------------------------------------------------------------------
// Cleaning

export interface RawPoint {
  timestamp: number;
  /** null: a point without value. NaN and ±Infinity are allowed (and dropped). */
  value: number | null;
  status: number;
}

/** A clean step, as kpis.yaml normalizes it. */
export type ReferenceCleanStep =
  | { range: readonly [number, number] }
  | { spike: { window: number; k: number } }
  | { flatline: { durationMs: number } };

export interface ReferenceInput {
  clean: readonly ReferenceCleanStep[];
  /** undefined: the default (linear 1 h, step unlimited). */
  maxGapMs: number | undefined;
  step: boolean;
  includeUncertain: boolean;
}

/** A kept point. */
export interface Kept {
  t: number;
  v: number;
}

const UNCERTAIN = 0x40000000;
const BAD = 0x80000000;

/** Dedupe (last written wins), status filter, non-finite drop, clean steps; sorted by time. */
export function referenceClean(raw: readonly RawPoint[], input: ReferenceInput): Kept[] {
  // 1. De-duplication before anything else: for each timestamp, the last point written.
  const lastWritten = new Map<number, RawPoint>();
  for (const p of raw) lastWritten.set(p.timestamp, p);
  const unique = [...lastWritten.values()].sort((a, b) => a.timestamp - b.timestamp);
  const kept: Kept[] = [];
  for (const p of unique) {
    // 2. Status: Good always, Uncertain only when asked, Bad never.
    const good = p.status < UNCERTAIN;
    const uncertain = p.status >= UNCERTAIN && p.status < BAD;
    if (!(good || (uncertain && input.includeUncertain))) continue;
    // 3. Empty or non-finite values.
    if (p.value === null || !Number.isFinite(p.value)) continue;
    kept.push({ t: p.timestamp, v: p.value });
  }
  // 4. Clean steps in order, each on the previous one's output.
  let out = kept;
  for (const step of input.clean) {
    if ("range" in step) {
      const [lo, hi] = step.range;
      out = out.filter((p) => lo <= p.v && p.v <= hi);
    } else if ("spike" in step) {
      out = hampel(out, step.spike.window, step.spike.k);
    } else {
      out = flatline(out, step.flatline.durationMs);
    }
  }
  return out;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

/**
 * Hampel, in doubles as the rule is stated: for each point the `window` points centred on it
 * (cut at the ends), median m, MAD = median |x - m|; dropped when |v - m| > k * 1.4826 * MAD, or,
 * when MAD is 0, when v != m and no other point of the window has the value v.
 */
function hampel(points: readonly Kept[], window: number, k: number): Kept[] {
  const half = (window - 1) / 2;
  return points.filter((p, i) => {
    const around = points.slice(Math.max(0, i - half), i + half + 1).map((q) => q.v);
    const m = median(around);
    const mad = median(around.map((x) => Math.abs(x - m)));
    if (mad > 0) return !(Math.abs(p.v - m) > k * 1.4826 * mad);
    return p.v === m || around.filter((x) => x === p.v).length > 1;
  });
}

/** Flatline: in each run of equal consecutive values lasting longer than d, only the first stays. */
function flatline(points: readonly Kept[], durationMs: number): Kept[] {
  const out: Kept[] = [];
  let i = 0;
  while (i < points.length) {
    let j = i;
    while (j + 1 < points.length && points[j + 1]!.v === points[i]!.v) j++;
    const run = points.slice(i, j + 1);
    out.push(...(run[run.length - 1]!.t - run[0]!.t > durationMs ? [run[0]!] : run));
    i = j + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The interpolant: a list of pieces on which f is linear (step pieces are flat).

/** f on [a, b] (a < b, ms) goes linearly from fa to fb. */
interface Piece {
  a: Q;
  b: Q;
  fa: Q;
  fb: Q;
}

export const DEFAULT_LINEAR_MAX_GAP_MS = 3_600_000;

/** The covered pieces of f inside [start, end). */
function pieces(kept: readonly Kept[], input: ReferenceInput, start: number, end: number): Piece[] {
  const s = qi(start);
  const e = qi(end);
  const out: Piece[] = [];
  const clip = (from: Q, to: Q, f: (t: Q) => Q) => {
    const a = from.gt(s) ? from : s;
    const b = to.lt(e) ? to : e;
    if (a.lt(b)) out.push({ a, b, fa: f(a), fb: f(b) });
  };
  for (let i = 0; i < kept.length; i++) {
    const ti = qi(kept[i]!.t);
    const vi = Q.of(kept[i]!.v);
    const next = kept[i + 1];
    if (input.step) {
      // v_i holds from t_i until the next point, but for at most maxGap (default unlimited).
      let holdEnd: Q | undefined = next === undefined ? undefined : qi(next.t);
      if (input.maxGapMs !== undefined) {
        const limit = ti.add(qi(input.maxGapMs));
        if (holdEnd === undefined || limit.lt(holdEnd)) holdEnd = limit;
      }
      clip(ti, holdEnd ?? e, () => vi);
    } else {
      // Linear between consecutive points, covered iff t_j - t_i <= maxGap; never extrapolated.
      if (next === undefined) continue;
      const maxGap = input.maxGapMs ?? DEFAULT_LINEAR_MAX_GAP_MS;
      if (next.t - kept[i]!.t > maxGap) continue;
      const tj = qi(next.t);
      const vj = Q.of(next.v);
      clip(ti, tj, (t) => vi.add(vj.sub(vi).mul(t.sub(ti)).div(tj.sub(ti))));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Aggregates

export type ReferenceAggregate =
  | { fn: "twa" | "coverage" | "mean" | "min" | "max" | "sum" | "count" | "first" | "last" | "stddev" }
  | { fn: "delta" }
  | { fn: "integral"; unit: "s" | "m" | "h" | "d" }
  | { fn: "percentile"; p: number }
  | { fn: "timeAbove" | "timeBelow" | "timeEqual"; c: number };

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;
const MS_PER_S = qi(1000);

/** Seconds of [a, b] where the linear piece is above (sign 1), below (-1) or equal (0) to c. */
function timeWhere(piece: Piece, c: Q, sign: -1 | 0 | 1): Q {
  const length = piece.b.sub(piece.a);
  const da = piece.fa.cmp(c);
  const db = piece.fb.cmp(c);
  if (sign === 0) return da === 0 && db === 0 ? length : ZERO;
  const inA = da === sign;
  const inB = db === sign;
  if (inA && inB) return length;
  if (!inA && !inB) return ZERO;
  // Exactly one end is strictly on the wanted side: the crossing is where f = c.
  const fraction = c.sub(piece.fa).div(piece.fb.sub(piece.fa));
  const crossing = fraction.mul(length);
  return inA ? crossing : length.sub(crossing);
}

/** The aggregate over [start, end) as an exact rational (stddev: its variance), or undefined (no value). */
function exact(
  kept: readonly Kept[],
  input: ReferenceInput,
  agg: ReferenceAggregate,
  start: number,
  end: number,
): Q | undefined {
  const inside = kept.filter((p) => start <= p.t && p.t < end).map((p) => Q.of(p.v));
  const windowMs = qi(end - start);
  switch (agg.fn) {
    case "twa":
    case "integral":
    case "coverage":
    case "timeAbove":
    case "timeBelow":
    case "timeEqual": {
      const ps = pieces(kept, input, start, end);
      let coveredMs = ZERO;
      let integralValueMs = ZERO;
      for (const p of ps) {
        const len = p.b.sub(p.a);
        coveredMs = coveredMs.add(len);
        integralValueMs = integralValueMs.add(p.fa.add(p.fb).mul(len).div(qi(2)));
      }
      if (agg.fn === "coverage") return coveredMs.div(windowMs);
      if (agg.fn === "twa") return coveredMs.eq(ZERO) ? undefined : integralValueMs.div(coveredMs);
      if (agg.fn === "integral") {
        return coveredMs.eq(ZERO) ? undefined : integralValueMs.div(MS_PER_S).div(qi(UNIT_SECONDS[agg.unit]));
      }
      if (agg.fn !== "timeAbove" && agg.fn !== "timeBelow" && agg.fn !== "timeEqual") throw new Error(agg.fn);
      const c = Q.of(agg.c);
      const sign = agg.fn === "timeAbove" ? 1 : agg.fn === "timeBelow" ? -1 : 0;
      let ms = ZERO;
      for (const p of ps) ms = ms.add(timeWhere(p, c, sign));
      return ms.div(MS_PER_S);
    }
    case "count":
      return qi(inside.length);
    case "delta": {
      if (inside.length === 0) return undefined;
      const before = kept.filter((p) => p.t < start).at(-1);
      const walk = before === undefined ? inside : [Q.of(before.v), ...inside];
      if (walk.length < 2) return undefined;
      let sum = ZERO;
      for (let k = 1; k < walk.length; k++) {
        const vi = walk[k - 1]!;
        const vj = walk[k]!;
        sum = sum.add(vj.cmp(vi) >= 0 ? vj.sub(vi) : vj);
      }
      return sum;
    }
    default:
      break;
  }
  if (inside.length === 0) return undefined;
  const n = qi(inside.length);
  const sum = inside.reduce((acc, v) => acc.add(v), ZERO);
  const mean = sum.div(n);
  switch (agg.fn) {
    case "mean":
      return mean;
    case "sum":
      return sum;
    case "min":
      return inside.reduce((m, v) => (v.lt(m) ? v : m));
    case "max":
      return inside.reduce((m, v) => (v.gt(m) ? v : m));
    case "first":
      return inside[0];
    case "last":
      return inside.at(-1);
    case "stddev":
      return inside.reduce((acc, v) => acc.add(v.sub(mean).mul(v.sub(mean))), ZERO).div(n);
    case "percentile": {
      const sorted = [...inside].sort((x, y) => x.cmp(y));
      const h = qi(inside.length - 1)
        .mul(Q.of(agg.p))
        .div(qi(100));
      const lo = Number(h.floor());
      const x0 = sorted[lo]!;
      const x1 = sorted[Math.min(lo + 1, sorted.length - 1)]!;
      return x0.add(h.sub(qi(lo)).mul(x1.sub(x0)));
    }
  }
}

/** The aggregate of the kept points over the window [start, end); undefined is "no value". */
export function referenceAggregate(
  kept: readonly Kept[],
  input: ReferenceInput,
  agg: ReferenceAggregate,
  start: number,
  end: number,
): number | undefined {
  const q = exact(kept, input, agg, start, end);
  if (q === undefined) return undefined;
  return agg.fn === "stddev" ? Math.sqrt(q.toNumber()) : q.toNumber();
}

// Request faults injected by path pattern: a 429/5xx answer, added latency, or a dropped
// connection, before any handler runs; or, with `afterApply`, a 5xx or a dropped connection after
// the handler has applied the request. They let tests prove that clients back off on 429, retry
// what CDF allows them to retry, survive a connection reset (which the SDK never retries), and
// cope with a retry that meets its own first attempt (a 409, or points written twice).

import { CdfError } from "./context.js";

export interface PathFaultSpec {
  /** A glob (`*` any characters, `?` one) matched against the whole path, or a regex written `/.../` or starting with `^`. */
  path: string;
  method?: string;
  status?: 429 | 500 | 502 | 503;
  /** Chance (0-1) that a matching request is hit; default 1. */
  probability?: number;
  /** Hit at most this many requests, then the fault is spent. */
  count?: number;
  latencyMs?: number;
  /** Destroy the socket instead of answering. */
  drop?: boolean;
  /**
   * Let the handler apply the request first, then answer `status` (500/502/503) or drop the
   * connection: the client sees a failure for a request that took effect, as when CDF's gateway
   * times out after the write landed.
   */
  afterApply?: boolean;
}

export interface PathFault extends PathFaultSpec {
  id: number;
  hits: number;
}

export interface FaultDecision {
  latencyMs: number;
  status?: number;
  drop: boolean;
  /** What replaces the handler's answer once it has run (`afterApply` faults). */
  afterApply?: { status?: number; drop: boolean };
}

const STATUS_MESSAGES: Record<number, string> = {
  429: "Project exceeded maximum number='50' of concurrent requests. Please try again later.",
  500: "Internal server error (injected by the emulator's fault control).",
  502: "Bad gateway (injected by the emulator's fault control).",
  503: "Service unavailable (injected by the emulator's fault control). Please try again later.",
};

export class PathFaults {
  readonly #faults: Array<PathFault & { matcher: RegExp }> = [];
  #nextId = 1;
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  add(spec: PathFaultSpec): PathFault {
    if (typeof spec.path !== "string" || spec.path.length === 0) {
      throw new CdfError(
        400,
        "A path fault needs `path`: a glob like '*/timeseries/data/list' or a regex like '^/api/.*/data$'.",
      );
    }
    if (spec.status !== undefined && ![429, 500, 502, 503].includes(spec.status)) {
      throw new CdfError(400, `Fault status must be 429, 500, 502 or 503 (got ${spec.status}).`);
    }
    if (spec.afterApply && spec.status === undefined && !spec.drop) {
      throw new CdfError(400, "An afterApply fault needs `status` (500, 502 or 503) or `drop: true`.");
    }
    if (spec.afterApply && spec.status === 429) {
      // CDF's 429 means "not done, try again"; a 429 for an applied request would teach clients a wrong lesson.
      throw new CdfError(
        400,
        "An afterApply fault answers 500, 502 or 503, not 429 (CDF does not apply a request it throttles).",
      );
    }
    if (spec.status === undefined && !spec.drop && !spec.latencyMs) {
      throw new CdfError(400, "A path fault must do something: set `status`, `latencyMs` or `drop: true`.");
    }
    if (spec.probability !== undefined && !(spec.probability >= 0 && spec.probability <= 1)) {
      throw new CdfError(400, `Fault probability must be between 0 and 1 (got ${spec.probability}).`);
    }
    let matcher: RegExp;
    try {
      matcher = toMatcher(spec.path);
    } catch (e) {
      throw new CdfError(400, `Fault path '${spec.path}' is not a valid regex: ${(e as Error).message}`);
    }
    const fault = { ...spec, id: this.#nextId++, hits: 0, matcher };
    this.#faults.push(fault);
    return publicFault(fault);
  }

  list(): PathFault[] {
    return this.#faults.map(publicFault);
  }

  clear(): void {
    this.#faults.length = 0;
  }

  /**
   * Decide what happens to a request; each matching fault with budget left may fire. `afterApply`
   * faults are drawn only when no other fault stops the request first: a request that is never
   * applied cannot be failed after applying, and must not spend their count.
   */
  decide(method: string, paths: string[]): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0, drop: false };
    const fires = (fault: PathFault & { matcher: RegExp }) => {
      if (fault.method && fault.method.toUpperCase() !== method) return false;
      if (!paths.some((p) => fault.matcher.test(p))) return false;
      if (fault.count !== undefined && fault.hits >= fault.count) return false;
      if (fault.probability !== undefined && this.#random() >= fault.probability) return false;
      fault.hits++;
      decision.latencyMs += fault.latencyMs ?? 0;
      return true;
    };
    for (const fault of this.#faults) {
      if (fault.afterApply || !fires(fault)) continue;
      if (fault.drop) decision.drop = true;
      if (fault.status !== undefined && decision.status === undefined) decision.status = fault.status;
    }
    if (decision.drop || decision.status !== undefined) return decision;
    for (const fault of this.#faults) {
      if (!fault.afterApply || !fires(fault)) continue;
      const after = (decision.afterApply ??= { drop: false });
      if (fault.drop) after.drop = true;
      if (fault.status !== undefined && after.status === undefined) after.status = fault.status;
    }
    return decision;
  }

  static errorFor(status: number): CdfError {
    return new CdfError(status, STATUS_MESSAGES[status] ?? `Injected fault ${status}.`);
  }

  /** The answer of an `afterApply` fault: says (for whoever reads logs) that the request did take effect. */
  static afterApplyErrorFor(status: number): CdfError {
    const message = STATUS_MESSAGES[status] ?? `Injected fault ${status}.`;
    return new CdfError(status, `${message} (The request was applied before this error was injected.)`);
  }
}

function publicFault(fault: PathFault & { matcher: RegExp }): PathFault {
  const { matcher: _matcher, ...rest } = fault;
  return rest;
}

function toMatcher(pattern: string): RegExp {
  if (pattern.startsWith("/") && pattern.endsWith("/") && pattern.length > 1)
    return new RegExp(pattern.slice(1, -1));
  if (pattern.startsWith("^")) return new RegExp(pattern);
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`);
}

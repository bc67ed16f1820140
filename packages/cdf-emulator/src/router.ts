// Matches request paths against Express-style patterns (`/functions/:id/calls/:callId`).
// Static segments win over `:param` segments at the same depth, so `/timeseries/list` is never
// taken for `/timeseries/:id`, whatever order the modules registered their routes in.

import type { HttpMethod } from "./context.js";

export interface RouteMatch<T> {
  route: T;
  params: Record<string, string>;
}

interface CompiledRoute<T> {
  method: HttpMethod;
  pattern: string;
  segments: string[];
  route: T;
}

export class Router<T> {
  readonly #routes: CompiledRoute<T>[] = [];

  add(method: HttpMethod, pattern: string, route: T): void {
    const segments = splitPath(pattern);
    const duplicate = this.#routes.find(
      (r) => r.method === method && r.segments.join("/") === segments.join("/"),
    );
    if (duplicate)
      throw new Error(`router: ${method} ${pattern} is registered twice (first as ${duplicate.pattern})`);
    this.#routes.push({ method, pattern, segments, route });
  }

  /** The best route for the path, or `methodMismatch` when the path exists for other methods only. */
  match(method: string, path: string): { found?: RouteMatch<T>; methodMismatch: boolean } {
    const parts = splitPath(path);
    let best: { route: CompiledRoute<T>; params: Record<string, string>; score: number } | undefined;
    let methodMismatch = false;
    for (const candidate of this.#routes) {
      const params = matchSegments(candidate.segments, parts);
      if (!params) continue;
      if (candidate.method !== method) {
        methodMismatch = true;
        continue;
      }
      const score = candidate.segments.filter((s) => !s.startsWith(":")).length;
      if (!best || score > best.score) best = { route: candidate, params, score };
    }
    return best
      ? { found: { route: best.route.route, params: best.params }, methodMismatch: false }
      : { methodMismatch };
  }
}

function splitPath(path: string): string[] {
  return path.split("/").filter((s) => s.length > 0);
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const part = parts[i] as string;
    if (p.startsWith(":")) {
      try {
        params[p.slice(1)] = decodeURIComponent(part);
      } catch {
        return undefined;
      }
    } else if (p !== part) {
      return undefined;
    }
  }
  return params;
}

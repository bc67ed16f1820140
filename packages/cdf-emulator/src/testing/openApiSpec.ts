// Cognite's OpenAPI document is vendored in this package (`openapi/openapi.json`; origin and
// license in `openapi/README.md`). We find it by walking up from this module, so the same code
// works from src/ (tests) and from dist/ (the built package).

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const relativeSpecPath = join("openapi", "openapi.json");

/**
 * Where Cognite's OpenAPI document is: `$CDF_OPENAPI` if set (to try a newer snapshot), else the
 * first ancestor of `startDir` (default: this module's folder) that holds `openapi/openapi.json`.
 */
export function findOpenApiSpec(startDir: string = dirname(fileURLToPath(import.meta.url))): string {
  const override = process.env["CDF_OPENAPI"];
  if (override) {
    if (!existsSync(override)) {
      throw new Error(
        `CDF_OPENAPI points to ${override}, which does not exist: set it to Cognite's openapi.json or unset it`,
      );
    }
    return resolve(override);
  }
  let dir = resolve(startDir);
  for (;;) {
    const candidate = join(dir, relativeSpecPath);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(
    `Cognite's OpenAPI document was not found: no ancestor of ${startDir} holds ${relativeSpecPath}. ` +
      "It ships in @kpi-pipeline/cdf-emulator (restore packages/cdf-emulator/openapi/openapi.json) or set CDF_OPENAPI to its path.",
  );
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

const loaded = new Map<string, OpenApiDocument>();

/** Parse the document once per process (it is 3.6 MB). */
export function loadOpenApiSpec(path: string = findOpenApiSpec()): OpenApiDocument {
  let spec = loaded.get(path);
  if (!spec) {
    spec = JSON.parse(readFileSync(path, "utf8")) as OpenApiDocument;
    if (typeof spec !== "object" || spec === null || typeof spec.paths !== "object") {
      throw new Error(
        `${path} is not an OpenAPI document (no "paths"): point CDF_OPENAPI at Cognite's openapi.json`,
      );
    }
    loaded.set(path, spec);
  }
  return spec;
}

// Cognite's OpenAPI document is not part of the repository: it lives in `shared/cdf/openapi.json`
// beside the checkout (locally /work/shared, in CI a copy next to the clone). We find it by
// walking up from this package, so the same code works wherever the repo is cloned.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const relativeSpecPath = join("shared", "cdf", "openapi.json");

/**
 * Where Cognite's OpenAPI document is: `$CDF_OPENAPI` if set, else the first ancestor of `startDir`
 * (default: this package) that contains `shared/cdf/openapi.json`.
 */
export function findOpenApiSpec(startDir: string = dirname(fileURLToPath(import.meta.url))): string {
  const override = process.env["CDF_OPENAPI"];
  if (override) {
    if (!existsSync(override)) {
      throw new Error(
        `CDF_OPENAPI points to ${override}, which does not exist: set it to Cognite's openapi.json`,
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
    `Cognite's OpenAPI document was not found: no ancestor of ${startDir} contains ${relativeSpecPath}. ` +
      "Copy shared/ beside the repository (as CI does) or set CDF_OPENAPI to the path of openapi.json.",
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

// What the package's shipped code imports must be declared where a consumer's install provides
// it: `dependencies`, or for `./testing` (which builds a CogniteClient of the caller's SDK) also
// `peerDependencies`. devDependencies are not installed for consumers.

import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Package names of the bare specifiers a file imports or requires (`ajv/dist/2020.js` is `ajv`). */
function packagesImportedBy(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [
    ...text.matchAll(/\bfrom\s+"([^"]+)"/g),
    ...text.matchAll(/\bimport\("([^"]+)"\)/g),
    ...text.matchAll(/\brequire\("([^"]+)"\)/g),
  ].map((m) => m[1] as string);
  return specifiers
    .filter((s) => !s.startsWith(".") && !s.startsWith("node:"))
    .map((s) => (s.startsWith("@") ? s.split("/").slice(0, 2).join("/") : (s.split("/")[0] as string)));
}

describe("declared dependencies", () => {
  const files = sourceFiles(join(root, "src"));

  it("finds the sources it checks", () => {
    expect(files.length).toBeGreaterThan(50);
    expect(packagesImportedBy(join(root, "src", "testing", "contract.ts"))).toContain("ajv");
  });

  it("src/ outside testing/ imports only `dependencies`", () => {
    const undeclared = files
      .filter((f) => !relative(root, f).startsWith(join("src", "testing")))
      .flatMap((f) => packagesImportedBy(f).map((p) => ({ file: relative(root, f), p })))
      .filter(({ p }) => manifest.dependencies?.[p] === undefined);
    expect(undeclared).toEqual([]);
  });

  it("src/testing imports only `dependencies` and `peerDependencies`", () => {
    const undeclared = files
      .filter((f) => relative(root, f).startsWith(join("src", "testing")))
      .flatMap((f) => packagesImportedBy(f).map((p) => ({ file: relative(root, f), p })))
      .filter(
        ({ p }) => manifest.dependencies?.[p] === undefined && manifest.peerDependencies?.[p] === undefined,
      );
    expect(undeclared).toEqual([]);
  });
});

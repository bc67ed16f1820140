#!/usr/bin/env node
// The repository stands alone: a plain clone, with nothing beside it, must build, test and run.
// This check fails when a tracked file points outside the checkout: a relative path that climbs
// above the repository root, an absolute path into the machine it was written on, or a reference
// to the team's notebook (the `shared/` folder some checkouts have beside them).
// Usage: node scripts/checkSelfContained.mjs [repoRoot]   (exit 1 and one line per finding)

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Names that only exist in the team's notebook beside some checkouts. */
const NOTEBOOK = /(?<![\w-])(?:shared\/(?:cdf|design|style|hooks)\b|facts\.md\b)/;
/** A relative path with at least one `..` step, as written in code, docs or config. */
const CLIMB = /(?<![\w.])((?:\.\.\/)+)([\w.@-][\w./@-]*)?/g;
/** Absolute paths into a developer's or CI's machine. */
const MACHINE = /(?<![\w.])\/(?:work|root|home|tmp\/bash_jobs)\/[\w.-]+/;

/** Every finding in one file's text, as `path:line: reason`. */
export function findingsIn(repoRoot, path, text) {
  const out = [];
  // turbo.json's task inputs are relative to each workspace package (packages/<name>, apps/<name>).
  const dir = path === "turbo.json" ? join(repoRoot, "packages", "package") : dirname(join(repoRoot, path));
  text.split("\n").forEach((line, i) => {
    const where = `${path}:${i + 1}`;
    if (NOTEBOOK.test(line))
      out.push(
        `${where}: names the team's notebook (${line.match(NOTEBOOK)[0]}), which a clone does not have`,
      );
    if (MACHINE.test(line))
      out.push(
        `${where}: absolute path ${line.match(MACHINE)[0]} exists only on the machine it was written on`,
      );
    for (const m of line.matchAll(CLIMB)) {
      const target = resolve(dir, m[0]);
      const rel = relative(repoRoot, target);
      if (rel.startsWith("..") || isAbsolute(rel))
        out.push(`${where}: ${m[0]} resolves outside the repository`);
    }
  });
  return out;
}

/** Tracked files, as git lists them (the clone CI tests is exactly these). */
function trackedFiles(repoRoot) {
  return execFileSync("git", ["ls-files", "-z"], { cwd: repoRoot, encoding: "utf8", maxBuffer: 64 << 20 })
    .split("\0")
    .filter(
      (p) =>
        p !== "" && p !== "pnpm-lock.yaml" && !p.endsWith("openapi/openapi.json") && !p.endsWith("LICENSE"),
    );
}

function main() {
  const repoRoot = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), ".."));
  const findings = [];
  for (const path of trackedFiles(repoRoot)) {
    let bytes;
    try {
      bytes = readFileSync(join(repoRoot, path));
    } catch {
      continue; // deleted in the work tree, not yet committed
    }
    if (bytes.includes(0)) continue; // binary
    findings.push(...findingsIn(repoRoot, path, bytes.toString("utf8")));
  }
  if (findings.length > 0) {
    process.stderr.write(
      `${findings.join("\n")}\nThe repository must stand alone: copy what it needs inside it, with its origin.\n`,
    );
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();

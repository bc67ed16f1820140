#!/usr/bin/env node
// The repository stands alone: a plain clone, with nothing beside it, must build, test and run.
// This check fails when a tracked file points outside the checkout: a relative path that climbs
// above the repository root (written out, or as ".." segments), a symlink whose target is outside,
// an absolute path into the machine it was written on, or a reference to the team's notebook (the
// `shared/` folder some checkouts have beside them).
// Usage: node scripts/checkSelfContained.mjs [repoRoot]   (exit 1 and one line per finding)

import { execFileSync } from "node:child_process";
import { readFileSync, readlinkSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Names that only exist in the team's notebook beside some checkouts. */
const NOTEBOOK = /(?<![\w-])(?:shared\/(?:cdf|design|style|hooks)\b|facts\.md\b)/;
/** The notebook's path spelled as separate quoted segments (shared, then cdf) in a join(). */
const NOTEBOOK_SEGMENTS = /["'`]shared["'`]\s*,\s*["'`](?:cdf|design\.md|style\.md|hooks)["'`]/;
/** A relative path with at least one `..` step, as written in code, docs or config. */
const CLIMB = /(?<![\w.])((?:\.\.\/)+)([\w.@-][\w./@-]*)?/g;
/** `..` as a quoted path segment of its own, as join() and resolve() take it. */
const DOTDOT_SEGMENT = /["'`]\.\.["'`]/g;
/** Absolute paths into a developer's or CI's machine. */
const MACHINE = /(?<![\w.])\/(?:work|root|home|tmp\/bash_jobs)\/[\w.-]+/;

const OUTSIDE_NOTE = "which a clone does not have";

function outside(repoRoot, target) {
  const rel = relative(repoRoot, target);
  return rel.startsWith("..") || isAbsolute(rel);
}

/** Every finding in one file's text, as `path:line: reason`. */
export function findingsIn(repoRoot, path, text) {
  const out = [];
  // turbo.json's task inputs are relative to each workspace package (packages/<name>, apps/<name>).
  const dir = path === "turbo.json" ? join(repoRoot, "packages", "package") : dirname(join(repoRoot, path));
  const depth = relative(repoRoot, dir)
    .split(/[\\/]/)
    .filter((part) => part !== "").length;
  text.split("\n").forEach((line, i) => {
    const where = `${path}:${i + 1}`;
    for (const pattern of [NOTEBOOK, NOTEBOOK_SEGMENTS]) {
      const m = line.match(pattern);
      if (m) out.push(`${where}: names the team's notebook (${m[0]}), ${OUTSIDE_NOTE}`);
    }
    const machine = line.match(MACHINE);
    if (machine)
      out.push(`${where}: absolute path ${machine[0]} exists only on the machine it was written on`);
    for (const m of line.matchAll(CLIMB)) {
      if (outside(repoRoot, resolve(dir, m[0])))
        out.push(`${where}: ${m[0]} resolves outside the repository`);
    }
    // Segments climb from the file's folder at most: more ".." than it is deep leaves the repository.
    const climbs = line.match(DOTDOT_SEGMENT)?.length ?? 0;
    if (climbs > depth)
      out.push(`${where}: ${climbs} ".." path segments climb above the repository from its folder`);
  });
  return out;
}

/** A tracked symlink must point inside the repository (its target is what a clone gets). */
export function linkFinding(repoRoot, path, target) {
  return outside(repoRoot, resolve(dirname(join(repoRoot, path)), target))
    ? `${path}: symlink to ${target} points outside the repository`
    : undefined;
}

/** Tracked files, as git lists them (the clone CI tests is exactly these), and which are symlinks. */
function trackedFiles(repoRoot) {
  return execFileSync("git", ["ls-files", "-s", "-z"], {
    cwd: repoRoot,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  })
    .split("\0")
    .filter((entry) => entry !== "")
    .map((entry) => {
      const tab = entry.indexOf("\t");
      return { path: entry.slice(tab + 1), link: entry.startsWith("120000") };
    })
    .filter(
      ({ path }) =>
        path !== "pnpm-lock.yaml" && !path.endsWith("openapi/openapi.json") && !path.endsWith("LICENSE"),
    );
}

function main() {
  const repoRoot = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), ".."));
  const findings = [];
  for (const { path, link } of trackedFiles(repoRoot)) {
    try {
      if (link) {
        const finding = linkFinding(repoRoot, path, readlinkSync(join(repoRoot, path)));
        if (finding !== undefined) findings.push(finding);
        continue;
      }
      const bytes = readFileSync(join(repoRoot, path));
      if (bytes.includes(0)) continue; // binary
      findings.push(...findingsIn(repoRoot, path, bytes.toString("utf8")));
    } catch {
      // deleted in the work tree, not yet committed
    }
  }
  if (findings.length > 0) {
    process.stderr.write(
      `${findings.join("\n")}\nThe repository must stand alone: copy what it needs inside it, with its origin.\n`,
    );
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();

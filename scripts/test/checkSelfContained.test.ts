import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without types
import { findingsIn, linkFinding } from "../checkSelfContained.mjs";

const script = fileURLToPath(new URL("../checkSelfContained.mjs", import.meta.url));
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

// The fixtures are assembled, not written out, so that this file itself passes the check.
const up = (n: number) => "../".repeat(n);
const notebookSpec = `${up(4)}${"shared,cdf,openapi.json".split(",").join("/")}`;
const notebookFile = ["facts", "md"].join(".");
const machineDir = `/${"work"}/main`;

function check(root: string) {
  return spawnSync(process.execPath, [script, root], { encoding: "utf8" });
}

/** A git repository in a temp folder holding the given files, all tracked. */
function repoWith(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "self-contained-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  execFileSync("git", ["init", "-q"], { cwd: root });
  execFileSync("git", ["add", "."], { cwd: root });
  return root;
}

describe("the repository stands alone", () => {
  it("this repository points nowhere outside itself", () => {
    const result = check(repoRoot);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("fails, naming file and line, when a tracked file climbs above the root or names the notebook", () => {
    const root = repoWith({
      "packages/a/src/spec.ts": `const ok = "${up(2)}README.md";\nconst spec = "${notebookSpec}";\n`,
      "README.md": `See ${notebookFile} beside the checkout.\n`,
      "docs/setup.md": `Run ${machineDir}/scripts/x.sh first.\n`,
    });
    const result = check(root);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `packages/a/src/spec.ts:2: ${notebookSpec} resolves outside the repository`,
    );
    expect(result.stderr).toContain(`README.md:1: names the team's notebook (${notebookFile})`);
    expect(result.stderr).toContain(`docs/setup.md:1: absolute path ${machineDir}`);
    expect(result.stderr).not.toContain("spec.ts:1:");
  });

  it("accepts relative paths that stay inside, and files git does not track", () => {
    const root = repoWith({ "apps/b/test/x.test.ts": `new URL("${up(3)}README.md", import.meta.url);\n` });
    writeFileSync(join(root, "untracked.md"), `${up(4)}elsewhere\n`);
    expect(check(root).status).toBe(0);
  });

  it("fails on a tracked symlink whose target is outside, and accepts one that stays inside", () => {
    const root = mkdtempSync(join(tmpdir(), "self-contained-"));
    writeFileSync(join(root, "README.md"), "inside\n");
    symlinkSync(`${up(2)}${notebookFile}`, join(root, "notes.md"));
    symlinkSync("README.md", join(root, "readme-link.md"));
    execFileSync("git", ["init", "-q"], { cwd: root });
    execFileSync("git", ["add", "."], { cwd: root });
    const result = check(root);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `notes.md: symlink to ${up(2)}${notebookFile} points outside the repository`,
    );
    expect(result.stderr).not.toContain("readme-link.md");
    expect(linkFinding("/r", "a/b.md", "/etc/passwd")).toContain("points outside");
  });

  it("counts quoted '..' segments against the file's depth, and finds the notebook spelled as segments", () => {
    const seg = (n: number) => Array.from({ length: n }, () => '".."').join(", ");
    const line = (n: number) => `join(import.meta.dirname, ${seg(n)}, "README.md")`;
    expect(findingsIn("/r", "apps/b/src/x.ts", line(3))).toEqual([]);
    expect(findingsIn("/r", "apps/b/src/x.ts", line(4))).toEqual([
      'apps/b/src/x.ts:1: 4 ".." path segments climb above the repository from its folder',
    ]);
    const segments = "shared,cdf"
      .split(",")
      .map((p) => `"${p}"`)
      .join(", ");
    expect(findingsIn("/r", "a.ts", `join(root, ${segments})`)[0]).toContain("names the team's notebook");
  });

  it("reads turbo.json inputs relative to a workspace package, as turbo does", () => {
    expect(findingsIn("/r", "turbo.json", `"inputs": ["${up(2)}tsconfig.base.json"]`)).toEqual([]);
    expect(findingsIn("/r", "turbo.json", `"inputs": ["${up(3)}x.json"]`)).toHaveLength(1);
  });
});

// Source comments point readers to documents (`README.md, section "Performance"`, or the shared
// `facts.md` beside openapi.json); a moved or renamed document must not leave them pointing nowhere.

import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

async function sourceFiles(): Promise<string[]> {
  const names = await readdir(join(packageRoot, "src"), { recursive: true });
  return names.filter((n) => n.endsWith(".ts")).map((n) => join(packageRoot, "src", n));
}

/** The package, then `shared/cdf/` of every ancestor (where facts.md and openapi.json live). */
function documentDirs(): string[] {
  const dirs = [packageRoot];
  for (let dir = packageRoot; dirname(dir) !== dir; dir = dirname(dir)) dirs.push(join(dir, "shared", "cdf"));
  return dirs;
}

async function documentText(path: string): Promise<string | undefined> {
  for (const dir of documentDirs()) {
    const text = await readFile(join(dir, path), "utf8").catch(() => undefined);
    if (text !== undefined) return text;
  }
  return undefined;
}

describe("document references in source comments", () => {
  it("every .md file a comment names exists, and so does the section it names", async () => {
    const broken: string[] = [];
    for (const file of await sourceFiles()) {
      const comments = (await readFile(file, "utf8"))
        .split("\n")
        .filter((line) => /^\s*(\/\/|\*|\/\*\*)/.test(line))
        .join("\n");
      for (const match of comments.matchAll(/(?<![\w./:-])([\w./-]+\.md)(?:, section "([^"]+)")?/g)) {
        const [reference, path = "", section] = match;
        const text = await documentText(path);
        const sectionFound =
          section === undefined ||
          text?.split("\n").some((l) => /^#+ /.test(l) && l.replace(/^#+ /, "") === section);
        if (text === undefined || !sectionFound)
          broken.push(`${file.slice(packageRoot.length + 1)}: ${reference}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

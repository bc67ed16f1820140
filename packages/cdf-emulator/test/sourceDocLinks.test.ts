// Source comments point readers to documents of this package (`README.md, section "CDF facts"`);
// a moved or renamed document must not leave them pointing nowhere, and none may point outside
// the package (the repository stands alone: a plain clone has nothing beside it).

import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

async function sourceFiles(): Promise<string[]> {
  const names = await readdir(join(packageRoot, "src"), { recursive: true });
  return names.filter((n) => n.endsWith(".ts")).map((n) => join(packageRoot, "src", n));
}

describe("document references in source comments", () => {
  it("every .md file a comment names exists in this package, and so does the section it names", async () => {
    const broken: string[] = [];
    for (const file of await sourceFiles()) {
      const comments = (await readFile(file, "utf8"))
        .split("\n")
        .filter((line) => /^\s*(\/\/|\*|\/\*\*)/.test(line))
        .join("\n");
      for (const match of comments.matchAll(/(?<![\w./:-])([\w./-]+\.md)(?:, section "([^"]+)")?/g)) {
        const [reference, path = "", section] = match;
        const target = resolve(packageRoot, path);
        const inside = !relative(packageRoot, target).startsWith("..");
        const text = inside ? await readFile(target, "utf8").catch(() => undefined) : undefined;
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

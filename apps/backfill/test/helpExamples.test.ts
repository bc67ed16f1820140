import { readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/program.js";
import { capturedIo } from "./capturedIo.js";
import { scratchDir } from "./scratchDir.js";

// The examples in `kpi-backfill evaluate --help` must run as shown from the repository root: each
// is run here in a scratch directory that holds the repository's examples/, so files the example
// writes land there.
const EXAMPLES = fileURLToPath(new URL("../../../examples", import.meta.url));
const scratch = scratchDir();

async function help(): Promise<string> {
  const io = capturedIo();
  expect(await runCli(["evaluate", "--help"], io)).toBe(0);
  return io.stdoutText();
}

/** The commands of the help's examples, continuation lines joined, split into words. */
function exampleCommands(text: string): string[][] {
  const joined = text.replaceAll("\\\n", " ");
  return joined
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("pnpm kpi-backfill "))
    .map((line) => line.split(/\s+/));
}

async function runExample(words: string[]) {
  expect(words.slice(0, 2)).toEqual(["pnpm", "kpi-backfill"]);
  symlinkSync(EXAMPLES, join(scratch.dir(), "examples"));
  const args = words
    .slice(2)
    .map((word) => (/\.(ya?ml|csv|jsonl|ndjson)$/.test(word) ? join(scratch.dir(), word) : word));
  const io = capturedIo();
  const exitCode = await runCli(args, io);
  return { exitCode, stdout: io.stdoutText(), stderr: io.stderrText() };
}

describe("kpi-backfill evaluate --help", () => {
  it("shows three examples, each a complete command", async () => {
    expect(exampleCommands(await help())).toHaveLength(3);
  });

  it("runs every example as shown, successfully", async () => {
    for (const words of exampleCommands(await help())) {
      const { exitCode, stderr } = await runExample(words);
      expect(exitCode, words.join(" ")).toBe(0);
      if (words.includes("--json")) expect(JSON.parse(stderr)).toMatchObject({ ok: true, missingInputs: [] });
      else expect(stderr).toBe("");
      scratch.reset();
    }
  });

  it("applies the example corrections: the later file changes the hour they fall in, and only that hour", async () => {
    const [, withCorrections] = exampleCommands(await help());
    await runExample(withCorrections!);
    const corrected = readFileSync(join(scratch.dir(), "results.jsonl"), "utf8").trim().split("\n");
    scratch.reset();
    const withoutWords = withCorrections!.filter(
      (word, i, all) => word !== "examples/corrections.jsonl" && all[i + 1] !== "examples/corrections.jsonl",
    );
    await runExample(withoutWords);
    const plain = readFileSync(join(scratch.dir(), "results.jsonl"), "utf8").trim().split("\n");
    const changed = corrected.filter((line, i) => line !== plain[i]).map((line) => JSON.parse(line));
    const hour = Date.UTC(2024, 3, 1, 8);
    const day = Date.UTC(2024, 2, 31, 22); // 2024-04-01 in Oslo
    expect(plain).toHaveLength(corrected.length);
    expect(changed.map((row) => row.externalId)).toContain("kpi:pump-01:flow-avg-1h");
    for (const row of changed) {
      expect(row.externalId).toMatch(/^kpi:pump-01:flow-/);
      expect([hour, day]).toContain(row.timestamp);
    }
    expect(changed.length).toBeGreaterThan(0);
  });
});

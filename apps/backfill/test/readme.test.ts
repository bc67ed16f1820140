import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseKpiYaml } from "@kpi-pipeline/kpi-core";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/program.js";
import { capturedIo } from "./capturedIo.js";

// The README is what users copy first: its kpis.yaml examples must load and its commands must
// run exactly as written and print what it shows.
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const rootPackage = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const yamlBlocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
  .map((match) => match[1]!)
  .filter((text) => /^kpis:/m.test(text));

/** Every `pnpm kpi-backfill ...` command in the README's sh blocks, continuation lines joined. */
const commands = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((match) => match[1]!.replaceAll("\\\n", " ").split("\n"))
  .map((line) => line.trim().replace(/\s+/g, " "))
  .filter((line) => line.startsWith("pnpm kpi-backfill "));

async function runAsWritten(command: string) {
  const args = command
    .split(/\s+/)
    .slice(2)
    .map((word) => (word.startsWith("examples/") ? join(ROOT, word) : word));
  const io = capturedIo();
  const exitCode = await runCli(args, io);
  return { exitCode, stdout: io.stdoutText(), stderr: io.stderrText() };
}

describe("the README's kpis.yaml examples", () => {
  it("there is at least one full example", () => {
    expect(yamlBlocks.length).toBeGreaterThan(0);
  });

  it.each(yamlBlocks.map((text, i) => [i, text]))("example %i loads without errors", (_, text) => {
    const kpis = parseKpiYaml(text as string, "README.md");
    expect(kpis.length).toBeGreaterThan(0);
    for (const kpi of kpis) expect(kpi.configHash).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("the README's kpi-backfill commands", () => {
  it("include the evaluate example", () => {
    expect(commands.length).toBeGreaterThan(0);
  });

  it.each(commands.map((command) => [command]))("%s runs", async (command) => {
    const { exitCode, stderr } = await runAsWritten(command);
    expect(stderr).toBe("");
    expect(exitCode).toBe(0);
  });

  it("print the rows the README shows after them, in that order", async () => {
    const shown = readme.match(
      /^prints \(and `> results\.csv` writes exactly this\):\n\n```\n([\s\S]*?)```/m,
    )![1]!;
    const { stdout } = await runAsWritten(commands[0]!);
    const lines = stdout.split("\n");
    expect(lines[0]).toBe(shown.split("\n")[0]);
    let at = 0;
    for (const line of shown.trim().split("\n")) {
      if (line === "...") continue;
      const found = lines.indexOf(line, at);
      expect(found, line).toBeGreaterThanOrEqual(at);
      at = found + 1;
    }
  });

  it("say what `pnpm -s demo` runs, as the demo script runs it", () => {
    expect(readme).toContain("pnpm build && pnpm -s demo");
    const stated = readme.match(/`pnpm -s demo` is\n`(pnpm kpi-backfill evaluate [^`]*)`/)![1]!;
    expect(`pnpm ${rootPackage.scripts.demo}`).toBe(stated);
    expect(commands).toContain(stated);
  });
});

describe("pnpm kpi-backfill from the repository root", () => {
  // A pnpm script would print "> kpi-pipeline@ kpi-backfill ..." on stdout first; a command
  // linked into node_modules/.bin runs without a banner. The launcher is checked in, so the link
  // exists from `pnpm install` on, before any build.
  it("is the linked command, not a pnpm script", () => {
    expect(rootPackage.scripts["kpi-backfill"]).toBeUndefined();
    expect(rootPackage.devDependencies["@kpi-pipeline/backfill"]).toBe("workspace:*");
    const backfill = JSON.parse(readFileSync(join(ROOT, "apps/backfill/package.json"), "utf8"));
    expect(existsSync(join(ROOT, "apps/backfill", backfill.bin["kpi-backfill"]))).toBe(true);
  });

  it("writes nothing but the results to stdout, for `pnpm kpi-backfill` and `pnpm -s demo` (needs pnpm build)", () => {
    const quickStart = commands[0]!.split(/\s+/).slice(1);
    for (const args of [quickStart, ["-s", "demo"]]) {
      const run = spawnSync("pnpm", args, { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
      expect(run.stderr, args.join(" ")).toBe("");
      expect(run.stdout.split("\n")[0], args.join(" ")).toBe("externalId,timestamp,value,status");
      expect(run.status).toBe(0);
    }
  }, 120_000);
});

describe("the exit codes", () => {
  it("--help lists every exit code of the README's table, and the README's every one --help lists", async () => {
    const section = readme.slice(readme.indexOf("### Errors and exit codes"));
    const table = section.slice(0, section.indexOf("\n\n", section.indexOf("| Exit")));
    // 143 is given inside the 130 row ("143 for SIGTERM").
    const inReadme = new Set(
      [...table.matchAll(/^\| (\d+) +\|/gm), ...table.matchAll(/(\d+) for SIGTERM/g)].map((m) => m[1]!),
    );
    const io = capturedIo();
    expect(await runCli(["evaluate", "--help"], io)).toBe(0);
    const help = io.stdoutText();
    const paragraph = help.slice(help.indexOf("Exit codes:")).replaceAll("\n", " ");
    const inHelp = new Set([...paragraph.matchAll(/(?:^|[:,] )(\d+) /g)].map((m) => m[1]!));
    expect([...inReadme].sort()).toEqual(["0", "1", "130", "143", "2", "3", "70"]);
    expect([...inHelp].sort()).toEqual([...inReadme].sort());
  });
});

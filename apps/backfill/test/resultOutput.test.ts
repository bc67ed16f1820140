import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { atomicFileOutput, streamOutput } from "../src/resultOutput.js";
import { scratchDir } from "./scratchDir.js";

const scratch = scratchDir();

describe("atomicFileOutput", () => {
  it("shows nothing at the target until commit, then the whole text", async () => {
    const target = join(scratch.dir(), "r.csv");
    const output = atomicFileOutput(target, "t1");
    await output.write("a\n");
    await output.write("x".repeat(200_000));
    expect(existsSync(target)).toBe(false);
    await output.commit();
    expect(readFileSync(target, "utf8")).toBe(`a\n${"x".repeat(200_000)}`);
    expect(readdirSync(scratch.dir())).toEqual(["r.csv"]);
  });

  it("keeps the previous file and removes its temp file on abort", async () => {
    const target = join(scratch.dir(), "r.csv");
    writeFileSync(target, "old\n");
    const output = atomicFileOutput(target, "t2");
    await output.write("y".repeat(100_000));
    expect(existsSync(output.tempPath)).toBe(true);
    await output.abort();
    expect(readFileSync(target, "utf8")).toBe("old\n");
    expect(readdirSync(scratch.dir())).toEqual(["r.csv"]);
  });

  it("after a commit, removes old temp files of the same target left by killed writers, and nothing else", async () => {
    const target = join(scratch.dir(), "r.csv");
    // A pid that surely is gone: a child that already exited.
    const deadPid = spawnSync(process.execPath, ["-e", ""]).pid;
    const old = (name: string) => {
      writeFileSync(join(scratch.dir(), name), "partial");
      const hourAgo = new Date(Date.now() - 3_600_000);
      utimesSync(join(scratch.dir(), name), hourAgo, hourAgo);
    };
    old(`.r.csv.${deadPid}-abc123.tmp`); // killed writer: removed
    old(`.r.csv.${process.pid}-zzz999.tmp`); // a live writer (this process): kept
    old(`.other.csv.${deadPid}-abc123.tmp`); // another target: kept
    old(".r.csv.notes.tmp"); // not our pattern: kept
    writeFileSync(join(scratch.dir(), `.r.csv.${deadPid}-fresh1.tmp`), "recent"); // too recent: kept
    const output = atomicFileOutput(target, `${process.pid}-t4`);
    await output.write("new\n");
    await output.commit();
    expect(readFileSync(target, "utf8")).toBe("new\n");
    expect(readdirSync(scratch.dir()).sort()).toEqual(
      [
        `.other.csv.${deadPid}-abc123.tmp`,
        `.r.csv.${deadPid}-fresh1.tmp`,
        `.r.csv.${process.pid}-zzz999.tmp`,
        ".r.csv.notes.tmp",
        "r.csv",
      ].sort(),
    );
  });

  it("writes an empty file when nothing but commit is called", async () => {
    const target = join(scratch.dir(), "empty.csv");
    await atomicFileOutput(target, "t3").commit();
    expect(readFileSync(target, "utf8")).toBe("");
  });
});

describe("streamOutput", () => {
  it("passes everything through in order and never ends the stream", async () => {
    const stream = new PassThrough();
    let text = "";
    stream.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    const output = streamOutput(stream);
    for (let i = 0; i < 10_000; i++) await output.write(`${i}\n`);
    await output.commit();
    expect(text.split("\n")[9_999]).toBe("9999");
    expect(stream.writableEnded).toBe(false);
  });
});

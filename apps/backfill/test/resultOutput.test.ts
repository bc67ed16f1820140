import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
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

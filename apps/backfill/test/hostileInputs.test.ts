import {
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/program.js";
import { capturedIo } from "./capturedIo.js";
import { scratchDir } from "./scratchDir.js";

// What a careless or hostile user can hand evaluate: every case ends in one sentence on stderr
// that names what and where, a non-zero exit, and the user's files as they were.

const scratch = scratchDir();

const CONFIG = `
kpis:
  - externalId: out:avg
    window: { every: 1h }
    start: 2024-01-01T00:00:00Z
    inputs:
      x: { externalId: a }
    value: twa(x)
`;
const POINTS = "externalId,timestamp,value,status\na,2024-01-01T00:00:00Z,1,\na,2024-01-01T01:00:00Z,2,\n";
const RANGE = ["--from", "2024-01-01T00:00:00Z", "--to", "2024-01-01T02:00:00Z"];

async function run(args: string[]) {
  const io = capturedIo();
  const exitCode = await runCli(args, io);
  return { exitCode, stdout: io.stdoutText(), stderr: io.stderrText() };
}

/** Evaluates CONFIG (or `config`) over one point file with the given name and text. */
async function evaluatePoints(name: string, text: string | Buffer, config = CONFIG, extra: string[] = []) {
  const configPath = scratch.file("kpis.yaml", config);
  const points = join(scratch.dir(), name);
  writeFileSync(points, text);
  const result = await run(["evaluate", "--config", configPath, "--input", points, ...RANGE, ...extra]);
  return { ...result, points };
}

/** A data error: exit 1, nothing on stdout beyond the header, one line on stderr. */
function expectDataError(
  result: { exitCode: number; stdout: string; stderr: string },
  message: string | RegExp,
) {
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toBe("");
  expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  if (typeof message === "string") expect(result.stderr).toContain(message);
  else expect(result.stderr).toMatch(message);
}

describe("--out that is an input or the config", () => {
  it("is refused with exit 2 for the same path, ./path, a symlink and a hard link, leaving the file as it was", async () => {
    const config = scratch.file("kpis.yaml", CONFIG);
    const points = scratch.file("points.csv", POINTS);
    symlinkSync(points, join(scratch.dir(), "link.csv"));
    linkSync(points, join(scratch.dir(), "hard.csv"));
    symlinkSync(config, join(scratch.dir(), "config-link.yaml"));
    const outs = [
      points,
      join(scratch.dir(), ".", "points.csv"),
      relative(process.cwd(), points),
      join(scratch.dir(), "link.csv"),
      join(scratch.dir(), "hard.csv"),
      join(scratch.dir(), "sub", "..", "points.csv"),
    ];
    mkdirSync(join(scratch.dir(), "sub"));
    for (const out of outs) {
      const { exitCode, stdout, stderr } = await run([
        "evaluate",
        "--config",
        config,
        "--input",
        points,
        ...RANGE,
        "--out",
        out,
      ]);
      expect(exitCode, out).toBe(2);
      expect(stdout).toBe("");
      expect(stderr).toContain(
        `--out ${out} is the same file as --input ${points}; writing the result there would destroy it`,
      );
    }
    for (const out of [config, join(scratch.dir(), "config-link.yaml")]) {
      const { exitCode, stderr } = await run([
        "evaluate",
        "--config",
        config,
        "--input",
        points,
        ...RANGE,
        "--out",
        out,
      ]);
      expect(exitCode).toBe(2);
      expect(stderr).toContain(`is the same file as --config ${config}`);
    }
    expect(readFileSync(points, "utf8")).toBe(POINTS);
    expect(readFileSync(config, "utf8")).toBe(CONFIG);
    expect(readdirSync(scratch.dir()).sort()).toEqual(
      ["config-link.yaml", "hard.csv", "kpis.yaml", "link.csv", "points.csv", "sub"].sort(),
    );
  });

  it("is refused when stdout is redirected to an input (the shell has emptied it already)", async () => {
    const config = scratch.file("kpis.yaml", CONFIG);
    const points = scratch.file("points.csv", POINTS);
    const { statSync } = await import("node:fs");
    const info = statSync(points);
    const io = { ...capturedIo(), stdoutFile: { dev: info.dev, ino: info.ino } };
    const exitCode = await runCli(["evaluate", "--config", config, "--input", points, ...RANGE], io);
    expect(exitCode).toBe(2);
    expect(io.stderrText()).toContain(
      `stdout is redirected to --input ${points} (with >, the shell has already emptied it); write the result to another file`,
    );
  });
});

describe("--out that is a symlink", () => {
  it("writes through a link to a file: the target gets the result, the link stays a link, no temp file is left", async () => {
    const config = scratch.file("kpis.yaml", CONFIG);
    const points = scratch.file("points.csv", POINTS);
    const expected = (await run(["evaluate", "--config", config, "--input", points, ...RANGE])).stdout;
    const real = join(scratch.dir(), "real");
    const links = join(scratch.dir(), "links");
    mkdirSync(real);
    mkdirSync(links);
    const target = join(real, "results.csv");
    writeFileSync(target, "previous results\n");
    symlinkSync(target, join(links, "results.csv"));
    symlinkSync(join(links, "results.csv"), join(links, "chain.csv"));
    for (const name of ["results.csv", "chain.csv"]) {
      const out = join(links, name);
      const result = await run(["evaluate", "--config", config, "--input", points, ...RANGE, "--out", out]);
      expect(result).toEqual({ exitCode: 0, stdout: "", stderr: "" });
      expect(readFileSync(target, "utf8")).toBe(expected);
      expect(lstatSync(out).isSymbolicLink()).toBe(true);
      writeFileSync(target, "previous results\n");
    }
    expect(readlinkSync(join(links, "results.csv"))).toBe(target);
    expect(readdirSync(links).sort()).toEqual(["chain.csv", "results.csv"]);
    expect(readdirSync(real)).toEqual(["results.csv"]);
  });

  it("writes a link to the file stdout is redirected to (/proc/self/fd/1, /dev/stdout) to stdout, not over the link", async () => {
    const config = scratch.file("kpis.yaml", CONFIG);
    const points = scratch.file("points.csv", POINTS);
    const redirected = scratch.file("redirected.csv", "");
    const link = join(scratch.dir(), "stdout-link");
    symlinkSync(redirected, link);
    const { dev, ino } = statSync(redirected);
    const io = { ...capturedIo(), stdoutFile: { dev, ino } };
    const args = ["evaluate", "--config", config, "--input", points, ...RANGE];
    expect(await runCli([...args, "--out", link], io)).toBe(0);
    const plain = capturedIo();
    expect(await runCli(args, plain)).toBe(0);
    expect(io.stdoutText()).toBe(plain.stdoutText());
    expect(io.stderrText()).toBe("");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readdirSync(scratch.dir()).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("refuses a link whose target does not exist (exit 2), and leaves it as it was", async () => {
    const config = scratch.file("kpis.yaml", CONFIG);
    const points = scratch.file("points.csv", POINTS);
    const link = join(scratch.dir(), "dangling.csv");
    symlinkSync(join(scratch.dir(), "missing", "results.csv"), link);
    const result = await run(["evaluate", "--config", config, "--input", points, ...RANGE, "--out", link]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      `--out ${link} is a symbolic link to a file that does not exist; give the file's own path, or remove the link`,
    );
    expect(readlinkSync(link)).toBe(join(scratch.dir(), "missing", "results.csv"));
  });
});

describe("files that are not what they claim", () => {
  it("says a directory given as --input or --config is a directory", async () => {
    const config = scratch.file("kpis.yaml", CONFIG);
    const dir = join(scratch.dir(), "points.csv");
    mkdirSync(dir);
    const input = await run(["evaluate", "--config", config, "--input", dir, ...RANGE]);
    expect(input.exitCode).toBe(2);
    expect(input.stderr).toContain(`--input ${dir} is a directory; give a file`);
    const configDir = join(scratch.dir(), "conf");
    mkdirSync(configDir);
    const conf = await run(["evaluate", "--config", configDir, "--input", dir, ...RANGE]);
    expect(conf.stderr).toContain(`--config ${configDir} is a directory; give a file`);
  });

  it("names UTF-16 with a byte-order mark, in either byte order", async () => {
    const le = await evaluatePoints(
      "le.csv",
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(POINTS, "utf16le")]),
    );
    expectDataError(
      le,
      `${le.points}: the file is UTF-16 (it starts with a UTF-16 byte-order mark); save or convert it as UTF-8`,
    );
    const be = Buffer.from(POINTS, "utf16le").swap16();
    const bom = await evaluatePoints("be.csv", Buffer.concat([Buffer.from([0xfe, 0xff]), be]));
    expectDataError(bom, "the file is UTF-16");
  });

  it("names UTF-16 without a byte-order mark by its NUL bytes", async () => {
    const le = await evaluatePoints("le.csv", Buffer.from(POINTS, "utf16le"));
    expectDataError(le, `${le.points}: the file looks like UTF-16LE`);
    const be = await evaluatePoints("be.csv", Buffer.from(POINTS, "utf16le").swap16());
    expectDataError(be, "the file looks like UTF-16BE");
  });

  it("names CR-only line endings instead of reading one endless line", async () => {
    const result = await evaluatePoints("mac.csv", POINTS.replaceAll("\n", "\r"));
    expectDataError(result, `${result.points}: the lines end in CR alone (classic Mac line endings)`);
  });

  it("names a gzip file and a zip file given as CSV", async () => {
    const { gzipSync } = await import("node:zlib");
    expectDataError(
      await evaluatePoints("p.csv", gzipSync(POINTS)),
      "the file is gzip-compressed; decompress it first",
    );
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(100, 1)]);
    expectDataError(await evaluatePoints("p.csv", zip), "the file is a ZIP archive");
  });

  it("stops at a line longer than 1 MiB, naming file and line, without reading it whole", async () => {
    const long = `${POINTS}a,${"1".repeat(3 << 20)}\na,5,5\n`;
    const result = await evaluatePoints("long.csv", long);
    expectDataError(result, `${result.points}:4: the line is longer than 1,048,576 characters (1 MiB)`);
    const noNewline = await evaluatePoints("one.jsonl", `[${"1,".repeat(2 << 20)}1]`);
    expectDataError(noNewline, `${noNewline.points}:1: the line is longer than 1,048,576 characters`);
  });

  it("stops at a quote left open for more than 1 MiB, naming the line it opened on", async () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => `a,${i},1,`).join("\n");
    const result = await evaluatePoints("open.csv", `${POINTS}"a,5,1,\n${rows}\n`);
    expectDataError(
      result,
      /open\.csv:4: a quoted field runs on past 1,048,576 characters \(1 MiB\) over \d+ lines; is its closing quote missing\?/,
    );
  });

  it("says an empty file is empty", async () => {
    expectDataError(await evaluatePoints("empty.csv", ""), "the file is empty; expected a header");
  });
});

describe("strict values", () => {
  it("refuses in CSV what only JavaScript reads as a number: hex, binary, octal, Infinity, padded text", async () => {
    const cases: [string, string][] = [
      ["0x10", 'value "0x10" is not a decimal number'],
      ["0b11", 'value "0b11" is not a decimal number'],
      ["0o17", 'value "0o17" is not a decimal number'],
      ["1_000", 'value "1_000" is not a decimal number'],
      ["Infinity", 'value "Infinity" is not a finite number; CDF stores only finite values'],
      [" 1", 'value " 1" has spaces around it'],
      ["1e999", 'value "1e999" is beyond the range of a double'],
    ];
    for (const [value, message] of cases) {
      const result = await evaluatePoints("p.csv", `${POINTS}a,2024-01-01T00:30:00Z,${value},\n`);
      expectDataError(result, `${result.points}:4: ${message}`);
    }
  });

  it("reads CSV decimals in all their usual forms", async () => {
    const text = `${POINTS}a,2024-01-01T00:10:00Z,+1.5e0,\na,2024-01-01T00:20:00Z,.5,\na,2024-01-01T00:40:00Z,5.,\n`;
    const { exitCode, stderr } = await evaluatePoints("p.csv", text);
    expect(stderr).toBe("");
    expect(exitCode).toBe(0);
  });

  it("accepts CDF's NaN, Infinity and -Infinity only on Bad points, which are never used", async () => {
    const bad = `${POINTS}a,2024-01-01T00:30:00Z,Infinity,Bad\na,2024-01-01T00:40:00Z,-Infinity,2147483648\n`;
    expect((await evaluatePoints("p.csv", bad)).exitCode).toBe(0);
    const jsonl = [
      '{"externalId":"a","timestamp":1704067200000,"value":1}',
      '{"externalId":"a","timestamp":1704069000000,"value":"Infinity","status":{"code":2147483648}}',
      '{"externalId":"a","timestamp":1704070800000,"value":2}',
    ].join("\n");
    const good = await evaluatePoints("p.jsonl", jsonl);
    expect(good.stderr).toBe("");
    expect(good.stdout).toContain(`out:avg,1704067200000,1.5,Good`);
  });

  it("refuses a JSONL value written as a string, and other non-numbers", async () => {
    const row = (value: string) => `{"externalId":"a","timestamp":1704067200000,"value":${value}}\n`;
    const string = await evaluatePoints("p.jsonl", row('"12"'));
    expectDataError(
      string,
      `${string.points}:1: value "12" is a string; write a JSON number (no quotes), or null for no value`,
    );
    expectDataError(await evaluatePoints("p.jsonl", row("true")), "value true is not a number");
    expectDataError(await evaluatePoints("p.jsonl", row("[1]")), "value [1] is not a number");
    expectDataError(await evaluatePoints("p.jsonl", row("1e999")), "value is beyond the range of a double");
  });

  it("refuses a JSONL row with both externalId and instanceId", async () => {
    const row =
      '{"externalId":"a","instanceId":{"space":"s","externalId":"a"},"timestamp":1704067200000,"value":1}';
    const result = await evaluatePoints("p.jsonl", `${row}\n`);
    expectDataError(
      result,
      `${result.points}:1: has both "externalId" and "instanceId"; a point belongs to one time series, give only one`,
    );
  });

  it("refuses a CSV header with a column twice, naming both positions", async () => {
    const result = await evaluatePoints("p.csv", "externalId,timestamp,value,value\na,0,1,2\n");
    expectDataError(
      result,
      `${result.points}:1: the header has the column "value" twice (columns 3 and 4); keep one`,
    );
  });

  it("shows invisible characters in a field escaped", async () => {
    const result = await evaluatePoints("p.csv", `${POINTS}a,2024-01-01T00:30:00Z,1\u00002,\n`);
    expectDataError(result, `value "1\\u{0000}2" is not a decimal number`);
    const header = await evaluatePoints("h.csv", "externalId\u200b,timestamp,value\na,0,1\n");
    expectDataError(
      header,
      'the header has no "externalId" column; expected externalId,timestamp,value,status (in any order; status and space optional), got "externalId\\u{200b},timestamp,value"',
    );
  });
});

describe("timestamps outside CDF's range or with impossible offsets", () => {
  const range = "1900-01-01T00:00:00Z to 2099-12-31T23:59:59.999Z (-2208988800000 to 4102444799999 ms)";

  it("are refused in CSV and JSONL, as epoch ms and as ISO 8601, with the range in the message", async () => {
    for (const ts of [
      "8640000000000001",
      "99999999999999999",
      "4102444800000",
      "-2208988800001",
      "2100-01-01T00:00:00Z",
      "1899-12-31T23:59:59Z",
    ]) {
      const csv = await evaluatePoints("p.csv", `${POINTS}a,${ts},1,\n`);
      expectDataError(csv, `${csv.points}:4: timestamp "${ts}" is outside CDF's time range, ${range}`);
    }
    for (const ts of ["8640000000000001", "4102444800000", '"2100-01-01T00:00:00Z"']) {
      const jsonl = await evaluatePoints("p.jsonl", `{"externalId":"a","timestamp":${ts},"value":1}\n`);
      expectDataError(jsonl, `${jsonl.points}:1: timestamp ${ts} is outside CDF's time range, ${range}`);
    }
    // JSON.parse has already made 1e400 Infinity; it is out of range, not "fractional".
    const huge = await evaluatePoints("p.jsonl", '{"externalId":"a","timestamp":1e400,"value":1}\n');
    expectDataError(huge, `timestamp Infinity is outside CDF's time range`);
  });

  it("refuse UTC offsets beyond ±18:00 or with 60 minutes or more, in data", async () => {
    for (const ts of [
      "2024-01-01T00:30:00+25:00",
      "2024-01-01T00:30:00+99:99",
      "2024-01-01T00:30:00-03:60",
    ]) {
      const csv = await evaluatePoints("p.csv", `${POINTS}a,${ts},1,\n`);
      expectDataError(
        csv,
        `timestamp "${ts}" has the UTC offset ${ts.slice(-6)}; an offset is at most ±18:00, with minutes below 60`,
      );
    }
  });

  it("are refused in --from and --to with exit 2, where --to may be the end of 2099", async () => {
    const config = scratch.file("kpis.yaml", CONFIG);
    const points = scratch.file("p.csv", POINTS);
    const flags = (from: string, to: string) => [
      "evaluate",
      "--config",
      config,
      "--input",
      points,
      "--from",
      from,
      "--to",
      to,
    ];
    const before = await run(flags("1899-12-31T00:00:00Z", "2024-01-02T00:00:00Z"));
    expect(before.exitCode).toBe(2);
    expect(before.stderr).toContain(`--from "1899-12-31T00:00:00Z" is outside CDF's time range, ${range}`);
    const after = await run(flags("2024-01-01T00:00:00Z", "99999999999999999"));
    expect(after.stderr).toContain(`--to "99999999999999999" is outside CDF's time range`);
    const offset = await run(flags("2024-01-01T00:00:00+25:00", "2024-01-02T00:00:00Z"));
    expect(offset.exitCode).toBe(2);
    expect(offset.stderr).toContain('--from "2024-01-01T00:00:00+25:00" has the UTC offset +25:00');
    const end = await run(flags("2099-12-31T22:00:00Z", "2100-01-01T00:00:00Z"));
    expect(end.stderr).toBe("");
    expect(end.exitCode).toBe(0);
    expect(end.stdout.trim().split("\n")).toHaveLength(3);
  });
});

describe("flags", () => {
  it("refuse a flag given twice where one value is expected", async () => {
    const config = scratch.file("kpis.yaml", CONFIG);
    const points = scratch.file("p.csv", POINTS);
    const out = join(scratch.dir(), "r.csv");
    const twice: [string, string, string][] = [
      ["--config", config, points],
      ["--from", "2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z"],
      ["--to", "2024-01-01T02:00:00Z", "2024-01-01T03:00:00Z"],
      ["--out", out, `${out}.2`],
      ["--format", "csv", "jsonl"],
    ];
    for (const [flag, first, second] of twice) {
      const args = ["evaluate", "--input", points];
      if (flag !== "--config") args.push("--config", config);
      if (flag !== "--from") args.push("--from", "2024-01-01T00:00:00Z");
      if (flag !== "--to") args.push("--to", "2024-01-01T02:00:00Z");
      args.push(flag, first, flag, second);
      const { exitCode, stderr } = await run(args);
      expect(exitCode, flag).toBe(2);
      expect(stderr, flag).toContain(`${flag} is given twice ("${first}" and "${second}"); give it once`);
    }
    expect(readdirSync(scratch.dir()).sort()).toEqual(["kpis.yaml", "p.csv"]);
  });
});

describe("kpis.yaml that would crash a YAML reader or a date library", () => {
  it("says a YAML alias bomb is one", async () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...["b", "c", "d", "e", "f", "g", "h"].map((name, i) => {
        const prev = "abcdefgh"[i];
        return `${name}: &${name} [${Array(9).fill(`*${prev}`).join(",")}]`;
      }),
      "kpis: []",
    ].join("\n");
    const result = await evaluatePoints("p.csv", POINTS, bomb);
    expectDataError(
      result,
      /kpis\.yaml: the YAML uses aliases \(\*name\) that expand to far more than the file holds \(an alias bomb\?\)/,
    );
  });

  it("says YAML nested too deeply is", async () => {
    const result = await evaluatePoints("p.csv", POINTS, `kpis: ${"[".repeat(5_000)}`);
    expectDataError(result, /kpis\.yaml:1:\d+: not valid YAML: nested too deeply/);
  });

  it("refuses every: 99999999999999h as longer than CDF's time range, not a RangeError", async () => {
    const result = await evaluatePoints(
      "p.csv",
      POINTS,
      CONFIG.replace("every: 1h", "every: 99999999999999h"),
    );
    expectDataError(result, `kpis[0].window.every: "99999999999999h" is longer than CDF's whole time range`);
  });

  it("says a missing window.every is required", async () => {
    const result = await evaluatePoints("p.csv", POINTS, CONFIG.replace("every: 1h", "evry: 1h"));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      'kpis[0].window: unknown field "evry"; allowed: every, offset, timeZone\n',
    );
    expect(result.stderr).toContain("kpis[0].window.every: required; use e.g. 10m, 1h");
    expect(result.stderr.indexOf("evry")).toBeLessThan(result.stderr.indexOf("required"));
  });

  it("refuses a kpis.yaml larger than 16 MiB without parsing it", async () => {
    const result = await evaluatePoints("p.csv", POINTS, `kpis: []\n#${"x".repeat(17 << 20)}\n`);
    expectDataError(
      result,
      /kpis\.yaml: 17 MiB is too large for KPI definitions \(at most 16 MiB\); is this the right file\?/,
    );
  });
});

describe("paths", () => {
  it("show a newline in a file name escaped, and spaces as they are", async () => {
    const dir = join(scratch.dir(), "my data");
    mkdirSync(dir);
    const config = scratch.file("kpis.yaml", CONFIG);
    const points = join(dir, "bad\nname.csv");
    writeFileSync(points, `${POINTS}a,x,1,\n`);
    const { exitCode, stderr } = await run(["evaluate", "--config", config, "--input", points, ...RANGE]);
    expect(exitCode).toBe(1);
    expect(stderr).toContain(`"${dir}/bad\\nname.csv":4: timestamp "x" is not epoch ms or ISO 8601`);
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});

describe("text in another encoding than UTF-8", () => {
  it("is named, with its line and the place shown, instead of matching no series", async () => {
    const latin1 = Buffer.from(`${POINTS}Måler,2024-01-01T00:30:00Z,1,\n`, "latin1");
    const result = await evaluatePoints("p.csv", latin1);
    expectDataError(
      result,
      `${result.points}:4: not UTF-8 (a byte that is no UTF-8 character, shown as \\u{fffd}, in "M\\u{fffd}ler,2024-01-01T00:30:00Z,1,"); the file may be Latin-1 or Windows-1252: save or convert it as UTF-8`,
    );
  });

  it("still reads a UTF-8 file that holds U+FFFD itself", async () => {
    const result = await evaluatePoints("p.csv", `${POINTS}M\ufffdler,2024-01-01T00:30:00Z,1,\n`);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
  });
});

describe("the system refusing a write", () => {
  it("says a full disk under --out in one line, exit 3 (/dev/full, written directly as a device)", async () => {
    const config = scratch.file("kpis.yaml", CONFIG);
    const points = scratch.file("p.csv", POINTS);
    const { exitCode, stdout, stderr } = await run([
      "evaluate",
      "--config",
      config,
      "--input",
      points,
      ...RANGE,
      "--out",
      "/dev/full",
    ]);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      "kpi-backfill: error: cannot write /dev/full: no space left on the device (ENOSPC)\n",
    );
    expect(exitCode).toBe(3);
  });
});

describe("JSONL nested too deeply to print", () => {
  it("is described, not stringified into a stack overflow", async () => {
    const deep = `${"[".repeat(200_000)}${"]".repeat(200_000)}`;
    const result = await evaluatePoints(
      "p.jsonl",
      `{"externalId":"a","timestamp":1704067200000,"value":${deep}}\n`,
    );
    expectDataError(
      result,
      "value (a deeply nested list) is not a number; write a JSON number, or null for no value",
    );
  });
});

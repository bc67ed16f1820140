import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CsvFields, type CsvRecord, CsvRecordReader, CsvSyntaxError } from "../src/csvRecordReader.js";

function records(text: string): CsvRecord[] {
  const reader = new CsvRecordReader();
  const out: CsvRecord[] = [];
  text.split("\n").forEach((line, i) => {
    const record = reader.push(line, i + 1);
    if (record !== undefined) out.push(record);
  });
  reader.finish();
  return out;
}

/** Feeds `text` as spans of one string, the way readCsvPoints does with a chunk. */
function spanRecords(text: string): CsvRecord[] {
  const reader = new CsvRecordReader();
  const fields = new CsvFields();
  const out: CsvRecord[] = [];
  let start = 0;
  let lineNumber = 0;
  for (;;) {
    const newline = text.indexOf("\n", start);
    const end = newline === -1 ? text.length : newline;
    const recordLine = reader.pushSpan(text, start, end, ++lineNumber, fields);
    if (recordLine !== 0) out.push({ fields: fields.all(), lineNumber: recordLine });
    if (newline === -1) break;
    start = newline + 1;
  }
  reader.finish();
  return out;
}

describe("CsvRecordReader", () => {
  it("splits plain fields at commas, keeping empty fields", () => {
    expect(records("a,b,,d")).toEqual([{ fields: ["a", "b", "", "d"], lineNumber: 1 }]);
  });

  it("keeps commas inside quoted fields", () => {
    expect(records('"pump,01",1,2,Good')[0]!.fields).toEqual(["pump,01", "1", "2", "Good"]);
  });

  it('unescapes doubled quotes ("") inside a quoted field', () => {
    expect(records('"say ""hi""",x')[0]!.fields).toEqual(['say "hi"', "x"]);
  });

  it("joins a quoted field that spans lines and reports the line the record started on", () => {
    expect(records('h\n"two\nlines",x\nnext')).toEqual([
      { fields: ["h"], lineNumber: 1 },
      { fields: ["two\nlines", "x"], lineNumber: 2 },
      { fields: ["next"], lineNumber: 4 },
    ]);
  });

  it("reads an empty quoted field and a trailing empty field", () => {
    expect(records('"",a,')[0]!.fields).toEqual(["", "a", ""]);
  });

  it("rejects a quote inside an unquoted field, naming the line", () => {
    const error = (() => {
      try {
        records('ok\nab"c,1');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CsvSyntaxError);
    expect((error as CsvSyntaxError).lineNumber).toBe(2);
  });

  it("rejects text after a closing quote", () => {
    expect(() => records('"a"b,1')).toThrowError(/after a closing quote/);
  });

  it("rejects a quoted field still open at the end of the file", () => {
    expect(() => records('a\n"never closed,1')).toThrowError(/not closed before the end of the file/);
  });

  it("reads back any fields written with RFC 4180 quoting", () => {
    const quote = (field: string) => (/[",\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field);
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom("a", ",", '"', "\n", "x", " ") }), {
          minLength: 2,
          maxLength: 5,
        }),
        (fields) => {
          const parsed = records(fields.map(quote).join(","));
          expect(parsed).toHaveLength(1);
          expect(parsed[0]!.fields).toEqual(fields);
        },
      ),
    );
  });

  describe("on spans of a chunk", () => {
    it("splits unquoted rows at commas, keeping empty fields", () => {
      expect(spanRecords("a,b,,d\n,,\nx")).toEqual([
        { fields: ["a", "b", "", "d"], lineNumber: 1 },
        { fields: ["", "", ""], lineNumber: 2 },
        { fields: ["x"], lineNumber: 3 },
      ]);
    });

    it("reads a quoted field that comes after unquoted rows", () => {
      expect(spanRecords('a,1\nb,2\n"c",3\nd,4')).toEqual([
        { fields: ["a", "1"], lineNumber: 1 },
        { fields: ["b", "2"], lineNumber: 2 },
        { fields: ["c", "3"], lineNumber: 3 },
        { fields: ["d", "4"], lineNumber: 4 },
      ]);
    });

    it("keeps a comma inside quotes and goes back to plain rows after it", () => {
      expect(spanRecords('a,1\n"pump,01",2\nb,3').map((r) => r.fields)).toEqual([
        ["a", "1"],
        ["pump,01", "2"],
        ["b", "3"],
      ]);
    });

    it("keeps a trailing carriage return that is part of the span", () => {
      expect(spanRecords("a,1\r\nb,\r")[1]!.fields).toEqual(["b", "\r"]);
    });

    it("joins a quoted field over lines and reports the line it started on", () => {
      expect(spanRecords('h\n"two\nlines",x\nnext')).toEqual([
        { fields: ["h"], lineNumber: 1 },
        { fields: ["two\nlines", "x"], lineNumber: 2 },
        { fields: ["next"], lineNumber: 4 },
      ]);
    });

    it("finds the quotes of a chunk whose text equals the chunk before", () => {
      const reader = new CsvRecordReader();
      const fields = new CsvFields();
      const chunk = 'a,1\n"b",2\nc,3';
      const read: string[][] = [];
      for (const text of [chunk, `${chunk.slice(0, 3)}${chunk.slice(3)}`]) {
        for (const [start, end] of [
          [0, 3],
          [4, 9],
          [10, 13],
        ] as const) {
          reader.pushSpan(text, start, end, 1, fields);
          read.push(fields.all());
        }
      }
      expect(read.slice(3)).toEqual([
        ["a", "1"],
        ["b", "2"],
        ["c", "3"],
      ]);
    });

    it("rejects a quote inside an unquoted field after plain rows", () => {
      expect(() => spanRecords('ok,1\nab"c,1')).toThrowError(/a quote inside unquoted field 1/);
    });

    it("reads the same records as line by line, for any mix of quoted and plain rows", () => {
      const quote = (field: string) => (/[",\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field);
      const field = fc.string({ unit: fc.constantFrom("a", ",", '"', "\n", "x", " ", "\r") });
      fc.assert(
        fc.property(fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { maxLength: 6 }), (rows) => {
          const text = rows.map((row) => row.map(quote).join(",")).join("\n");
          expect(spanRecords(text)).toEqual(records(text));
        }),
      );
    });
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CsvRecord, CsvRecordReader, CsvSyntaxError } from "../src/csvRecordReader.js";

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
    expect(() => records('ok\nab"c,1')).toThrowError(CsvSyntaxError);
    try {
      records('ok\nab"c,1');
    } catch (error) {
      expect((error as CsvSyntaxError).lineNumber).toBe(2);
    }
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
});

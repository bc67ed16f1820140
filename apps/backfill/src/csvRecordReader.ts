// RFC 4180 records on top of lines: fields are separated by commas; a field in double quotes may
// hold commas, doubled quotes ("") and line breaks, so one record can span several lines. Most
// rows hold no quote at all and take the fast path (one split); the rest go through a small
// state machine.

/** A complete CSV record and the line it started on. */
export interface CsvRecord {
  fields: string[];
  lineNumber: number;
}

/** Thrown for a record that is not valid CSV; `lineNumber` is the line the record started on. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly lineNumber: number,
    reason: string,
  ) {
    super(reason);
    this.name = "CsvSyntaxError";
  }
}

/** Assembles CSV records from lines fed in order. */
export class CsvRecordReader {
  private pending: string | undefined;
  private pendingLine = 0;

  /** Feeds one line; returns the record it completes, or undefined while a quoted field is still open. */
  push(line: string, lineNumber: number): CsvRecord | undefined {
    if (this.pending === undefined) {
      if (line.indexOf('"') === -1) return { fields: line.split(","), lineNumber };
      return this.parse(line, lineNumber);
    }
    return this.parse(`${this.pending}\n${line}`, this.pendingLine);
  }

  /** Call after the last line: a quoted field still open is an error. */
  finish(): void {
    if (this.pending !== undefined) {
      throw new CsvSyntaxError(this.pendingLine, "quoted field is not closed before the end of the file");
    }
  }

  private parse(text: string, lineNumber: number): CsvRecord | undefined {
    const fields = splitQuoted(text, lineNumber);
    if (fields === undefined) {
      this.pending = text;
      this.pendingLine = lineNumber;
      return undefined;
    }
    this.pending = undefined;
    return { fields, lineNumber };
  }
}

/** Splits a record that contains quotes; undefined when a quoted field is still open at the end. */
function splitQuoted(text: string, lineNumber: number): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === 34) {
      let value = "";
      let from = i + 1;
      for (;;) {
        const quote = text.indexOf('"', from);
        if (quote === -1) return undefined;
        value += text.slice(from, quote);
        if (text.charCodeAt(quote + 1) === 34) {
          value += '"';
          from = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      fields.push(value);
      if (i === text.length) return fields;
      if (text.charCodeAt(i) !== 44) {
        throw new CsvSyntaxError(
          lineNumber,
          `unexpected character after a closing quote in field ${fields.length}`,
        );
      }
      i++;
    } else {
      const comma = text.indexOf(",", i);
      const value = comma === -1 ? text.slice(i) : text.slice(i, comma);
      if (value.indexOf('"') !== -1) {
        throw new CsvSyntaxError(
          lineNumber,
          `a quote inside unquoted field ${fields.length + 1}; quote the whole field and double inner quotes ("")`,
        );
      }
      fields.push(value);
      if (comma === -1) return fields;
      i = comma + 1;
    }
  }
}

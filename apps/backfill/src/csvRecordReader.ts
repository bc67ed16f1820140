// RFC 4180 records on top of lines: fields are separated by commas; a field in double quotes may
// hold commas, doubled quotes ("") and line breaks, so one record can span several lines. Most
// rows hold no quote at all and take the fast path (commas found with indexOf, fields kept as
// spans of the chunk, nothing allocated); the rest go through a small state machine.

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

/**
 * The fields of one record as spans of one string: field `i` is `text.slice(starts[i], ends[i])`.
 * One instance is refilled for every record, so a field that is not needed costs nothing.
 */
export class CsvFields {
  text = "";
  count = 0;
  readonly starts: number[] = [];
  readonly ends: number[] = [];

  /** Field `i` as a string. */
  field(i: number): string {
    return this.text.slice(this.starts[i]!, this.ends[i]!);
  }

  /** All fields as strings. */
  all(): string[] {
    return Array.from({ length: this.count }, (_, i) => this.field(i));
  }

  /** Whether field `i` is the empty string. */
  isEmpty(i: number): boolean {
    return this.starts[i] === this.ends[i];
  }

  /** Takes fields that are not spans of one string (unescaped quoted ones) by laying them end to end. */
  setAll(fields: readonly string[]): void {
    let at = 0;
    for (let i = 0; i < fields.length; i++) {
      this.starts[i] = at;
      at += fields[i]!.length;
      this.ends[i] = at;
    }
    this.text = fields.join("");
    this.count = fields.length;
  }
}

/**
 * The longest record that spans several lines, in characters (1 MiB). A quote left open by
 * mistake would otherwise swallow the rest of the file into one field.
 */
export const MAX_RECORD_CHARS = 1 << 20;

/** Assembles CSV records from lines fed in order. */
export class CsvRecordReader {
  // The lines of a record whose quoted field is still open. They are joined and parsed once the
  // quotes balance again (an even count: the opening and closing quote of each field, and
  // doubled inner quotes, come in pairs), so a long record costs one pass, not one per line.
  private pending: string[] | undefined;
  private pendingLine = 0;
  private pendingChars = 0;
  private pendingQuotes = 0;
  // The first quote at or after `quoteFrom` in `quoteText` (its length when there is none), so a
  // chunk without quotes is searched once rather than once per line.
  private quoteText = "";
  private quoteFrom = 0;
  private quoteAt = 0;

  /**
   * Feeds the line `text.slice(start, end)` and fills `fields` with the record it completes.
   * Returns the line the record started on, or 0 while a quoted field is still open.
   */
  pushSpan(text: string, start: number, end: number, lineNumber: number, fields: CsvFields): number {
    if (this.pending === undefined) {
      // Comparing the chunk strings is a pointer check for the lines of one chunk; two chunks
      // with equal text have their quotes in the same places anyway.
      if (this.quoteAt < start || this.quoteFrom > start || text !== this.quoteText) {
        const quote = text.indexOf('"', start);
        this.quoteText = text;
        this.quoteFrom = start;
        this.quoteAt = quote === -1 ? text.length : quote;
      }
      if (this.quoteAt >= end) {
        splitUnquoted(text, start, end, fields);
        return lineNumber;
      }
    }
    const record = this.push(text.slice(start, end), lineNumber);
    if (record === undefined) return 0;
    fields.setAll(record.fields);
    return record.lineNumber;
  }

  /** Feeds one line; returns the record it completes, or undefined while a quoted field is still open. */
  push(line: string, lineNumber: number): CsvRecord | undefined {
    if (this.pending === undefined) {
      if (line.indexOf('"') === -1) return { fields: line.split(","), lineNumber };
      const fields = splitQuoted(line, lineNumber);
      if (fields !== undefined) return { fields, lineNumber };
      this.pending = [line];
      this.pendingLine = lineNumber;
      this.pendingChars = line.length;
      this.pendingQuotes = countQuotes(line);
      return undefined;
    }
    this.pending.push(line);
    this.pendingChars += line.length + 1;
    if (this.pendingChars > MAX_RECORD_CHARS) {
      throw new CsvSyntaxError(
        this.pendingLine,
        `a quoted field runs on past ${MAX_RECORD_CHARS.toLocaleString("en-US")} characters (1 MiB) over ${this.pending.length} lines; is its closing quote missing?`,
      );
    }
    this.pendingQuotes += countQuotes(line);
    if (this.pendingQuotes % 2 === 1) return undefined;
    const text = this.pending.join("\n");
    const recordLine = this.pendingLine;
    this.pending = undefined;
    const fields = splitQuoted(text, recordLine);
    // Balanced quotes close every quoted field, so splitQuoted has either thrown or returned.
    return { fields: fields!, lineNumber: recordLine };
  }

  /** Call after the last line: a quoted field still open is an error. */
  finish(): void {
    if (this.pending !== undefined) {
      throw new CsvSyntaxError(this.pendingLine, "quoted field is not closed before the end of the file");
    }
  }
}

function countQuotes(line: string): number {
  let count = 0;
  for (let at = line.indexOf('"'); at !== -1; at = line.indexOf('"', at + 1)) count++;
  return count;
}

function splitUnquoted(text: string, start: number, end: number, fields: CsvFields): void {
  const { starts, ends } = fields;
  let count = 0;
  let from = start;
  for (;;) {
    const comma = text.indexOf(",", from);
    if (comma === -1 || comma >= end) break;
    starts[count] = from;
    ends[count++] = comma;
    from = comma + 1;
  }
  starts[count] = from;
  ends[count++] = end;
  fields.text = text;
  fields.count = count;
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

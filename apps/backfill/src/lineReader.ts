import { isAscii } from "node:buffer";
import { createReadStream } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { DataError } from "./dataError.js";
import { displayPath } from "./displayPath.js";
import { displayText } from "./displayText.js";

// Point files can hold tens of millions of rows, so they are never read whole: the file is
// streamed in 1 MiB chunks and split into lines here. One synchronous callback per line (rather
// than an async iterator per line, as node:readline gives) keeps the per-row cost low, and
// handing out spans of the decoded chunk lets a reader skip the copy of a line it only glances at.

const CHUNK_BYTES = 1 << 20;

/**
 * The longest line read, in characters (1 MiB of ASCII). A point row is well under 1 KiB; a
 * longer line is a file that is not line-oriented (one JSON array, a CR-only file, a binary),
 * and holding it whole would cost memory without bound.
 */
export const MAX_LINE_CHARS = 1 << 20;

/**
 * Calls `onLine` for each line of the UTF-8 file at `path` (1-based line numbers, line ending
 * and a leading byte-order mark removed), and `onBytes` with the size of each chunk read.
 * Throws DataError naming the file (and line) for a line longer than MAX_LINE_CHARS and for a
 * file that is not UTF-8 text with LF or CRLF line endings (UTF-16, CR-only, gzip, zip).
 */
export function readLines(
  path: string,
  onLine: (line: string, lineNumber: number) => void,
  onBytes?: (bytes: number) => void,
): Promise<void> {
  return readLineSpans(
    path,
    (text, start, end, lineNumber) => onLine(text.slice(start, end), lineNumber),
    onBytes,
  );
}

/**
 * Like readLines, but hands out each line as the span [start, end) of `text`, a decoded chunk
 * that holds many lines: the line is `text.slice(start, end)`. Spans come in file order.
 */
export async function readLineSpans(
  path: string,
  onLine: (text: string, start: number, end: number, lineNumber: number) => void,
  onBytes?: (bytes: number) => void,
): Promise<void> {
  const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  // A StringDecoder keeps a multi-byte character split across chunks whole. While every byte so
  // far is ASCII it holds no partial character, and ASCII decodes the same as latin1, which is a
  // plain copy: point files are mostly ASCII.
  const decoder = new StringDecoder("utf8");
  let ascii = true;
  let rest = "";
  let lineNumber = 0;
  let first = true;
  for await (const bytes of stream as AsyncIterable<Buffer>) {
    if (first) checkEncoding(path, bytes);
    ascii &&= isAscii(bytes);
    const chunk = ascii ? bytes.toString("latin1") : decoder.write(bytes);
    if (chunk.length === 0) continue;
    let text = rest + chunk;
    if (!ascii) checkUtf8(path, bytes, text, rest.length, lineNumber);
    if (first) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      checkLineEndings(path, text);
      first = false;
    }
    let from = 0;
    let newline = text.indexOf("\n", from);
    while (newline !== -1) {
      const end = newline > from && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      if (end - from > MAX_LINE_CHARS) throw lineTooLong(path, lineNumber + 1);
      onLine(text, from, end, ++lineNumber);
      from = newline + 1;
      newline = text.indexOf("\n", from);
    }
    rest = text.slice(from);
    if (rest.length > MAX_LINE_CHARS) throw lineTooLong(path, lineNumber + 1);
    // After the chunk's lines, so a progress line shows the rows of the bytes it reports.
    onBytes?.(ascii ? bytes.length : Buffer.byteLength(chunk));
  }
  // What an unfinished multi-byte character at the very end decodes to (U+FFFD).
  const tail = decoder.end();
  if (tail.length > 0) {
    checkUtf8(path, Buffer.alloc(0), rest + tail, rest.length, lineNumber);
    rest += tail;
    onBytes?.(Buffer.byteLength(tail));
  }
  if (rest.length > 0) {
    onLine(rest, 0, rest.charCodeAt(rest.length - 1) === 13 ? rest.length - 1 : rest.length, ++lineNumber);
  }
}

function lineTooLong(path: string, lineNumber: number): DataError {
  return new DataError(
    `${displayPath(path)}:${lineNumber}: the line is longer than ${MAX_LINE_CHARS.toLocaleString("en-US")} characters (1 MiB); ` +
      "a point file has one short row per line. Is this the right file?",
  );
}

/** Formats that decode as UTF-8 without an error but are not text we can read, by their first bytes. */
function checkEncoding(path: string, bytes: Buffer): void {
  const refuse = (what: string): never => {
    throw new DataError(`${displayPath(path)}: ${what}`);
  };
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    refuse("the file is UTF-16 (it starts with a UTF-16 byte-order mark); save or convert it as UTF-8");
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b)
    refuse("the file is gzip-compressed; decompress it first (gunzip)");
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    refuse("the file is a ZIP archive (an Excel .xlsx?); export it as CSV (UTF-8)");
  }
  // UTF-16 without a byte-order mark: ASCII text has a NUL in every other byte.
  const pairs = Math.min(32, bytes.length >> 1);
  if (pairs >= 2) {
    let evenNul = 0;
    let oddNul = 0;
    for (let i = 0; i < pairs; i++) {
      if (bytes[2 * i] === 0) evenNul++;
      if (bytes[2 * i + 1] === 0) oddNul++;
    }
    if (oddNul === pairs && evenNul === 0)
      refuse("the file looks like UTF-16LE (a NUL byte after every character); save or convert it as UTF-8");
    if (evenNul === pairs && oddNul === 0)
      refuse("the file looks like UTF-16BE (a NUL byte before every character); save or convert it as UTF-8");
  }
}

/** A file whose lines end in CR alone (classic Mac OS) would read as one endless line. */
function checkLineEndings(path: string, text: string): void {
  const cr = text.indexOf("\r");
  if (cr === -1 || cr + 1 >= text.length || text.charCodeAt(cr + 1) === 10) return;
  const lf = text.indexOf("\n");
  if (lf === -1 || lf > cr) {
    throw new DataError(
      `${displayPath(path)}: the lines end in CR alone (classic Mac line endings); convert the file to LF or CRLF line endings`,
    );
  }
}

const REPLACEMENT_BYTES = Buffer.from("\ufffd", "utf8");

/**
 * A byte sequence that is not UTF-8 decodes to U+FFFD; unless the file holds that character
 * itself, the file is in another encoding (Latin-1, Windows-1252), and reading on would turn
 * a name such as "Måler" into a series that matches nothing. `text.slice(from)` is new text.
 */
function checkUtf8(path: string, bytes: Buffer, text: string, from: number, linesBefore: number): void {
  const bad = text.indexOf("\ufffd", from);
  if (bad === -1 || bytes.includes(REPLACEMENT_BYTES)) return;
  let line = linesBefore + 1;
  for (let at = text.indexOf("\n"); at !== -1 && at < bad; at = text.indexOf("\n", at + 1)) line++;
  const lineStart = text.lastIndexOf("\n", bad) + 1;
  const lineEnd = text.indexOf("\n", bad);
  const excerpt = text.slice(lineStart, lineEnd === -1 ? undefined : lineEnd).replace(/\r$/, "");
  throw new DataError(
    `${displayPath(path)}:${line}: not UTF-8 (a byte that is no UTF-8 character, shown as \\u{fffd}, in ${displayText(excerpt)}); ` +
      "the file may be Latin-1 or Windows-1252: save or convert it as UTF-8",
  );
}

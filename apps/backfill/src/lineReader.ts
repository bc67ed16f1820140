import { isAscii } from "node:buffer";
import { createReadStream } from "node:fs";
import { StringDecoder } from "node:string_decoder";

// Point files can hold tens of millions of rows, so they are never read whole: the file is
// streamed in 1 MiB chunks and split into lines here. One synchronous callback per line (rather
// than an async iterator per line, as node:readline gives) keeps the per-row cost low, and
// handing out spans of the decoded chunk lets a reader skip the copy of a line it only glances at.

const CHUNK_BYTES = 1 << 20;

/**
 * Calls `onLine` for each line of the UTF-8 file at `path` (1-based line numbers, line ending
 * and a leading byte-order mark removed), and `onBytes` with the size of each chunk read.
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
    ascii &&= isAscii(bytes);
    const chunk = ascii ? bytes.toString("latin1") : decoder.write(bytes);
    if (chunk.length === 0) continue;
    let text = rest + chunk;
    if (first) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    let from = 0;
    let newline = text.indexOf("\n", from);
    while (newline !== -1) {
      const end = newline > from && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      onLine(text, from, end, ++lineNumber);
      from = newline + 1;
      newline = text.indexOf("\n", from);
    }
    rest = text.slice(from);
    // After the chunk's lines, so a progress line shows the rows of the bytes it reports.
    onBytes?.(ascii ? bytes.length : Buffer.byteLength(chunk));
  }
  // What an unfinished multi-byte character at the very end decodes to (U+FFFD).
  const tail = decoder.end();
  if (tail.length > 0) {
    rest += tail;
    onBytes?.(Buffer.byteLength(tail));
  }
  if (rest.length > 0) {
    onLine(rest, 0, rest.charCodeAt(rest.length - 1) === 13 ? rest.length - 1 : rest.length, ++lineNumber);
  }
}

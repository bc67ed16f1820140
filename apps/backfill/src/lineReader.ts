import { createReadStream } from "node:fs";

// Point files can hold tens of millions of rows, so they are never read whole: the file is
// streamed in 1 MiB chunks and split into lines here. One synchronous callback per line (rather
// than an async iterator per line, as node:readline gives) keeps the per-row cost to a slice.

const CHUNK_BYTES = 1 << 20;

/**
 * Calls `onLine` for each line of the UTF-8 file at `path` (1-based line numbers, line ending
 * and a leading byte-order mark removed), and `onBytes` with the size of each chunk read.
 */
export async function readLines(
  path: string,
  onLine: (line: string, lineNumber: number) => void,
  onBytes?: (bytes: number) => void,
): Promise<void> {
  const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  // setEncoding uses a StringDecoder, so a multi-byte character split across chunks survives.
  stream.setEncoding("utf8");
  let rest = "";
  let lineNumber = 0;
  let first = true;
  for await (const chunk of stream as AsyncIterable<string>) {
    let text = rest + chunk;
    if (first) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    let from = 0;
    let newline = text.indexOf("\n", from);
    while (newline !== -1) {
      const end = newline > from && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      onLine(text.slice(from, end), ++lineNumber);
      from = newline + 1;
      newline = text.indexOf("\n", from);
    }
    rest = text.slice(from);
    // After the chunk's lines, so a progress line shows the rows of the bytes it reports.
    onBytes?.(Buffer.byteLength(chunk));
  }
  if (rest.length > 0) {
    onLine(rest.charCodeAt(rest.length - 1) === 13 ? rest.slice(0, -1) : rest, ++lineNumber);
  }
}

// The one reader of request bodies, CDF routes and the control API alike. Limits apply to what
// the handlers will see, not to what arrives on the wire: a 3 MB gzip body that inflates to 3 GB
// is refused while it inflates, and JSON nested deeper than the emulator can serialize again is
// refused before it is parsed, so nothing accepted can later break a read or a save.

import type { IncomingMessage } from "node:http";
import { promisify } from "node:util";
import { gunzip, inflate } from "node:zlib";
import { CdfError } from "./context.js";

/** Decoded bytes a body may have: function zips and 100,000-point inserts fit easily. */
export const MAX_BODY_BYTES = 200 * 1024 * 1024;

/**
 * Nesting depth of arrays and objects a JSON body may have. CDF's own limit is undocumented; its
 * JVM services parse with Jackson, whose default is 1000 (2.15-2.17) and 500 since 2.18
 * (jackson-core #1233). 500 also keeps well clear of where V8's JSON.stringify runs out of stack
 * (about 4,000 levels), which the emulator needs to answer reads and to save.
 */
export const MAX_JSON_DEPTH = 500;

const inflaters = { gzip: promisify(gunzip), deflate: promisify(inflate) } as const;

export interface RequestBody {
  /** The decoded bytes (after Content-Encoding). */
  raw: Buffer;
  /** The parsed JSON, or undefined when the body is empty or not JSON. */
  json: unknown;
}

export async function readRequestBody(
  req: IncomingMessage,
  maxBytes: number = MAX_BODY_BYTES,
): Promise<RequestBody> {
  const encoding = String(req.headers["content-encoding"] ?? "identity")
    .trim()
    .toLowerCase();
  if (encoding !== "identity" && encoding !== "gzip" && encoding !== "deflate") {
    throw new CdfError(
      415,
      `Content-Encoding '${encoding}' is not supported; send the body uncompressed, gzip or deflate.`,
    );
  }
  let raw = await collect(req, maxBytes);
  if (encoding !== "identity" && raw.length > 0)
    raw = await inflateCapped(raw, encoding as "gzip" | "deflate", maxBytes);

  const type = String(req.headers["content-type"] ?? "").toLowerCase();
  if (raw.length === 0 || !(type.includes("json") || (type === "" && looksLikeJson(raw)))) {
    return { raw, json: undefined };
  }
  const tooDeep = depthExceededAt(raw, MAX_JSON_DEPTH);
  if (tooDeep !== undefined) {
    throw new CdfError(
      400,
      `The request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep (at byte ${tooDeep}); flatten the data to at most ${MAX_JSON_DEPTH} levels.`,
    );
  }
  try {
    return { raw, json: JSON.parse(raw.toString("utf8")) };
  } catch (e) {
    throw new CdfError(
      400,
      `The request body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/**
 * The wire bytes, refused once they pass the cap. Past the cap the rest is read and dropped rather
 * than the socket destroyed, so the client still gets the 413.
 */
function collect(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (e: CdfError) => {
      if (settled) return;
      settled = true;
      reject(e);
    };
    req.on("data", (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) fail(tooLarge(maxBytes, ""));
      else chunks.push(chunk);
    });
    req.on("end", () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks));
    });
    req.on("error", (e) => fail(new CdfError(400, `The request body could not be read: ${e.message}.`)));
    req.on("close", () => fail(new CdfError(400, "The request body ended before its last byte arrived.")));
  });
}

/** Inflates in zlib's thread pool and stops as soon as the output passes the cap. */
async function inflateCapped(raw: Buffer, encoding: "gzip" | "deflate", maxBytes: number): Promise<Buffer> {
  try {
    return await inflaters[encoding](raw, { maxOutputLength: maxBytes });
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge(maxBytes, encoding);
    throw new CdfError(
      400,
      `The request body is not valid ${encoding} data (Content-Encoding: ${encoding}): ${(e as Error).message}.`,
    );
  }
}

function tooLarge(maxBytes: number, encoding: string): CdfError {
  const decoded = encoding === "" ? "" : ` once decoded (Content-Encoding: ${encoding})`;
  return new CdfError(
    413,
    `The request body is larger than ${maxBytes} bytes (${maxBytes / 1024 / 1024} MiB)${decoded}; split the request into smaller ones.`,
  );
}

function looksLikeJson(raw: Buffer): boolean {
  const first = raw.toString("utf8", 0, Math.min(raw.length, 16)).trimStart()[0];
  return first === "{" || first === "[";
}

/**
 * The byte offset where the nesting of `[` and `{` first passes `max`, outside strings; undefined
 * when it never does. A byte scan, so it is cheap next to JSON.parse and cannot itself overflow.
 */
export function depthExceededAt(raw: Uint8Array, max: number): number | undefined {
  const QUOTE = 0x22;
  const BACKSLASH = 0x5c;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as number;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return undefined;
}

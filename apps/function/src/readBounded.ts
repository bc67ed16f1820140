import { FunctionInputError } from "./functionInputError.js";

/** The most stdin the function reads: a payload is a few kB; more is not a call's input. */
export const MAX_INPUT_BYTES = 5 * 1024 * 1024;

/** All of `stream` as UTF-8 text; FunctionInputError past `maxBytes`, without reading the rest. */
export async function readBounded(
  stream: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  maxBytes = MAX_INPUT_BYTES,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk);
    size += bytes.length;
    if (size > maxBytes) {
      throw new FunctionInputError(
        `The function's input on stdin is larger than ${maxBytes / 1024 / 1024} MB: a call's data is a few fields (mode, from, to, kpis), not data to process`,
      );
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString("utf8");
}

// Datapoint status codes as CDF stores them: OPC UA status codes, where the top two bits are the
// severity (00 Good, 01 Uncertain, 10 Bad; docs.cognite.com/dev/concepts/reference/status_codes).
// The emulator knows the symbols of the three plain severities; any other code is accepted by its
// severity bits and echoed back without a symbol.

import { CdfError } from "../context.js";

export const STATUS_GOOD = 0;
export const STATUS_UNCERTAIN = 1073741824;
export const STATUS_BAD = 2147483648;

export type StatusCategory = "good" | "uncertain" | "bad";

const SYMBOLS = new Map<string, number>([
  ["Good", STATUS_GOOD],
  ["Uncertain", STATUS_UNCERTAIN],
  ["Bad", STATUS_BAD],
]);

export function statusCategory(code: number): StatusCategory {
  // >>> 30 on a uint32 gives the two severity bits; 3 is reserved and rejected at insert.
  const severity = code >>> 30;
  return severity === 0 ? "good" : severity === 1 ? "uncertain" : "bad";
}

export function statusSymbol(code: number): string | undefined {
  if (code === STATUS_GOOD) return "Good";
  if (code === STATUS_UNCERTAIN) return "Uncertain";
  if (code === STATUS_BAD) return "Bad";
  return undefined;
}

/** Parse an insert's `status: {code?, symbol?}`; `where` names the datapoint for the error message. */
export function parseStatus(status: unknown, where: string): number {
  if (status === undefined || status === null) return STATUS_GOOD;
  if (typeof status !== "object") {
    throw new CdfError(
      400,
      `${where}: status must be an object {code?, symbol?}, got ${JSON.stringify(status)}`,
    );
  }
  const { code, symbol } = status as { code?: unknown; symbol?: unknown };
  let fromCode: number | undefined;
  if (code !== undefined) {
    if (typeof code !== "number" || !Number.isInteger(code) || code < 0 || code > 0xffffffff) {
      throw new CdfError(
        400,
        `${where}: status.code must be an unsigned 32-bit integer, got ${String(code)}`,
      );
    }
    if (code >>> 30 === 3) {
      throw new CdfError(
        400,
        `${where}: status.code ${code} has the reserved severity bits 11; use Good, Uncertain or Bad`,
      );
    }
    fromCode = code;
  }
  let fromSymbol: number | undefined;
  if (symbol !== undefined) {
    fromSymbol = typeof symbol === "string" ? SYMBOLS.get(symbol) : undefined;
    if (fromSymbol === undefined) {
      throw new CdfError(
        400,
        `${where}: unknown status symbol ${JSON.stringify(symbol)}; the emulator knows "Good", "Uncertain" and "Bad" (or send status.code)`,
      );
    }
  }
  if (fromCode !== undefined && fromSymbol !== undefined && fromCode !== fromSymbol) {
    throw new CdfError(
      400,
      `${where}: status.code ${fromCode} and status.symbol ${String(symbol)} do not match`,
    );
  }
  return fromCode ?? fromSymbol ?? STATUS_GOOD;
}

/** `{code, symbol?}` for a response; CDF omits the status of Good points. */
export function statusObject(code: number): { code: number; symbol?: string } {
  const symbol = statusSymbol(code);
  return symbol === undefined ? { code } : { code, symbol };
}

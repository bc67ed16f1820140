import { displayText } from "./displayText.js";

// Point values are decimal numbers as exporters write them: an optional sign, digits with an
// optional fraction, an optional exponent (`42`, `-0.5`, `+3`, `.5`, `5.`, `1e-7`, `2.5E+3`).
// Everything else JavaScript's Number() would also read is refused, because a file that holds
// it was not written as decimal data: `0x10` (16), `0b11` (3), `0o7`, `Infinity` (CDF stores only
// finite values), text padded with spaces (RFC 4180: spaces are part of a field), or a blank
// field. `1_000` and `1,5` are refused too. Empty, or NaN in any case, means "no value".

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A point value from a file: empty or NaN (any case) means "no value" (NaN); otherwise a finite
 * decimal number. Returns undefined for anything else; pointValueError says why.
 */
export function parsePointValue(text: string): number | undefined {
  return parsePointValueSpan(text, 0, text.length);
}

// 10^0 .. 10^15, all exact doubles.
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, i) => 10 ** i);

/** parsePointValue of `text.slice(start, end)`, without the slice for a plain decimal. */
export function parsePointValueSpan(text: string, start: number, end: number): number | undefined {
  if (start === end) return Number.NaN;
  const decimal = plainDecimal(text, start, end);
  if (decimal !== undefined) return decimal;
  const slice = start === 0 && end === text.length ? text : text.slice(start, end);
  if (DECIMAL.test(slice)) {
    const value = Number(slice);
    return Number.isFinite(value) ? value : undefined;
  }
  return slice.length === 3 && slice.toLowerCase() === "nan" ? Number.NaN : undefined;
}

/** Why parsePointValue(text) is undefined, as the end of a sentence: `"x" is not a number ...`. */
export function pointValueError(text: string): string {
  const quoted = displayText(text);
  if (text.trim() !== text) {
    return `${quoted} has spaces around it; remove them (an empty field means no value)`;
  }
  if (DECIMAL.test(text)) return `${quoted} is beyond the range of a double (about ±1.8e308)`;
  if (/^[+-]?(inf|infinity)$/i.test(text)) {
    return `${quoted} is not a finite number; CDF stores only finite values (leave it empty for no value)`;
  }
  return `${quoted} is not a decimal number (e.g. 42, -0.5, 1e-7); leave it empty for no value`;
}

/**
 * `-?digits(.digits)?` with at most 15 digits, read without Number(): the digits make an exact
 * integer below 2^53 and 10^fraction is exact, so their quotient is the correctly rounded value
 * of the decimal, which is what Number() gives (Clinger's fast path). Undefined for anything else.
 */
function plainDecimal(text: string, start: number, end: number): number | undefined {
  const negative = text.charCodeAt(start) === 45;
  let i = negative ? start + 1 : start;
  let digits = 0;
  let mantissa = 0;
  let point = -1;
  for (; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      mantissa = mantissa * 10 + (code - 48);
      digits++;
    } else if (code === 46 && point === -1) {
      point = i;
    } else {
      return undefined;
    }
  }
  // At least one digit before and after a point, as in "1.5" (".5" and "5." go the slow way).
  if (digits === 0 || digits > 15 || point === (negative ? start + 1 : start) || point === end - 1) {
    return undefined;
  }
  const value = point === -1 ? mantissa : mantissa / POWERS_OF_TEN[end - 1 - point]!;
  return negative ? -value : value;
}

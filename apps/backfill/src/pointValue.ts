/**
 * A point value from a file: empty, whitespace or NaN (any case) means "no value" (NaN);
 * otherwise a JavaScript number literal. Returns undefined for anything else.
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
  const value = Number(slice);
  if (!Number.isNaN(value)) {
    // Number("  ") is 0: a blank cell must not turn into a real zero.
    return value === 0 && slice.trim() === "" ? Number.NaN : value;
  }
  return slice.trim().toLowerCase() === "nan" ? Number.NaN : undefined;
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

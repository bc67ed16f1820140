// Timestamps in point files and on the command line: integer epoch milliseconds (what CDF's API
// and its exports use) or ISO 8601. Parsed by hand rather than with Date.parse, because
// Date.parse reads a time without an offset as *local* time and silently rolls 2024-02-30 over
// to March 1st; both would shift data without a word.

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses integer epoch milliseconds or an ISO 8601 date/date-time. A date-time without an offset
 * is UTC; fractions of a millisecond are truncated. Returns undefined when `text` is neither.
 */
export function parseTimestamp(text: string): number | undefined {
  return parseTimestampSpan(text, 0, text.length);
}

/** parseTimestamp of `text.slice(start, end)`, without the slice for epoch milliseconds. */
export function parseTimestampSpan(text: string, start: number, end: number): number | undefined {
  const ms = epochMs(text, start, end);
  if (ms !== undefined) return ms;
  const m = ISO_8601.exec(start === 0 && end === text.length ? text : text.slice(start, end));
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, "0"));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  return utc - offsetMinutes(m[8]) * 60_000;
}

/**
 * An optional minus and 1 to 16 digits, read digit by digit: the same number as Number(), since
 * every partial value below 2^53 is exact and one beyond it is not a safe integer either way.
 * Undefined for anything else, including a number beyond the safe integers.
 */
function epochMs(text: string, start: number, end: number): number | undefined {
  const negative = text.charCodeAt(start) === 45;
  const from = negative ? start + 1 : start;
  if (end <= from || end - from > 16) return undefined;
  let ms = 0;
  for (let i = from; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    ms = ms * 10 + digit;
  }
  if (!Number.isSafeInteger(ms)) return undefined;
  return negative ? -ms : ms;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function offsetMinutes(zone: string | undefined): number {
  if (zone === undefined || zone === "Z" || zone === "z") return 0;
  const sign = zone[0] === "-" ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (hours * 60 + minutes);
}

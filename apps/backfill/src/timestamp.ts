import { CDF_MAX_TIME, CDF_MIN_TIME } from "@kpi-pipeline/kpi-core";
import { displayText } from "./displayText.js";

// Timestamps in point files and on the command line: integer epoch milliseconds (what CDF's API
// and its exports use) or ISO 8601. Parsed by hand rather than with Date.parse, because
// Date.parse reads a time without an offset as *local* time and silently rolls 2024-02-30 over
// to March 1st; both would shift data without a word.

/** The earliest timestamp CDF stores: 1900-01-01T00:00:00.000Z (kpi-core's CDF_MIN_TIME). */
export const CDF_MIN_TIMESTAMP = CDF_MIN_TIME;
/** The latest timestamp CDF stores: 2099-12-31T23:59:59.999Z (kpi-core's CDF_MAX_TIME). */
export const CDF_MAX_TIMESTAMP = CDF_MAX_TIME;
/** CDF's range as a message states it. */
export const CDF_RANGE_TEXT = `1900-01-01T00:00:00Z to 2099-12-31T23:59:59.999Z (${CDF_MIN_TIMESTAMP} to ${CDF_MAX_TIMESTAMP} ms)`;

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** UTC offsets in use range from -12:00 to +14:00; ISO 8601 and java.time allow up to ±18:00. */
const MAX_OFFSET_MINUTES = 18 * 60;

/**
 * Parses integer epoch milliseconds or an ISO 8601 date/date-time within CDF's range. A
 * date-time without an offset is UTC; fractions of a millisecond are truncated. Returns
 * undefined for anything else; timestampError says why.
 */
export function parseTimestamp(text: string): number | undefined {
  return parseTimestampSpan(text, 0, text.length);
}

/** parseTimestamp of `text.slice(start, end)`, without the slice for epoch milliseconds. */
export function parseTimestampSpan(text: string, start: number, end: number): number | undefined {
  const ms = anyTimestamp(text, start, end);
  return ms !== undefined && ms >= CDF_MIN_TIMESTAMP && ms <= CDF_MAX_TIMESTAMP ? ms : undefined;
}

/**
 * parseTimestamp for the exclusive end of a range: it may also be the end of CDF's last
 * millisecond, 2100-01-01T00:00:00Z, so a range can cover windows up to the end of 2099.
 */
export function parseTimestampEnd(text: string): number | undefined {
  const ms = anyTimestamp(text, 0, text.length);
  return ms !== undefined && ms >= CDF_MIN_TIMESTAMP && ms <= CDF_MAX_TIMESTAMP + 1 ? ms : undefined;
}

/** Why parseTimestamp(text) is undefined, as the end of a sentence: `"x" is not epoch ms or ISO 8601 ...`. */
export function timestampError(text: string): string {
  const quoted = displayText(text);
  const ms = anyTimestamp(text, 0, text.length);
  if (ms !== undefined) return `${quoted} is outside CDF's time range, ${CDF_RANGE_TEXT}`;
  const m = ISO_8601.exec(text);
  if (m?.[8] !== undefined && offsetMinutes(m[8]) === undefined) {
    return `${quoted} has the UTC offset ${m[8]}; an offset is at most ±18:00, with minutes below 60`;
  }
  if (text !== text.trim()) return `${quoted} has spaces around it; remove them`;
  return `${quoted} is not epoch ms or ISO 8601 (e.g. 1711756800000 or 2024-03-30T00:00:00Z)`;
}

/** Any epoch ms or valid ISO 8601 text as ms, in or out of CDF's range; undefined if malformed. */
function anyTimestamp(text: string, start: number, end: number): number | undefined {
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
  const offset = offsetMinutes(m[8]);
  if (offset === undefined) return undefined;
  // Not Date.UTC: it reads years 0-99 as 1900-1999, so 0050-01-01 would become 1950.
  const utc =
    new Date(0).setUTCFullYear(year, month - 1, day) + ((hour * 60 + minute) * 60 + second) * 1000 + millis;
  return utc - offset * 60_000;
}

/**
 * An optional minus and digits, read digit by digit: the same number as Number() while it stays
 * below 2^53, where every partial value is exact. Longer numbers are far outside CDF's range and
 * come out as ±Infinity, so they are reported as out of range rather than as malformed.
 */
function epochMs(text: string, start: number, end: number): number | undefined {
  const negative = text.charCodeAt(start) === 45;
  const from = negative ? start + 1 : start;
  if (end <= from) return undefined;
  let ms = 0;
  for (let i = from; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    ms = ms > 1e16 ? Number.POSITIVE_INFINITY : ms * 10 + digit;
  }
  return negative ? -ms : ms;
}

function daysInMonth(year: number, month: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, 0);
  return date.getUTCDate();
}

/** Minutes east of UTC; undefined for an offset beyond ±18:00 or with minutes of 60 or more. */
function offsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined || zone === "Z" || zone === "z") return 0;
  const sign = zone[0] === "-" ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  const total = hours * 60 + minutes;
  if (minutes >= 60 || total > MAX_OFFSET_MINUTES) return undefined;
  return sign * total;
}

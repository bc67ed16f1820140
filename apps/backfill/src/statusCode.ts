import { STATUS_BAD, STATUS_GOOD, STATUS_UNCERTAIN } from "@kpi-pipeline/kpi-core";

// CDF status codes are OPC UA style 32-bit codes: the top two bits are the class (00 Good,
// 01 Uncertain, 10 Bad). Exports carry either the numeric code or its symbol, e.g. "Good",
// "BadOutOfRange", "UncertainLastUsableValue"; only the class matters to the KPI engine, so a
// symbol is mapped to its class by its prefix.

const DECIMAL = /^\d{1,10}$/;

/** Parses an empty status (Good), a class symbol or a numeric CDF status code; undefined if it is neither. */
export function parseStatusCode(text: string): number | undefined {
  if (text === "" || text === "Good") return STATUS_GOOD;
  if (DECIMAL.test(text)) {
    const code = Number(text);
    return code <= 0xffffffff ? code : undefined;
  }
  const symbol = text.toLowerCase();
  if (symbol.startsWith("good")) return STATUS_GOOD;
  if (symbol.startsWith("uncertain")) return STATUS_UNCERTAIN;
  if (symbol.startsWith("bad")) return STATUS_BAD;
  return undefined;
}

/** parseStatusCode of `text.slice(start, end)`, without the slice for an empty status. */
export function parseStatusCodeSpan(text: string, start: number, end: number): number | undefined {
  return start === end ? STATUS_GOOD : parseStatusCode(text.slice(start, end));
}

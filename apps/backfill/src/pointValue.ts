/**
 * A point value from a file: empty, whitespace or NaN (any case) means "no value" (NaN);
 * otherwise a JavaScript number literal. Returns undefined for anything else.
 */
export function parsePointValue(text: string): number | undefined {
  if (text.length === 0) return Number.NaN;
  const value = Number(text);
  if (!Number.isNaN(value)) {
    // Number("  ") is 0: a blank cell must not turn into a real zero.
    return value === 0 && text.trim() === "" ? Number.NaN : value;
  }
  return text.trim().toLowerCase() === "nan" ? Number.NaN : undefined;
}

import { displayText } from "./displayText.js";

/**
 * A file path for a message: as given when it is plain (spaces included), quoted and escaped by
 * displayText when it holds a newline or another invisible character that would garble the line
 * (or a quote or backslash, which the escaped form must then show as such).
 */
export function displayPath(path: string): string {
  const escaped = displayText(path, Number.POSITIVE_INFINITY);
  return escaped === `"${path}"` ? path : escaped;
}

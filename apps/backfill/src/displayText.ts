// Text from a user's file, quoted for an error message. A message must show what is really there:
// a NUL, a stray carriage return, a zero-width space or a byte-order mark inside a field is
// invisible on a terminal (or, for control characters, garbles it), so such characters are shown
// as escapes. A 1 MiB field must not flood the terminal, so long text is cut.

// C0 and C1 controls, DEL, and the format/separator characters a terminal shows as nothing:
// soft hyphen, zero-width and direction marks, line/paragraph separators, bidi controls, word
// joiners and invisible operators, the byte-order mark, interlinear annotation anchors, and
// U+FFFD, which a terminal shows like any other unknown glyph.
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff\ufff9-\ufffb\ufffd]/g;

const NAMED: Readonly<Record<string, string>> = { "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/**
 * `text` in double quotes, with invisible characters, backslashes and double quotes escaped
 * (`"a\0b"`, `"\u{200b}x"`), cut to `max` characters with the full length said. With
 * `quoted: false`, only invisible characters are escaped and no quotes are added (for text that
 * is already a sentence, such as a parser's message).
 */
export function displayText(text: string, max = 80, { quoted = true } = {}): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  const marked = quoted ? cut.replaceAll("\\", "\\\\").replaceAll('"', '\\"') : cut;
  const escaped = marked.replace(
    INVISIBLE,
    (char) => NAMED[char] ?? `\\u{${char.charCodeAt(0).toString(16).padStart(4, "0")}}`,
  );
  const shown = quoted ? `"${escaped}"` : escaped;
  return cut === text ? shown : `${shown}... (${text.length} characters)`;
}

// A server may echo what it was sent, and a secret travels in more than one spelling: as written,
// percent-encoded in a URL or form body (`+` and `/` become %2B and %2F, a space `+`), and escaped
// in JSON. Each spelling is cut out of text before it reaches an error message or a log.

const PLACEHOLDER = "[redacted]";

/** The ways `secret` can appear in text that echoes a request. */
function spellings(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const percent = encodeURIComponent(secret);
  const form = new URLSearchParams({ s: secret }).toString().slice(2);
  const lowerHex = percent.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
  // Longest first, so that a spelling containing another is cut whole.
  return [...new Set([secret, json, percent, form, lowerHex])].sort((a, b) => b.length - a.length);
}

/** `text` with every spelling of each secret (of 4 or more characters) replaced by a placeholder. */
export function withoutSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue; // too short to cut without mangling ordinary words
    for (const s of spellings(secret)) out = out.split(s).join(PLACEHOLDER);
  }
  return out;
}

import { inspect } from "node:util";

// A credential that can travel through settings objects without ever being printed: logging,
// JSON.stringify, string concatenation and util.inspect all show a placeholder. Only `reveal()`
// gives the value, and only the token request calls it.
const PLACEHOLDER = "[redacted]";

/** A secret value (a client secret, a token) that prints as `[redacted]` everywhere. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return PLACEHOLDER;
  }

  toJSON(): string {
    return PLACEHOLDER;
  }

  [inspect.custom](): string {
    return PLACEHOLDER;
  }
}

import { z } from "zod";
import type { ClientCredentials } from "./cdfSettings.js";
import { TokenRequestError } from "./tokenRequestError.js";
import { withoutSecrets } from "./withoutSecrets.js";

// OAuth2 client credentials against the project's identity provider (Entra ID, the emulator's
// /oauth2/token, ...). The IdP is not CDF, so this one form post is made with fetch rather than
// through the SDK. Tokens are cached until shortly before they expire; the SDK asks for another
// one when CDF answers 401, and the connection asks ahead of expiry, so a long run never
// sends a token that is about to lapse.

export interface TokenSourceOptions {
  /** For tests; the global fetch otherwise. */
  fetch?: typeof fetch;
  /** Wall clock in epoch ms; for tests. */
  now?: () => number;
  /** Renew this long before expiry (default 5 minutes, at most half the token's lifetime). */
  refreshMarginMs?: number;
  /** Give up on the token endpoint after this long (default 30 s). */
  timeoutMs?: number;
}

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  // Entra ID sends a number; some IdPs send it as a string.
  expires_in: z.coerce.number().positive().optional(),
});

const errorResponseSchema = z.object({
  error: z.string().optional(),
  error_description: z.string().optional(),
});

interface CachedToken {
  token: string;
  refreshAt: number;
  /** Whether the SDK already has it: asking again then means CDF refused it (a 401). */
  handedOut: boolean;
}

/** Gets, caches and renews bearer tokens by client credentials. */
export class ClientCredentialsTokenSource {
  readonly #credentials: ClientCredentials;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #marginMs: number;
  readonly #timeoutMs: number;
  #cached: CachedToken | undefined;
  #inFlight: Promise<CachedToken> | undefined;
  #requests = 0;
  /** The last failure, until a token is obtained again; lets a 401 be explained by its cause. */
  lastError: TokenRequestError | undefined;

  constructor(credentials: ClientCredentials, options: TokenSourceOptions = {}) {
    this.#credentials = credentials;
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? Date.now;
    this.#marginMs = options.refreshMarginMs ?? 5 * 60_000;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Token requests made so far (successful or not). */
  get requestCount(): number {
    return this.#requests;
  }

  /** True when there is no token or the current one is within its refresh margin of expiry. */
  needsRefresh(): boolean {
    return this.#cached === undefined || this.#now() >= this.#cached.refreshAt;
  }

  /** A fresh token from the identity provider; concurrent callers share one request. */
  async refresh(): Promise<string> {
    this.#inFlight ??= this.#request().finally(() => {
      this.#inFlight = undefined;
    });
    return (await this.#inFlight).token;
  }

  /**
   * The SDK's `oidcTokenProvider`. The SDK asks on its first request, on a 401, and when the
   * connection renews ahead of expiry; only the first ask may be answered from the cache.
   */
  async tokenForSdk(): Promise<string> {
    const cached = this.#cached;
    if (cached !== undefined && !cached.handedOut && this.#now() < cached.refreshAt) {
      cached.handedOut = true;
      return cached.token;
    }
    if (this.#inFlight === undefined) await this.refresh();
    else await this.#inFlight;
    const fresh = this.#cached!;
    fresh.handedOut = true;
    return fresh.token;
  }

  async #request(): Promise<CachedToken> {
    const { tokenUrl, clientId, clientSecret, scopes } = this.#credentials;
    const where = `the token endpoint ${tokenUrl} (client "${clientId}")`;
    const fix = "Check CDF_TOKEN_URL, CDF_CLIENT_ID, CDF_CLIENT_SECRET and CDF_TOKEN_SCOPES.";
    this.#requests++;
    const startedAt = this.#now();
    let response: Response;
    try {
      response = await this.#fetch(tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: clientId,
          client_secret: clientSecret.reveal(),
          scope: scopes.join(" "),
        }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw this.#fail(new TokenRequestError(`Could not reach ${where}: ${causeOf(error)}. ${fix}`));
    }
    const text = await response.text().catch(() => "");
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const parsed = errorResponseSchema.safeParse(body);
      const detail = parsed.success
        ? [parsed.data.error, parsed.data.error_description].filter((s) => s !== undefined).join(": ")
        : "";
      throw this.#fail(
        new TokenRequestError(
          `The ${where.slice(4)} refused the token request with HTTP ${response.status}${detail === "" ? "" : ` (${this.#clean(detail)})`}. ${fix}`,
          response.status,
        ),
      );
    }
    const parsed = tokenResponseSchema.safeParse(body);
    if (!parsed.success) {
      throw this.#fail(
        new TokenRequestError(
          `The ${where.slice(4)} answered HTTP ${response.status} without an access_token and a positive expires_in. ${fix}`,
          response.status,
        ),
      );
    }
    const lifetimeMs = (parsed.data.expires_in ?? Number.POSITIVE_INFINITY) * 1000;
    const margin = Math.min(this.#marginMs, lifetimeMs / 2);
    const cached = {
      token: parsed.data.access_token,
      refreshAt: startedAt + lifetimeMs - margin,
      handedOut: false,
    };
    this.#cached = cached;
    this.lastError = undefined;
    return cached;
  }

  #fail(error: TokenRequestError): TokenRequestError {
    this.lastError = error;
    return error;
  }

  /** An IdP's description is echoed for its hints, cut short and with the secret removed should it ever appear. */
  #clean(detail: string): string {
    const redacted = withoutSecrets(detail, [this.#credentials.clientSecret.reveal()]);
    const oneLine = redacted
      .replace(/\s+/g, " ")
      .replace(/[\s.]+$/, "")
      .trim();
    return oneLine.length > 300 ? `${oneLine.slice(0, 297)}...` : oneLine;
  }
}

function causeOf(error: unknown): string {
  if (error instanceof Error && error.name === "TimeoutError") return "no answer in time";
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

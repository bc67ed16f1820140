import type { CogniteClient } from "@cognite/sdk";
import { CdfRequestError } from "./cdfRequestError.js";
import type { CdfSettings } from "./cdfSettings.js";
import type { ClientCredentialsTokenSource } from "./clientCredentialsTokenSource.js";
import type { CountingCogniteClient } from "./countingCogniteClient.js";

// The one way this package talks to CDF: a counting SDK client, a token renewed before it
// lapses, and failures turned into CdfRequestErrors with the secrets cut out. The typed SDK APIs
// are used through `call`; endpoints the SDK has no typed API for through `post` and `get`.

export class CdfConnection {
  readonly project: string;
  readonly baseUrl: string;
  readonly #client: CountingCogniteClient;
  readonly #tokens: ClientCredentialsTokenSource | undefined;
  readonly #secrets: () => readonly string[];

  constructor(
    settings: CdfSettings,
    client: CountingCogniteClient,
    tokens: ClientCredentialsTokenSource | undefined,
  ) {
    this.project = settings.project;
    this.baseUrl = settings.baseUrl;
    this.#client = client;
    this.#tokens = tokens;
    const auth = settings.auth;
    const fixed = auth.kind === "token" ? [auth.token.reveal()] : [auth.clientSecret.reveal()];
    this.#secrets = () => fixed;
  }

  /** The SDK client, for reading; requests made through it directly are counted but not renewed or translated. */
  get client(): CogniteClient {
    return this.#client;
  }

  /** HTTP requests sent to CDF so far, the SDK's retries included (token requests not included). */
  get requestCount(): number {
    return this.#client.requestCount;
  }

  /** Token requests sent to the identity provider so far (0 with a given token). */
  get tokenRequestCount(): number {
    return this.#tokens?.requestCount ?? 0;
  }

  /** Run one SDK operation; `operation` names it in errors, e.g. "POST /timeseries/data". */
  async call<T>(operation: string, run: (client: CogniteClient) => Promise<T>): Promise<T> {
    if (this.#tokens?.needsRefresh()) {
      // A failed renewal is reported below if CDF then refuses the old token.
      await this.#client.authenticate();
    }
    try {
      return await run(this.#client);
    } catch (error) {
      const translated = CdfRequestError.from(error, operation, this.#secrets());
      // The SDK swallows token-provider failures and sends the request anyway; the 401 that
      // follows is better explained by why there was no token.
      if (translated instanceof CdfRequestError && translated.status === 401 && this.#tokens?.lastError) {
        throw this.#tokens.lastError;
      }
      throw translated;
    }
  }

  /** POST to a project-relative path (`/timeseries/data/list`); returns the response body. */
  post<T>(path: string, body: unknown): Promise<T> {
    return this.call(`POST ${path}`, async (client) => {
      // Serialized here: the SDK would indent the JSON (stringify(body, null, 2)), which about
      // doubles the bytes of a 100,000-point insert.
      const response = await client.post<T>(this.#url(path), {
        data: JSON.stringify(body),
        headers: { "Content-Type": "application/json" },
      });
      return response.data;
    });
  }

  /** GET a project-relative path; returns the response body. */
  get<T>(path: string, params?: Record<string, string | number | boolean>): Promise<T> {
    return this.call(`GET ${path}`, async (client) => {
      const response = await client.get<T>(this.#url(path), params === undefined ? {} : { params });
      return response.data;
    });
  }

  #url(path: string): string {
    return `/api/v1/projects/${encodeURIComponent(this.project)}${path}`;
  }
}

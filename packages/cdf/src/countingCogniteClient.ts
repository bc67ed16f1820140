import { type ClientOptions, CogniteClient, type HttpResponse } from "@cognite/sdk";

// A CogniteClient that counts the HTTP requests it sends, the SDK's own retries included, so a
// run can report "requests made" against the minimum it needs. The SDK has no request hook:
// attempts are counted by wrapping the instance's rawRequest (once per request, before the SDK's
// retry loop) and the retry validator (once per retry the SDK decides to make).

type RawRequest = (request: unknown) => Promise<unknown>;
/** The SDK's RetryValidator, whose request type the SDK does not export. */
type RetryValidator = (request: object, response: HttpResponse<unknown>, retryCount: number) => boolean;

export class CountingCogniteClient extends CogniteClient {
  #requests = 0;
  #sdkRetries = 0;

  constructor(options: ClientOptions) {
    super(options);
    const http = (this as unknown as { httpClient: { rawRequest: RawRequest } }).httpClient;
    const rawRequest = http.rawRequest.bind(http);
    http.rawRequest = (request) => {
      this.#requests++;
      return rawRequest(request);
    };
  }

  /** HTTP requests sent to CDF so far: one per request plus one per retry the SDK made. */
  get requestCount(): number {
    return this.#requests + this.#sdkRetries;
  }

  /** Retries the SDK made on its own (429s, and 5xx on the POST paths it deems safe). */
  get sdkRetryCount(): number {
    return this.#sdkRetries;
  }

  protected override getRetryValidator(): RetryValidator {
    const validator = super.getRetryValidator();
    const counted: RetryValidator = (request, response, retryCount) => {
      const retry = validator(request as Parameters<typeof validator>[0], response, retryCount);
      // Called from the parent constructor's http client setup; the fields exist by the time a request runs.
      if (retry) this.#sdkRetries++;
      return retry;
    };
    return counted;
  }
}

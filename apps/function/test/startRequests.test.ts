import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FunctionSite, HOUR, startFunctionSite, T0 } from "./functionOnEmulator.js";

// The start of a call: the requests that need nothing from each other (CDF's time and the
// timeout, the function's own record, the subscriptions over the inputs) go out together, and
// when they fail, the call says what it said when they ran one after another.

const FUNCTION_ID = 7;
const START_REQUESTS = [
  "GET /functions/limits",
  `GET /functions/${FUNCTION_ID}`,
  "POST /timeseries/subscriptions/byids",
] as const;
/** Long enough that requests sent together all arrive within it on a busy machine. */
const HOLD_MS = 10_000;

/**
 * Between the function and the emulator: holds each start request until all of them have
 * arrived (or HOLD_MS passed), so a call that sends them one after another is caught waiting.
 * It answers GET /functions/{id} itself: the emulator's functions are deployed zips.
 */
class HoldingProxy {
  readonly arrived: string[] = [];
  /** Whether every start request arrived while the others were held. */
  together = false;
  #release: () => void = () => {};
  readonly #released = new Promise<void>((resolve) => {
    this.#release = resolve;
  });
  #server: Server | undefined;
  #timedOut = false;

  constructor(private readonly target: URL) {}

  async listen(): Promise<string> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#release();
    this.#server?.closeAllConnections();
    await new Promise((resolve) => this.#server?.close(resolve));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = `${req.method} ${(req.url ?? "").replace(/^\/api\/v1\/projects\/[^/]+/, "").split("?")[0]}`;
    if ((START_REQUESTS as readonly string[]).includes(route) && !this.arrived.includes(route)) {
      this.arrived.push(route);
      if (this.arrived.length === START_REQUESTS.length && !this.#timedOut) {
        this.together = true;
        this.#release();
      }
      const timer = setTimeout(() => {
        this.#timedOut = true;
        this.#release();
      }, HOLD_MS);
      await this.#released;
      clearTimeout(timer);
    }
    if (route === `GET /functions/${FUNCTION_ID}`) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: FUNCTION_ID, name: "kpi-function", externalId: "kpi-function" }));
      return;
    }
    const upstream = request(
      new URL(req.url ?? "/", this.target),
      { method: req.method, headers: { ...req.headers, host: this.target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  }
}

let site: FunctionSite;
beforeAll(async () => {
  site = await startFunctionSite({ clock: T0 + 2 * HOUR });
  await site.feed(T0 - HOUR, T0 + 2 * HOUR);
  await site.point({ functionExternalId: "kpi-function", epoch: 1 });
});
afterAll(() => site?.close());

/** A scheduled call through the proxy, that looks up who it is by function_id as in CDF. */
async function callThrough(proxy: HoldingProxy, token?: string) {
  const baseUrl = await proxy.listen();
  try {
    return await site.call({
      stdin: JSON.stringify({
        data: { mode: "scheduled" },
        function_call_info: { function_id: FUNCTION_ID, call_id: 1 },
        project: site.t.emulator.project,
        baseUrl,
        token: token ?? site.t.emulator.control.token(),
      }),
      env: { KPI_FUNCTION_EPOCH: "1" },
    });
  } finally {
    await proxy.close();
  }
}

describe("the start of a call", () => {
  it("sends its independent requests together: each arrives while the others wait for answers", async () => {
    const proxy = new HoldingProxy(new URL(site.t.emulator.baseUrl));
    const { code, result } = await callThrough(proxy);
    expect(proxy.arrived.toSorted()).toEqual([...START_REQUESTS].toSorted());
    expect(proxy.together).toBe(true);
    expect(code).toBe(0);
    expect(result).toMatchObject({ status: "completed", self: "kpi-function@1", kpis: { total: 2 } });
  });

  it("says CDF refused the token, as the first request always did, though every start request was refused", async () => {
    const proxy = new HoldingProxy(new URL(site.t.emulator.baseUrl));
    const { code, result } = await callThrough(proxy, "not-a-token");
    expect(proxy.together).toBe(true);
    expect(code).toBe(1);
    expect(result.error).toMatch(
      /^CDF refused the call's token \(GET \/functions\/limits failed with HTTP 401/,
    );
  });

  it("begins no subscription request when the deployer's variables are wrong", async () => {
    const requests = () => site.t.emulator.control.stats().requests["POST /timeseries/subscriptions/byids"];
    const count = () => Object.values(requests() ?? {}).reduce((n, c) => n + c, 0);
    const before = count();
    const { code, result } = await site.call({ env: { KPI_FUNCTION_EPOCH: "soon" } });
    expect(code).toBe(1);
    expect(result.error).toMatch(/^KPI_FUNCTION_EPOCH "soon" is not an epoch/);
    expect(count()).toBe(before);
  });
});

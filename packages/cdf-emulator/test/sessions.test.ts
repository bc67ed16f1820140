import type { CogniteClient } from "@cognite/sdk";
import { describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.js";
import { createTestClient } from "../src/testing/index.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";
import { failure } from "./fixtures/failure.js";
import { functionsContractOptions, projectPath } from "./fixtures/functionKit.js";

let emulator: Emulator;
let client: CogniteClient;
const path = (p: string) => projectPath(emulator, p);

emulatorSuite({ project: "sessions-test", contract: functionsContractOptions }, (started) => {
  ({ emulator, client } = started);
});

describe("sessions", () => {
  it("creates a READY session with a nonce from client credentials", async () => {
    const [session] = await client.sessions.create([
      { clientId: emulator.clientId, clientSecret: emulator.clientSecret },
    ]);
    expect(session).toMatchObject({
      status: "READY",
      type: "CLIENT_CREDENTIALS",
      clientId: emulator.clientId,
    });
    expect(typeof session?.nonce).toBe("string");
    expect(typeof session?.id).toBe("number");
  });

  it("rejects client credentials of an unknown client with a 400 naming the client id", async () => {
    const error = await failure(
      client.sessions.create([{ clientId: "nobody", clientSecret: "guessed-secret-123" }]),
    );
    expect(error.status).toBe(400);
    expect(error.message).toContain("'nobody'");
    expect(error.message).not.toContain("guessed-secret-123");
  });

  it("rejects a known client with a wrong secret, without echoing the secret", async () => {
    const error = await failure(
      client.sessions.create([{ clientId: emulator.clientId, clientSecret: "wrong-secret-456" }]),
    );
    expect(error.status).toBe(400);
    expect(error.message).toContain(`'${emulator.clientId}'`);
    expect(error.message).not.toContain("wrong-secret-456");
  });

  it("creates a session for another registered client with its own secret", async () => {
    emulator.control.addClient({ clientId: "scheduler", clientSecret: "scheduler-secret" });
    const [session] = await client.sessions.create([
      { clientId: "scheduler", clientSecret: "scheduler-secret" },
    ]);
    expect(session).toMatchObject({ status: "READY", clientId: "scheduler" });
  });

  it("creates a session by token exchange, without a clientId in the answer", async () => {
    const [session] = await client.sessions.create([{ tokenExchange: true }]);
    expect(session).toMatchObject({ status: "READY", type: "TOKEN_EXCHANGE" });
    expect(session).not.toHaveProperty("clientId");
  });

  it("accepts exactly one item per request", async () => {
    const error = await failure(client.sessions.create([{ tokenExchange: true }, { tokenExchange: true }]));
    expect(error.status).toBe(400);
  });

  it("retrieves sessions by id with their creation time on the virtual clock", async () => {
    const [session] = await client.sessions.create([{ tokenExchange: true }]);
    const [found] = await client.sessions.retrieve([{ id: session?.id as number }]);
    expect(found).toMatchObject({ id: session?.id, status: "READY" });
    expect(new Date(found?.creationTime as unknown as string | number).getTime()).toBe(
      emulator.control.now(),
    );
  });

  it("names unknown ids in missing", async () => {
    const error = await failure(client.sessions.retrieve([{ id: 999 }]));
    expect(error.status).toBe(400);
    expect(error.missing).toEqual([{ id: 999 }]);
  });

  it("lists sessions filtered by status and revokes them", async () => {
    const [a] = await client.sessions.create([{ tokenExchange: true }]);
    const [b] = await client.sessions.create([{ tokenExchange: true }]);
    const revoked = await client.sessions.revoke([{ id: a?.id as number }]);
    expect(revoked.map((s) => [s.id, s.status])).toEqual([[a?.id, "REVOKED"]]);
    const ready = await client.get<{ items: Array<{ id: number }> }>(path("/sessions"), {
      params: { status: "ready" },
    });
    expect(ready.data.items.map((s) => s.id)).toEqual([b?.id]);
  });

  it("the status filter takes upper case, as both SDKs send it", async () => {
    const [a] = await client.sessions.create([{ tokenExchange: true }]);
    const [b] = await client.sessions.create([{ tokenExchange: true }]);
    await client.sessions.revoke([{ id: a?.id as number }]);
    const ready = await client.sessions.list({ filter: { status: "READY" } }).autoPagingToArray();
    expect(ready.map((s) => s.id)).toEqual([b?.id]);
    const revoked = await client.get<{ items: Array<{ id: number }> }>(path("/sessions"), {
      params: { status: "REVOKED" },
    });
    expect(revoked.data.items.map((s) => s.id)).toEqual([a?.id]);
    expect((await failure(client.get(path("/sessions"), { params: { status: "GONE" } }))).status).toBe(400);
  });

  it("list and byids items carry expirationTime: before any token, the end of the nonce's lifetime", async () => {
    const created = emulator.control.now();
    const [session] = await client.sessions.create([{ tokenExchange: true }]);
    const [listed] = await client.sessions.list().autoPagingToArray();
    expect(listed).toMatchObject({
      id: session?.id,
      creationTime: created,
      expirationTime: created + 60_000,
    });
    const [byId] = await client.sessions.retrieve([{ id: session?.id as number }]);
    expect(byId?.expirationTime).toBe(created + 60_000);
  });

  it("requires sessionsAcl CREATE", async () => {
    emulator.control.addClient({
      clientId: "no-sessions",
      clientSecret: "x",
      capabilities: [{ sessionsAcl: { actions: ["LIST"], scope: { all: {} } } }],
    });
    const limited = createTestClient(emulator, { clientId: "no-sessions", clientSecret: "x" });
    expect((await failure(limited.sessions.create([{ tokenExchange: true }]))).status).toBe(403);
  });
});

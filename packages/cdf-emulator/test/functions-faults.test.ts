import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CogniteClient } from "@cognite/sdk";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../src/index.js";
import { createTestClient } from "../src/testing/index.js";
import { emulatorSuite } from "./fixtures/emulatorSuite.js";
import {
  call,
  deploy,
  finished,
  functionsContract,
  functionsContractOptions,
  getFunction,
  projectPath,
} from "./fixtures/functionKit.js";

const settings = { deployQueuedMs: 1_000, deployDeployingMs: 2_000 };

// Writes one datapoint per request, five requests, with the call's session token.
const WRITER = `
import json, urllib.request
def handle(client, data):
    name, value = client.config.credentials.authorization_header()
    url = client.config.base_url + "/api/v1/projects/" + client.config.project + "/timeseries/data"
    for i in range(5):
        body = json.dumps({"items": [{"externalId": data["ts"], "datapoints": [{"timestamp": 1000 * (i + 1), "value": i}]}]})
        req = urllib.request.Request(url, data=body.encode(), method="POST", headers={name: value, "content-type": "application/json"})
        urllib.request.urlopen(req).read()
        print("wrote", i)
    return {"wrote": 5}
`;

describe("crashAfterDatapointWrites", () => {
  let emulator: Emulator;
  let client: CogniteClient;

  emulatorSuite(
    { project: "functions-faults", contract: functionsContractOptions, settings, resetBeforeEach: false },
    (started) => {
      ({ emulator, client } = started);
    },
  );

  it("kills the call after N datapoint write requests of its session and marks it Failed", async () => {
    await client.timeseries.create([{ externalId: "kpi:out", name: "out" }]);
    const fn = await deploy(emulator, client, "writer", { "handler.py": WRITER });
    emulator.control.addFunctionFault({ function: "writer", crashAfterDatapointWrites: 2 });
    const done = await finished(
      emulator,
      client,
      fn.id,
      (await call(emulator, client, fn.id, { ts: "kpi:out" })).id,
    );
    expect(done.status).toBe("Failed");
    expect(done.error?.message).toMatch(/crashAfterDatapointWrites 2/);
    const [series] = await client.datapoints.retrieve({
      items: [{ externalId: "kpi:out" }],
      start: 0,
      end: 10_000,
    });
    expect(series?.datapoints.map((p) => (p as { value: number }).value)).toEqual([0, 1]);
  });

  it("leaves calls of functions without the fault alone", async () => {
    await client.timeseries.create([{ externalId: "kpi:ok", name: "ok" }]);
    const fn = await deploy(emulator, client, "writer-ok", { "handler.py": WRITER });
    const done = await finished(
      emulator,
      client,
      fn.id,
      (await call(emulator, client, fn.id, { ts: "kpi:ok" })).id,
    );
    expect(done.status).toBe("Completed");
  });
});

describe("persistence", () => {
  const contract = functionsContract();
  afterEach(() => contract.assertNoViolations());
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "e2-persist-"));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("a Ready function, its schedule and its past calls survive a restart, and it can be called again", async () => {
    const first = await startEmulator({
      contractHook: contract,
      port: 0,
      project: "persist",
      settings,
      dataDir,
    });
    const client1 = createTestClient(first);
    const fn = await deploy(first, client1, "kept", { "handler.py": "def handle(data):\n    return data\n" });
    const before = await finished(first, client1, fn.id, (await call(first, client1, fn.id, { n: 1 })).id);
    await first.close();

    const second = await startEmulator({
      contractHook: contract,
      port: 0,
      project: "persist",
      settings,
      dataDir,
    });
    try {
      const client2 = createTestClient(second);
      expect((await getFunction(second, client2, fn.id)).status).toBe("Ready");
      const old = await client2.get<{ response: unknown }>(
        projectPath(second, `/functions/${fn.id}/calls/${before.id}/response`),
      );
      expect(old.data.response).toEqual({ n: 1 });
      const again = await finished(second, client2, fn.id, (await call(second, client2, fn.id, { n: 2 })).id);
      expect(again.status).toBe("Completed");
      expect(again.id).toBeGreaterThan(before.id);
    } finally {
      await second.close();
    }
  });
});

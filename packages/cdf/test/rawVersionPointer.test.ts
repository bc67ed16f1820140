import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import { describe, expect, it } from "vitest";
import type { CdfConnection } from "../src/cdfConnection.js";
import { RawDocumentStore } from "../src/rawDocumentStore.js";
import { ACTIVE_VERSION_KEY, RawVersionPointer, versionIdentity } from "../src/rawVersionPointer.js";
import { cdfOnEmulator } from "./cdfOnEmulator.js";

let t: TestEmulator;
let cdf: CdfConnection;

cdfOnEmulator({ project: "pointer-test" }, (suite) => {
  ({ t, cdf } = suite);
});

describe("RawVersionPointer", () => {
  it("names the version the deployer made active, and nobody when there is no pointer", async () => {
    await t.emulator.control.reset();
    const documents = new RawDocumentStore(cdf, { db: "kpi_state", table: "state" });
    const pointer = new RawVersionPointer(documents);
    const none = await pointer.active();
    expect(none.version).toBe("no active version (Raw row kpi_state/state/active-version is missing)");
    await documents.put(ACTIVE_VERSION_KEY, {
      functionExternalId: "kpi-fn-v2",
      epoch: 3,
      previous: { functionExternalId: "kpi-fn-v1", epoch: 2 },
    });
    const { version } = await pointer.active();
    expect(version).toBe(versionIdentity({ functionExternalId: "kpi-fn-v2", epoch: 3 }));
    expect(version).not.toBe(versionIdentity({ functionExternalId: "kpi-fn-v2", epoch: 2 }));
    expect(version).not.toBe(versionIdentity({ functionExternalId: "kpi-fn-v1", epoch: 3 }));
  });

  it("gives a new generation with every change of the row, a rollback to the same version included", async () => {
    await t.emulator.control.reset();
    const documents = new RawDocumentStore(cdf, { db: "kpi_state", table: "state" });
    const pointer = new RawVersionPointer(documents);
    const v1 = { functionExternalId: "kpi-fn-v1", epoch: 1, previous: null };
    const v2 = {
      functionExternalId: "kpi-fn-v2",
      epoch: 2,
      previous: { functionExternalId: "kpi-fn-v1", epoch: 1 },
    };
    const readings = [];
    for (const row of [v1, v2, v1, v1]) {
      // Raw stamps each change of a row with its time in ms; the emulator's clock stands still unless moved.
      await t.emulator.control.advanceClock("1s");
      await documents.put(ACTIVE_VERSION_KEY, row);
      const reading = await pointer.active();
      expect(await pointer.active()).toEqual(reading);
      readings.push(reading);
    }
    expect(readings.map((r) => r.version)).toEqual([
      "kpi-fn-v1@1",
      "kpi-fn-v2@2",
      "kpi-fn-v1@1",
      "kpi-fn-v1@1",
    ]);
    // Each change of the row a new generation; a write of the same contents is none (Raw keeps its
    // lastUpdatedTime), and no version took over in between.
    expect(new Set(readings.slice(0, 3).map((r) => r.generation)).size).toBe(3);
    expect(readings[3]!.generation).toBe(readings[2]!.generation);
  });

  it("refuses a pointer row that comes without a lastUpdatedTime (no CDF answers so), naming it", async () => {
    const row = {
      key: ACTIVE_VERSION_KEY,
      columns: { document: { functionExternalId: "kpi-fn", epoch: 3 } },
    };
    const notCdf = {
      call: (_: string, run: (client: unknown) => Promise<unknown>) =>
        run({ raw: { retrieveRow: async () => row } }),
    } as unknown as CdfConnection;
    const pointer = new RawVersionPointer(new RawDocumentStore(notCdf, { db: "kpi_state", table: "state" }));
    await expect(pointer.active()).rejects.toThrow(
      "Raw row kpi_state/state/active-version came without a valid lastUpdatedTime, which CDF always sends: is CDF_BASE_URL a CDF API?",
    );
  });

  it("refuses a pointer row that is not one, naming it, and says not to delete it", async () => {
    await t.emulator.control.reset();
    const documents = new RawDocumentStore(cdf, { db: "kpi_state", table: "state" });
    await documents.put(ACTIVE_VERSION_KEY, { functionExternalId: "kpi-fn", epoch: "3" });
    const pointer = new RawVersionPointer(documents);
    for (const reading of [pointer.active(), pointer.read()]) {
      await expect(reading).rejects.toThrow(
        /^Raw row kpi_state\/state\/active-version does not hold the expected document at epoch: .* It is the active-version pointer, which the deployer writes: restore it, or flip to a version again; until then no version writes\.$/,
      );
    }
  });
});

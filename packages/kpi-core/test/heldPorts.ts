import { CDF_MAX_TIME, CDF_MIN_TIME } from "../src/model.js";
import type { PendingRecord, StateSave, StateStore } from "../src/ports.js";
import type { RunPorts } from "../src/runKpis.js";
import type { InMemoryDatapointStore } from "../src/testing/index.js";

// Ports that stop at a chosen moment, for tests that hold two runs at the exact moments of a race.

/** A gate a port waits at: `arrival` once it is reached, `release` lets it pass. */
export function held() {
  let release!: () => void;
  let arrived!: () => void;
  const arrival = new Promise<void>((r) => {
    arrived = r;
  });
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const wait = () => {
    arrived();
    return gate;
  };
  return { arrival, release, wait };
}

export type Gate = ReturnType<typeof held>;

/** The store as output, each write waiting at `gate`; "applied, then 503" lands it and then fails. */
export function heldOutput(
  store: InMemoryDatapointStore,
  gate: Gate,
  fault?: "applied, then 503",
): RunPorts["output"] {
  return {
    latest: (r) => store.latest(r),
    write: async (w) => {
      await gate.wait();
      await store.write(w);
      if (fault !== undefined) throw new Error("503 Service Unavailable (applied)");
    },
    remove: async (r) => {
      await gate.wait();
      await store.remove(r);
    },
  };
}

/** The state store with its cursor saves waiting at `gate` (states and run records land as they come). */
export function heldCursors(state: StateStore, gate: Gate): StateStore {
  return {
    load: (k, s) => state.load(k, s),
    save: async (e: StateSave) => {
      if (e.cursors !== undefined) await gate.wait();
      await state.save(e);
    },
  };
}

/**
 * A scheduled run's plan before its changes are planned: any window (CDF's whole time range) of
 * each KPI it may write. Its plan proper comes in a later put of the record.
 */
export function isProvisionalPlan(planned: PendingRecord["planned"]): boolean {
  if (planned === undefined || planned.size === 0) return false;
  return [...planned.values()].every(
    (spans) => spans.length === 1 && spans[0]!.from === CDF_MIN_TIME && spans[0]!.to === CDF_MAX_TIME + 1,
  );
}

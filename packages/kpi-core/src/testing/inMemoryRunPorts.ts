import type { RunPorts } from "../runKpis.js";
import { FixedClock } from "./FixedClock.js";
import { InMemoryChangeSource } from "./InMemoryChangeSource.js";
import type { InMemoryDatapointStore } from "./InMemoryDatapointStore.js";
import { InMemoryStateStore } from "./InMemoryStateStore.js";
import { InMemoryVersionPointer } from "./InMemoryVersionPointer.js";

/**
 * A run's ports over one in-memory store (inputs and outputs in it), with `self` the active
 * version and the clock at `now`: the setup every run test starts from.
 */
export function inMemoryRunPorts(
  store: InMemoryDatapointStore,
  options: { self: string; now: number; partitions?: number },
): RunPorts & { clock: FixedClock; state: InMemoryStateStore; pointer: InMemoryVersionPointer } {
  return {
    source: store,
    output: store,
    pointer: new InMemoryVersionPointer(options.self),
    changes: new InMemoryChangeSource(store, { partitions: options.partitions ?? 1 }),
    state: new InMemoryStateStore(),
    clock: new FixedClock(options.now),
  };
}

// In-memory ports for tests, dry runs and the emulator-free demo; not part of the production
// bundle (import from "@kpi-pipeline/kpi-core/testing").
export { FixedClock } from "./FixedClock.js";
export { InMemoryChangeSource, type InMemoryChangeSourceOptions } from "./InMemoryChangeSource.js";
export { InMemoryDatapointStore, type StoredPoint } from "./InMemoryDatapointStore.js";
export { InMemoryStateStore } from "./InMemoryStateStore.js";
export { InMemoryVersionPointer } from "./InMemoryVersionPointer.js";
export { inMemoryRunPorts } from "./inMemoryRunPorts.js";

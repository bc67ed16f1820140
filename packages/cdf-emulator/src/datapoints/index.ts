// Datapoints (`/timeseries/data*`): column storage, the four routes, aggregates.
export { registerDatapointRoutes } from "./datapointRoutes.js";
export { DatapointStore } from "./datapointStore.js";

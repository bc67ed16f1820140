// Time series metadata (`/timeseries*`, not datapoints).
export { controlTimeSeriesCreate, TIME_SERIES_LIMITS } from "./timeSeriesRequests.js";
export { registerTimeSeriesRoutes, timeSeriesCreateOf } from "./timeSeriesRoutes.js";
export {
  type TimeSeries,
  type TimeSeriesCreate,
  TimeSeriesStore,
  timeSeriesInfo,
} from "./timeSeriesStore.js";

// Data modeling: spaces and the nodes of cdf_cdm:CogniteTimeSeries/v1 (`/models/*`).
export { COGNITE_TIME_SERIES_VIEW } from "./cogniteTimeSeriesView.js";
export { type Models, registerModelRoutes } from "./modelRoutes.js";

/** An output time series cannot be created as specified (a field over CDF's limits); nothing was created. */
export class OutputSeriesSpecError extends Error {
  override readonly name = "OutputSeriesSpecError";
}

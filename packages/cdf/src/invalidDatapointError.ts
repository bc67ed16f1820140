/** A point CDF would refuse (or silently mangle) was found before anything was sent. */
export class InvalidDatapointError extends Error {
  override readonly name = "InvalidDatapointError";
}

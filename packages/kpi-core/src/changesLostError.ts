/**
 * A change cursor is older than the subscription keeps changes (CDF: 7 days): what changed since
 * is unknown, so everything since the KPIs' first windows must be recomputed.
 */
export class ChangesLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChangesLostError";
  }
}

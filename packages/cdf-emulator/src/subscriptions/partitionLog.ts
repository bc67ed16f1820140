// One partition of a subscription: an append-only log of changes in ingestion order. A position
// is the number of entries ever appended before an entry, so it never shifts when old entries
// expire. CDF keeps 7 days of changes ("Updates written since the creation of the subscription,
// up to 7 days ago, can be retrieved", API docs, Data point subscriptions); older entries are
// dropped on the virtual clock.

/** A time series as a subscription update names it (`GetTimeSeriesForSubscription`). */
export interface SubscribedSeries {
  id: number;
  externalId?: string;
  instanceId?: { space: string; externalId: string };
  isString: boolean;
}

export type LoggedChange =
  | {
      kind: "upsert";
      series: SubscribedSeries;
      points: Array<{ timestamp: number; value?: number | string | null; status?: { code: number } }>;
    }
  | { kind: "delete"; series: SubscribedSeries; inclusiveBegin: number; exclusiveEnd?: number }
  | { kind: "added"; series: SubscribedSeries }
  | { kind: "removed"; series: SubscribedSeries };

export interface LogEntry {
  /** Position in this partition (first entry ever appended = 0). */
  position: number;
  /** Global ingestion order across all partitions and subscriptions, to merge partitions in order. */
  sequence: number;
  /** Virtual-clock time the change was ingested. */
  ingestedAt: number;
  change: LoggedChange;
}

export const RETENTION_MS = 7 * 24 * 3600 * 1000;

export class PartitionLog {
  #entries: LogEntry[] = [];
  /** Index into #entries of the oldest retained entry (expired ones are dropped lazily). */
  #head = 0;
  /** Position of #entries[0]. */
  #base = 0;

  /** Position the next appended entry will get (the end of the stream). */
  get end(): number {
    return this.#base + this.#entries.length;
  }

  /** Position of the oldest entry still retained (= end when none is). */
  get start(): number {
    return this.#base + this.#head;
  }

  append(change: LoggedChange, sequence: number, ingestedAt: number): void {
    this.#entries.push({ position: this.end, sequence, ingestedAt, change });
  }

  /** Drop entries ingested more than the retention period before `now`. */
  expire(now: number): void {
    const cutoff = now - RETENTION_MS;
    while (this.#head < this.#entries.length && this.#entries[this.#head]!.ingestedAt < cutoff) this.#head++;
    // Compact once the dead prefix dominates, so expiry stays amortised O(1) per entry.
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#base += this.#head;
      this.#head = 0;
    }
  }

  /** The first position whose entry was ingested at or after `time` (end when none). */
  positionAt(time: number): number {
    let lo = this.#head;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#entries[mid]!.ingestedAt < time) lo = mid + 1;
      else hi = mid;
    }
    return this.#base + lo;
  }

  /** The entry at `position`, if it is retained. */
  at(position: number): LogEntry | undefined {
    return position < this.start ? undefined : this.#entries[position - this.#base];
  }

  entries(): LogEntry[] {
    return this.#entries.slice(this.#head);
  }

  /** Rebuild from persisted entries (positions are kept). */
  static restore(entries: LogEntry[], end: number): PartitionLog {
    const log = new PartitionLog();
    log.#entries = entries;
    log.#base = entries.length > 0 ? entries[0]!.position : end;
    return log;
  }
}

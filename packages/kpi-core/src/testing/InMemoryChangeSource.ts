import { ChangesLostError } from "../changesLostError.js";
import type { ChangePage, ChangeSource, PartitionCursor, SeriesChange } from "../ports.js";
import { seriesLookupKey } from "../series.js";
import type { InMemoryDatapointStore } from "./InMemoryDatapointStore.js";

export interface InMemoryChangeSourceOptions {
  partitions?: number;
  /** Changes per poll, over all partitions. */
  pageSize?: number;
  /** Deliver each page's first change of a partition again in the next page (at least once). */
  duplicate?: boolean;
  /** Shuffle the changes of a page (no order across partitions), with this seed. */
  shuffleSeed?: number;
}

/**
 * A datapoint subscription on an InMemoryDatapointStore's inputs, unkind like CDF's: changes come
 * at least once (duplicated with `duplicate`), in no order across partitions (`shuffleSeed`), a
 * page at a time; `expire` drops old changes, and polling from before them then fails with
 * ChangesLostError, as a cursor older than CDF's 7-day retention does.
 */
export class InMemoryChangeSource implements ChangeSource {
  readonly partitions: number;
  private readonly logs: SeriesChange[][];
  /** Per partition, the index of the first change still kept. */
  private readonly firstKept: number[];
  private readonly pageSize: number;
  private random: number;
  /** Calls to poll() so far. */
  polls = 0;

  constructor(
    store: InMemoryDatapointStore,
    private readonly opts: InMemoryChangeSourceOptions = {},
  ) {
    this.partitions = opts.partitions ?? 2;
    this.logs = Array.from({ length: this.partitions }, () => []);
    this.firstKept = new Array(this.partitions).fill(0);
    this.pageSize = opts.pageSize ?? 1000;
    this.random = opts.shuffleSeed ?? 0;
    store.onChange((change) => this.logs[this.partitionOf(change)]!.push(change));
  }

  /** Forgets every change recorded so far (retention passed). */
  expire(): void {
    this.logs.forEach((log, p) => {
      this.firstKept[p] = log.length;
    });
  }

  async poll(cursors: readonly PartitionCursor[]): Promise<ChangePage> {
    this.polls++;
    const changes: SeriesChange[] = [];
    const next: PartitionCursor[] = [];
    let hasNext = false;
    const perPartition = Math.max(1, Math.floor(this.pageSize / Math.max(1, cursors.length)));
    for (const { partition, cursor } of cursors) {
      const log = this.logs[partition];
      if (log === undefined)
        throw new RangeError(`partition ${partition} does not exist; there are ${this.partitions}`);
      const from = cursor === undefined ? log.length : Number(cursor);
      if (from < this.firstKept[partition]!) {
        throw new ChangesLostError(
          `cursor ${cursor} of partition ${partition} is older than the retained changes`,
        );
      }
      const to = Math.min(log.length, from + perPartition);
      if (this.opts.duplicate === true && from > this.firstKept[partition]!) changes.push(log[from - 1]!);
      for (let i = from; i < to; i++) changes.push(log[i]!);
      next.push({ partition, cursor: String(to) });
      hasNext ||= to < log.length;
    }
    if (this.opts.shuffleSeed !== undefined) this.shuffle(changes);
    return { changes, cursors: next, hasNext };
  }

  private partitionOf(change: SeriesChange): number {
    let h = 0;
    for (const c of seriesLookupKey(change.series)) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    return h % this.partitions;
  }

  private shuffle(items: SeriesChange[]): void {
    for (let i = items.length - 1; i > 0; i--) {
      this.random = (this.random * 1103515245 + 12345) >>> 0;
      const j = this.random % (i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
  }
}

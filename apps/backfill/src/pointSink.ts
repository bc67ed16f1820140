/** Where point readers deliver rows, in file order. */
export interface PointSink {
  /** Whether rows of this series are wanted; the others are counted but not parsed further. */
  wants(key: string): boolean;
  /** `value` is NaN for "no value"; `status` is a CDF status code. */
  append(key: string, timestamp: number, value: number, status: number): void;
}

/** Counters a reader advances as it goes, for progress and the run summary. */
export interface ReadStats {
  rows: number;
  bytes: number;
}

/** One KPI datapoint as the suite compares them: window start, value (null: no value), status class. */
export type KpiRow = [timestamp: number, value: number | null, status: "Good" | "Bad"];

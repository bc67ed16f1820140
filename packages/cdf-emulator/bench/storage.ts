// In-process storage benchmark: 50 series x 1M points (50M) appended in 100k batches, a late
// batch merged into the middle, 100 random 100k-point raw pages, save and load.
//   node --max-old-space-size=8192 --import tsx bench/storage.ts

import { mkdtemp, rm } from "node:fs/promises";
import { allocColumns } from "../src/datapoints/columns.js";
import { DatapointStore } from "../src/datapoints/datapointStore.js";
import { readRawPage } from "../src/datapoints/readRawPage.js";

const store = new DatapointStore();
const T0 = Date.UTC(2020, 0, 1);
const PER = 1_000_000,
  SERIES = 50,
  B = 100_000;
let t = performance.now();
for (let s = 1; s <= SERIES; s++) {
  const sp = store.getOrCreate(s, false);
  for (let from = 0; from < PER; from += B) {
    const c = allocColumns(false, B, false, false);
    for (let i = 0; i < B; i++) {
      c.ts[i] = T0 + (from + i) * 1000;
      c.num![i] = (from + i) % 977;
    }
    c.length = B;
    sp.insert(c);
  }
}
console.log(
  "insert 50M in-process",
  ((performance.now() - t) / 1000).toFixed(1),
  "s; rss",
  (process.memoryUsage().rss / 2 ** 20).toFixed(0),
  "MiB; points",
  store.totalPoints,
);
// out-of-order batch into the middle of a big series
t = performance.now();
const c = allocColumns(false, 1000, false, false);
for (let i = 0; i < 1000; i++) {
  c.ts[i] = T0 + 500_000_000 + i * 1000 + 500;
  c.num![i] = 1;
}
c.length = 1000;
store.get(1)!.insert(c);
console.log("merge 1000 late points into a 1M series", (performance.now() - t).toFixed(1), "ms");
t = performance.now();
let n = 0;
for (let k = 0; k < 100; k++) {
  const s = store.get(1 + (k % SERIES))!;
  const start = T0 + Math.floor(Math.random() * 900_000) * 1000;
  n += readRawPage(s, {
    start,
    end: start + 100_000_000,
    limit: 100_000,
    includeOutsidePoints: false,
    includeStatus: false,
    ignoreBad: true,
    uncertainIsBad: true,
  }).count;
}
console.log("100 random 100k pages", (performance.now() - t).toFixed(0), "ms", n, "points");
const dir = await mkdtemp("/tmp/e3-save-");
t = performance.now();
await store.save(dir);
console.log("save", ((performance.now() - t) / 1000).toFixed(1), "s");
t = performance.now();
const loaded = new DatapointStore();
await loaded.load(dir);
console.log("load", ((performance.now() - t) / 1000).toFixed(1), "s", loaded.totalPoints);
await rm(dir, { recursive: true, force: true });

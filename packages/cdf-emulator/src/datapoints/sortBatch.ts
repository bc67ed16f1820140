// An insert item's points in request order -> sorted ascending with unique timestamps. When one
// request repeats a timestamp, the later point wins (the same rule as overwriting a stored point).

import { allocColumns, type Columns } from "./columns.js";

export function sortBatch(batch: Columns, isString: boolean): Columns {
  const n = batch.length;
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if (batch.ts[i]! <= batch.ts[i - 1]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return batch;
  const order = Array.from({ length: n }, (_, i) => i);
  // Stable on ties, so among equal timestamps the last in request order comes last.
  order.sort((a, b) => batch.ts[a]! - batch.ts[b]! || a - b);
  const out = allocColumns(isString, n, batch.status !== null, batch.noValue !== null);
  let k = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j]!;
    const next = order[j + 1];
    if (next !== undefined && batch.ts[next] === batch.ts[i]) continue;
    out.ts[k] = batch.ts[i]!;
    if (out.num) out.num[k] = batch.num![i]!;
    if (out.str) out.str[k] = batch.str![i]!;
    if (out.status) out.status[k] = batch.status![i]!;
    if (out.noValue) out.noValue[k] = batch.noValue![i]!;
    k++;
  }
  out.length = k;
  return out;
}

// The I/O floor as a call meets it: a fresh node process (cold JIT, as every call's node is) that
// connects and pages the given series over [start, end) with packages/cdf's reader, computing
// nothing. Prints {"seconds", "points", "requests", "roundTripMs"} on stdout; the clock starts after connecting,
// so process start and module loading are not in it (they are not in the call's elapsed either).
//
//   node --import tsx bench/ioFloorChild.ts '<json: endpoint, series, start, end>'

import { readRawDatapoints } from "@kpi-pipeline/cdf";
import { connectToEmulator } from "./connectToEmulator.js";

const { endpoint, series, start, end } = JSON.parse(process.argv[2]!) as {
  endpoint: Record<string, string>;
  series: Array<{ externalId: string }>;
  start: number;
  end: number;
};
const cdf = await connectToEmulator(endpoint);
// A one-millisecond read first: the token and the connection are in hand before the clock starts,
// as they are when a call reaches its reads (after its state and pointer requests).
for await (const _ of readRawDatapoints(cdf, { series: series.slice(0, 1), start, end: start + 1 }));
const before = cdf.requestCount;
const started = performance.now();
let points = 0;
for await (const batch of readRawDatapoints(cdf, { series, start, end }))
  for (const chunk of batch) points += chunk.points.length;
const seconds = (performance.now() - started) / 1000;
const requests = cdf.requestCount - before;
// One small request's round trip (the median of 9 one-millisecond reads): what each of a call's
// requests that must wait for the one before costs at the least.
const trips: number[] = [];
for (let i = 0; i < 9; i++) {
  const at = performance.now();
  for await (const _ of readRawDatapoints(cdf, { series: series.slice(0, 1), start, end: start + 1 }));
  trips.push(performance.now() - at);
}
const roundTripMs = trips.sort((a, b) => a - b)[4]!;
console.log(JSON.stringify({ seconds, points, requests, roundTripMs }));

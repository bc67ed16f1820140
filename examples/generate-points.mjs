#!/usr/bin/env node
// Writes examples/points.csv: a deterministic three-day export for examples/kpis.yaml, around
// the Europe/Oslo DST change on 2024-03-31 (02:00 CET -> 03:00 CEST). Run: node examples/generate-points.mjs
//
// What is in it, and what the KPIs should show:
// - pump-01:flow, every 60 s: ~200 m3/h with a daily swing and noise, plus
//   * a setpoint test 2024-03-30 12:00-14:00Z at exactly 300 m3/h, with a 9999 sensor spike at
//     12:30:30Z that `range: [0, 500]` removes (hourly twa 12:00Z and 13:00Z = 300 exactly);
//   * a Bad-status point at 2024-03-30 18:00Z (ignored);
//   * an outage with no data between 2024-03-31 10:00Z and 12:30Z (a 2.5 h gap > maxGap 1h:
//     hourly twa Bad at 10:00Z and 11:00Z, coverage 0 there and 0.5 at 12:00Z).
// - line-1:power-kw, every 5 min: 400 kW from 06:00 to 22:00 Oslo time, 50 kW at night, and a Bad
//   point at 2024-03-31 10:00Z (ignored; it lies on the 400 kW plateau).
// - line-1:produced, a counter every 15 min: +25 units per quarter hour of production, reset to 0
//   at 2024-04-01 01:00Z. Per production day (06:00-06:00 local) that is 1600 units and
//   6800 kWh (6750 kWh on the 23-hour DST day): 4.25 and 4.21875 kWh per unit.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const FROM = Date.parse("2024-03-29T22:00:00Z");
const TO = Date.parse("2024-04-02T02:00:00Z");

// mulberry32: a tiny seeded PRNG, so the file is the same on every machine.
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(20240331);

const osloHour = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Europe/Oslo",
  hour: "numeric",
  hourCycle: "h23",
});
const producing = (t) => {
  const hour = Number(osloHour.format(new Date(t)));
  return hour >= 6 && hour < 22;
};

const rows = ["externalId,timestamp,value,status"];
// Timestamps as ISO 8601 for the pump and the power meter, as epoch ms for the counter: both are accepted.
const row = (externalId, t, value, status = "", iso = true) =>
  rows.push(`${externalId},${iso ? new Date(t).toISOString().replace(".000Z", "Z") : t},${value},${status}`);

const setpointFrom = Date.parse("2024-03-30T12:00:00Z");
const setpointTo = Date.parse("2024-03-30T14:00:00Z");
const spikeAt = Date.parse("2024-03-30T12:30:30Z");
const badFlowAt = Date.parse("2024-03-30T18:00:00Z");
const outageFrom = Date.parse("2024-03-31T10:00:00Z");
const outageTo = Date.parse("2024-03-31T12:30:00Z");
for (let t = FROM; t <= TO; t += MINUTE) {
  if (t > outageFrom && t < outageTo) continue;
  if (t === badFlowAt) {
    row("pump-01:flow", t, "", "Bad");
    continue;
  }
  const daily = 60 * Math.sin((2 * Math.PI * (t - FROM)) / (24 * HOUR));
  const noise = (random() - 0.5) * 10;
  const flow = t >= setpointFrom && t <= setpointTo ? 300 : Math.round((200 + daily + noise) * 100) / 100;
  row("pump-01:flow", t, flow);
  if (t + 30_000 === spikeAt) row("pump-01:flow", spikeAt, 9999);
}

const badPowerAt = Date.parse("2024-03-31T10:00:00Z");
for (let t = FROM; t <= TO; t += 5 * MINUTE) {
  if (t === badPowerAt) row("line-1:power-kw", t, 0, "Bad");
  else row("line-1:power-kw", t, producing(t) ? 400 : 50);
}

const resetAt = Date.parse("2024-04-01T01:00:00Z");
let units = 48_213;
for (let t = FROM; t <= TO; t += 15 * MINUTE) {
  if (t > FROM && producing(t - 15 * MINUTE)) units += 25;
  if (t === resetAt) units = 0;
  row("line-1:produced", t, units, "", false);
}

const out = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "points.csv");
writeFileSync(out, `${rows.join("\n")}\n`);
console.log(`wrote ${rows.length - 1} rows to ${out}`);

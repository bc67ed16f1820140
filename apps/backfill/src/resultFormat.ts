import type { KpiDatapoint } from "@kpi-pipeline/kpi-core";

export type ResultFormat = "csv" | "jsonl";

// Values are written with String(number): the shortest text that parses back to the same double
// (ECMAScript Number::toString), so a result file round-trips exactly; very large or small
// magnitudes use exponent form (1e+21, 5e-7), which every CSV/JSON reader accepts.

/** The first line of a result file ("" for JSONL, which has no header). */
export function resultHeader(format: ResultFormat): string {
  return format === "csv" ? "externalId,timestamp,value,status\n" : "";
}

/** One result line, newline included: the KPI's output key, the window start (epoch ms), value, status. */
export function formatResultRow(format: ResultFormat, key: string, datapoint: KpiDatapoint): string {
  if (format === "jsonl") {
    return datapoint.status === "Good"
      ? `{"externalId":${JSON.stringify(key)},"timestamp":${datapoint.timestamp},"value":${String(datapoint.value)},"status":"Good"}\n`
      : `{"externalId":${JSON.stringify(key)},"timestamp":${datapoint.timestamp},"value":null,"status":"Bad","reason":${JSON.stringify(datapoint.reason)}}\n`;
  }
  const value = datapoint.value === null ? "" : String(datapoint.value);
  return `${csvField(key)},${datapoint.timestamp},${value},${datapoint.status}\n`;
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export { BrokenPipeError } from "./brokenPipeError.js";
export {
  checkEvaluateFiles,
  type EvaluateFiles,
  type FileIdentity,
  type ResultTarget,
} from "./checkEvaluateFiles.js";
export {
  CsvFields,
  type CsvRecord,
  CsvRecordReader,
  CsvSyntaxError,
  MAX_RECORD_CHARS,
} from "./csvRecordReader.js";
export { DataError } from "./dataError.js";
export { displayPath } from "./displayPath.js";
export { displayText } from "./displayText.js";
export {
  type EvaluateIo,
  type EvaluateSummary,
  type EvaluateTuning,
  MIN_BATCH_WINDOWS,
  runEvaluate,
} from "./evaluate.js";
export { type EvaluateFlags, type EvaluateOptions, resolveEvaluateOptions } from "./evaluateOptions.js";
export { InterruptedError } from "./interruptedError.js";
export { IoError } from "./ioError.js";
export { MAX_LINE_CHARS, readLineSpans, readLines } from "./lineReader.js";
export { loadKpiConfig, MAX_CONFIG_BYTES } from "./loadKpiConfig.js";
export type { PointSink, ReadStats } from "./pointSink.js";
export { parsePointValue, pointValueError } from "./pointValue.js";
export { type CliIo, runCli } from "./program.js";
export { readCsvPoints } from "./readCsvPoints.js";
export { readJsonlPoints } from "./readJsonlPoints.js";
export { type PointFileFormat, pointFileFormat, readPointFile } from "./readPointFile.js";
export { formatResultRow, type ResultFormat, resultHeader } from "./resultFormat.js";
export { atomicFileOutput, deviceOutput, type ResultOutput, streamOutput } from "./resultOutput.js";
export { parseStatusCode } from "./statusCode.js";
export {
  CDF_MAX_TIMESTAMP,
  CDF_MIN_TIMESTAMP,
  parseTimestamp,
  parseTimestampEnd,
  timestampError,
} from "./timestamp.js";
export { UsageError } from "./usageError.js";
export { windowBatches } from "./windowBatches.js";

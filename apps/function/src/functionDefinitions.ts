import { KpiConfigError, type KpiDefinition, parseKpiConfig, parseKpiYaml } from "@kpi-pipeline/kpi-core";
import { FunctionInputError } from "./functionInputError.js";

// The KPI definitions a call runs: from the zip's kpis.json when it has one (the YAML document as
// JSON, written by the package step only when JSON keeps it exactly), else from kpis.yaml. JSON
// loads in milliseconds where the YAML library takes 0.1-0.2 s cold for 100 KPIs, and every call
// starts cold. Messages about the definitions name kpis.yaml, the file the user wrote.

export interface FunctionConfig {
  /** kpis.yaml's text. */
  text: string;
  /** Where it came from, for messages ("kpis.yaml" in the zip, the path for a local run). */
  source: string;
  /** The zip's kpis.json, when it has one. */
  json?: string;
}

const REBUILD = "build the zip again with `pnpm --filter @kpi-pipeline/function package` and deploy it";

export function functionDefinitions(config: FunctionConfig): KpiDefinition[] {
  if (config.json === undefined) return fromYaml(config);
  let document: unknown;
  try {
    document = JSON.parse(config.json);
  } catch (error) {
    throw new FunctionInputError(
      `The function's zip has a kpis.json that is not JSON (${(error as Error).message}); ${REBUILD}`,
    );
  }
  try {
    return parseKpiConfig(document, config.source);
  } catch (error) {
    if (!(error instanceof KpiConfigError)) throw error;
    // kpis.yaml decides who is at fault: definitions wrong there too (say, a time zone this node
    // does not know) are said as they always were; only a kpis.json that differs is a broken zip.
    fromYaml(config);
    const first = error.message.split("\n")[0]!.replace(`${config.source}: `, "");
    throw new FunctionInputError(
      `The function's zip has a kpis.json that does not hold kpis.yaml's definitions (${first}); ${REBUILD}`,
    );
  }
}

function fromYaml(config: FunctionConfig): KpiDefinition[] {
  try {
    return parseKpiYaml(config.text, config.source);
  } catch (error) {
    if (error instanceof KpiConfigError) {
      throw new FunctionInputError(
        `The function's KPI definitions are wrong; fix them and deploy again: ${error.message.replaceAll("\n", "; ")}`,
      );
    }
    throw error;
  }
}

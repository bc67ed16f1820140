import { z } from "zod";
import { kpiConfigSchema } from "./kpiConfigSchema.js";

/** The JSON Schema of kpis.yaml for editors (yaml-language-server), generated from kpiConfigSchema. */
export function kpiConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(kpiConfigSchema, {
    io: "input",
    unrepresentable: "any",
    // YAML turns an unquoted timestamp into a Date; in the file it is still an ISO 8601 string.
    override: (context) => {
      if (context.zodSchema._zod.def.type === "date") {
        context.jsonSchema.type = "string";
        context.jsonSchema.format = "date-time";
      }
    },
  }) as Record<string, unknown>;
}

/** The JSON Schema as committed in schema/kpis.schema.json (2-space indent, trailing newline). */
export function kpiConfigJsonSchemaText(): string {
  return `${JSON.stringify(kpiConfigJsonSchema(), null, 2)}\n`;
}

// Regenerates schema/kpis.schema.json from the zod schema in src/kpiConfigSchema.ts.
// Run: pnpm --filter @kpi-pipeline/kpi-core exec tsx scripts/generate-schema.ts
// test/definition.test.ts fails when the committed file is out of date.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { kpiConfigJsonSchemaText } from "../src/kpiConfigJsonSchema.js";

const target = fileURLToPath(new URL("../schema/kpis.schema.json", import.meta.url));
writeFileSync(target, kpiConfigJsonSchemaText());
console.log(`wrote ${target}`);

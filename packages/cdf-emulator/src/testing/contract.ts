// Validates HTTP exchanges against Cognite's OpenAPI 3.1 document (JSON Schema 2020-12), so the
// emulator cannot drift from CDF's shapes unnoticed. Schemas are compiled lazily, one per
// operation and direction, by reference into the document: `$ref`s inside resolve as they do in
// the spec, and only the few operations a test suite touches are ever compiled.

import { createRequire } from "node:module";
import type { ErrorObject, ValidateFunction } from "ajv";
import { cogniteSpecDeviations } from "./cogniteSpecDeviations.js";
import { loadOpenApiSpec, type OpenApiDocument } from "./openApiSpec.js";

// ajv and ajv-formats are CommonJS; createRequire keeps their types and avoids default-import interop.
const require = createRequire(import.meta.url);
const Ajv2020 = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js").default;
const addFormats = require("ajv-formats") as typeof import("ajv-formats").default;

const specIds = { request: "cdf-openapi-request.json", response: "cdf-openapi-response.json" } as const;

/** A spec path and method matched for a concrete request. */
export interface OperationMatch {
  /** e.g. `POST /timeseries/data/list` (the spec's template, upper-case method). */
  operation: string;
  template: string;
  method: string;
  operationObject: Record<string, unknown>;
  pathParams: Record<string, string>;
}

/**
 * A place where Cognite's document disagrees with what CDF really sends or accepts. Matching
 * errors are not reported. Every entry must say why (and ideally where that is documented).
 */
export interface KnownSpecDeviation {
  /** `METHOD /template` as in `OperationMatch.operation`. */
  operation: string;
  direction: "request" | "response";
  /** Matched against the readable error text. */
  error: RegExp;
  reason: string;
}

export interface ContractValidator {
  /** The spec operation a concrete path maps to (`/api/v1/projects/p/...` or project-relative). */
  findOperation(method: string, path: string): OperationMatch | undefined;
  /** Readable errors for a request (query string in `path` and JSON body); [] when it conforms. */
  validateRequest(method: string, path: string, body: unknown): string[];
  /** Readable errors for a response body at `status`; [] when it conforms or is not JSON. */
  validateResponse(method: string, path: string, status: number, body: unknown): string[];
}

export interface ContractValidatorOptions {
  /** Path of openapi.json (default: found by `findOpenApiSpec`). */
  specPath?: string;
  knownDeviations?: KnownSpecDeviation[];
}

interface CompiledTemplate {
  template: string;
  segments: Array<{ literal: string } | { param: string }>;
  literalCount: number;
}

/** Strip the server part CDF paths are relative to: `/api/v1/projects/{project}` (or `/api/v1` for token/inspect). */
export function specRelativePath(path: string): string {
  const withoutQuery = path.split("?")[0] ?? path;
  const project = /^\/api\/v1\/projects\/[^/]+(\/.*)?$/.exec(withoutQuery);
  if (project) return project[1] ?? "/";
  const v1 = /^\/api\/v1(\/.*)$/.exec(withoutQuery);
  if (v1) return v1[1]!;
  return withoutQuery;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

function formatAjvError(e: ErrorObject): string {
  const where = e.instancePath === "" ? "(root)" : e.instancePath;
  const p = e.params as Record<string, unknown>;
  if (e.keyword === "required")
    return `${where}: missing required property "${String(p["missingProperty"])}"`;
  if (e.keyword === "additionalProperties") {
    return `${where}: unexpected property "${String(p["additionalProperty"])}"`;
  }
  if (e.keyword === "enum") return `${where}: ${e.message} ${JSON.stringify(p["allowedValues"])}`;
  if (e.keyword === "const") return `${where}: must equal ${JSON.stringify(p["allowedValue"])}`;
  return `${where}: ${e.message ?? e.keyword}`;
}

/**
 * ajv reports every branch of a failed `oneOf`/`anyOf`; a person needs the branch that came
 * closest. We keep the errors of the deepest instance path, which is where the body went wrong.
 */
function readableErrors(errors: ErrorObject[] | null | undefined, label: string): string[] {
  if (!errors || errors.length === 0) return [];
  const depth = (e: ErrorObject) => (e.instancePath === "" ? 0 : e.instancePath.split("/").length);
  const deepest = Math.max(...errors.map(depth));
  const chosen = errors.filter((e) => depth(e) === deepest && e.keyword !== "oneOf" && e.keyword !== "anyOf");
  const lines = (chosen.length > 0 ? chosen : errors).map((e) => `${label} ${formatAjvError(e)}`);
  return [...new Set(lines)].slice(0, 10);
}

type Direction = "request" | "response";

/**
 * The document as a validator must read it for one direction:
 * - Cognite's document writes `oneOf` where its branches overlap: a Bad datapoint without `value`
 *   matches both NumericalDatapoint and StringDatapoint, and `{ "remove": [...] }` matches both
 *   branches of a subscription's timeSeriesIds patch (neither branch requires its keys). Read
 *   literally, such valid bodies fail "must match exactly one schema", so `oneOf` is validated as
 *   `anyOf`: a body must still match at least one branch.
 * - OpenAPI: a `readOnly` property that is `required` is required in responses only (e.g. a
 *   Function's id, createdTime and status in `POST /functions`), a `writeOnly` one in requests only.
 */
function forDirection(node: unknown, direction: Direction): unknown {
  if (Array.isArray(node)) return node.map((n) => forDirection(n, direction));
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    // Examples are data, not schemas: leave them out (and skip the work).
    if (key === "example" || key === "examples" || key === "x-code-samples") continue;
    out[key === "oneOf" ? "anyOf" : key] = forDirection(value, direction);
  }
  const properties = out["properties"] as Record<string, Record<string, unknown>> | undefined;
  if (Array.isArray(out["required"]) && properties && typeof properties === "object") {
    const hidden = direction === "request" ? "readOnly" : "writeOnly";
    out["required"] = (out["required"] as string[]).filter((name) => properties[name]?.[hidden] !== true);
  }
  return out;
}

const errorEnvelope = "/components/responses/ErrorResponse/content/application~1json/schema";

export function createContractValidator(options: ContractValidatorOptions = {}): ContractValidator {
  const spec: OpenApiDocument = loadOpenApiSpec(options.specPath);
  const deviations = [...cogniteSpecDeviations, ...(options.knownDeviations ?? [])];
  let ajv: InstanceType<typeof Ajv2020> | undefined;
  const compiled = new Map<string, ValidateFunction>();
  const templates: CompiledTemplate[] = Object.keys(spec.paths).map((template) => {
    const segments = template
      .split("/")
      .filter((s) => s !== "")
      .map((s) => {
        const m = /^\{(.+)\}$/.exec(s);
        return m ? { param: m[1]! } : { literal: s };
      });
    return { template, segments, literalCount: segments.filter((s) => "literal" in s).length };
  });

  function getAjv(): InstanceType<typeof Ajv2020> {
    if (!ajv) {
      // strict: false because the document carries OpenAPI keywords (example, discriminator,
      // x-capability, ...) that are not JSON Schema; they are annotations, not constraints.
      ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true, logger: false });
      addFormats(ajv);
      ajv.addFormat("int32", {
        type: "number",
        validate: (n: number) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647,
      });
      // JSON numbers above 2^53 lose precision in JS anyway; int64 only asks for an integer.
      ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
      ajv.addFormat("uint64", { type: "number", validate: (n: number) => Number.isInteger(n) && n >= 0 });
      for (const f of ["double", "float"]) ajv.addFormat(f, { type: "number", validate: () => true });
      // Descriptive formats in Cognite's document that constrain nothing a validator can check.
      for (const f of ["binary", "binary/zip", "binary/segy", "url", "markdown", "password"])
        ajv.addFormat(f, true);
      for (const f of ["jsonObject(jsonObject(string))", "jsonArray(string)", "jsonArray(int64)"]) {
        ajv.addFormat(f, true);
      }
      ajv.addFormat("[a-zA-Z0-9_-]+\\.proto", true);
      ajv.addSchema(forDirection(spec, "request") as object, specIds.request);
      ajv.addSchema(forDirection(spec, "response") as object, specIds.response);
    }
    return ajv;
  }

  function validatorAt(pointer: string, direction: Direction): ValidateFunction {
    const key = `${direction} ${pointer}`;
    let fn = compiled.get(key);
    if (!fn) {
      fn = getAjv().compile({ $ref: `${specIds[direction]}#${pointer}` });
      compiled.set(key, fn);
    }
    return fn;
  }

  /** Follow a `$ref` to components/responses, parameters or requestBodies; returns the object and its pointer. */
  function deref(
    obj: unknown,
    pointer: string,
  ): { value: Record<string, unknown>; pointer: string } | undefined {
    let value = obj as Record<string, unknown> | undefined;
    let at = pointer;
    for (let hops = 0; value && typeof value["$ref"] === "string" && hops < 10; hops++) {
      const ref = value["$ref"] as string;
      if (!ref.startsWith("#/")) return undefined;
      at = ref.slice(1);
      value = at
        .split("/")
        .slice(1)
        .reduce<unknown>(
          (o, key) =>
            (o as Record<string, unknown> | undefined)?.[key.replace(/~1/g, "/").replace(/~0/g, "~")],
          spec,
        ) as Record<string, unknown> | undefined;
    }
    return value ? { value, pointer: at } : undefined;
  }

  function findOperation(method: string, path: string): OperationMatch | undefined {
    const relative = specRelativePath(path);
    const parts = relative.split("/").filter((s) => s !== "");
    const m = method.toLowerCase();
    let best: { t: CompiledTemplate; params: Record<string, string> } | undefined;
    for (const t of templates) {
      if (t.segments.length !== parts.length) continue;
      const item = spec.paths[t.template];
      if (!item || typeof item[m] !== "object") continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = t.segments[i]!;
        if ("literal" in seg) ok = seg.literal === parts[i];
        else params[seg.param] = decodeURIComponent(parts[i]!);
      }
      // A literal segment beats a parameter (`/functions/limits` over `/functions/{functionId}`).
      if (ok && (!best || t.literalCount > best.t.literalCount)) best = { t, params };
    }
    if (!best) return undefined;
    const operationObject = spec.paths[best.t.template]![m] as Record<string, unknown>;
    return {
      operation: `${method.toUpperCase()} ${best.t.template}`,
      template: best.t.template,
      method: m,
      operationObject,
      pathParams: best.params,
    };
  }

  function filterDeviations(
    operation: string,
    direction: "request" | "response",
    errors: string[],
  ): string[] {
    return errors.filter(
      (e) =>
        !deviations.some((d) => d.operation === operation && d.direction === direction && d.error.test(e)),
    );
  }

  function validateQuery(match: OperationMatch, path: string): string[] {
    const query = new URLSearchParams(path.includes("?") ? path.slice(path.indexOf("?") + 1) : "");
    const pathItem = spec.paths[match.template]!;
    const base = `/paths/${escapePointer(match.template)}`;
    const pathLevel = (pathItem["parameters"] as unknown[] | undefined) ?? [];
    const operationLevel = (match.operationObject["parameters"] as unknown[] | undefined) ?? [];
    const declared = [
      ...pathLevel.map((raw, i) => deref(raw, `${base}/parameters/${i}`)),
      ...operationLevel.map((raw, i) => deref(raw, `${base}/${match.method}/parameters/${i}`)),
    ];
    const errors: string[] = [];
    for (const p of declared) {
      if (p === undefined || p.value["in"] !== "query") continue;
      const name = String(p.value["name"]);
      const text = query.get(name);
      if (text === null) {
        if (p.value["required"] === true) errors.push(`query: missing required parameter "${name}"`);
        continue;
      }
      const schema = deref(p.value["schema"], `${p.pointer}/schema`);
      if (!schema) continue;
      const type = schema.value["type"];
      let value: unknown = text;
      // Query strings are text: coerce to the declared scalar type before validating.
      if (type === "integer" || type === "number") value = text.trim() === "" ? text : Number(text);
      else if (type === "boolean") value = text === "true" ? true : text === "false" ? false : text;
      else if (type === "array") continue;
      const fn = validatorAt(schema.pointer, "request");
      if (!fn(value)) errors.push(...readableErrors(fn.errors, `query "${name}"`));
    }
    return errors;
  }

  function validateRequest(method: string, path: string, body: unknown): string[] {
    const match = findOperation(method, path);
    if (!match) {
      return [`${method.toUpperCase()} ${specRelativePath(path)} is not an operation of Cognite's API`];
    }
    const errors = validateQuery(match, path);
    const base = `/paths/${escapePointer(match.template)}/${match.method}`;
    const requestBody = deref(match.operationObject["requestBody"], `${base}/requestBody`);
    if (requestBody) {
      const content = requestBody.value["content"] as Record<string, unknown> | undefined;
      if (content?.["application/json"] !== undefined) {
        if (body === undefined) {
          if (requestBody.value["required"] === true) errors.push("request body: required but absent");
        } else {
          const fn = validatorAt(`${requestBody.pointer}/content/application~1json/schema`, "request");
          if (!fn(body)) errors.push(...readableErrors(fn.errors, "request body"));
        }
      }
    }
    return filterDeviations(match.operation, "request", errors);
  }

  function validateResponse(method: string, path: string, status: number, body: unknown): string[] {
    const match = findOperation(method, path);
    if (!match) return [];
    const base = `/paths/${escapePointer(match.template)}/${match.method}/responses`;
    const responses = (match.operationObject["responses"] ?? {}) as Record<string, unknown>;
    const key =
      [String(status), `${String(status)[0]}XX`, `${String(status)[0]}xx`].find((k) => k in responses) ??
      (status >= 400 || !("default" in responses)
        ? undefined
        : Object.keys(responses).some((k) => k.startsWith("2"))
          ? undefined
          : "default");
    let errors: string[];
    if (key === undefined) {
      if (status >= 400) {
        // CDF documents few error statuses per operation; every error still has its envelope.
        const fn = validatorAt(errorEnvelope, "response");
        errors = fn(body) ? [] : readableErrors(fn.errors, `response ${status} body`);
      } else {
        const documented = Object.keys(responses).join(", ");
        errors = [
          `response status ${status} is not documented for ${match.operation} (documented: ${documented})`,
        ];
      }
    } else {
      const response = deref(responses[key], `${base}/${escapePointer(key)}`);
      const content = response?.value["content"] as Record<string, unknown> | undefined;
      if (!response || !content || content["application/json"] === undefined) return [];
      const media = content["application/json"] as Record<string, unknown>;
      if (media["schema"] === undefined) return [];
      const fn = validatorAt(`${response.pointer}/content/application~1json/schema`, "response");
      errors = fn(body) ? [] : readableErrors(fn.errors, `response ${status} body`);
      // CDF answers one status for several failures: POST /timeseries/data documents its 400 as
      // "IDs not found" (requiring `missing`), yet a point over a limit is a 400 too. An error body
      // that is CDF's generic envelope is therefore accepted as well.
      if (errors.length > 0 && status >= 400 && validatorAt(errorEnvelope, "response")(body)) errors = [];
    }
    return filterDeviations(match.operation, "response", errors);
  }

  return { findOperation, validateRequest, validateResponse };
}

import { z } from "zod";
import { CdfConfigurationError } from "./cdfConfigurationError.js";
import { Secret } from "./secret.js";

// Where a CDF client gets its project, URL and credentials: from CDF_* environment variables
// (a local run, CI) or from the project, base URL and token a Cognite Function receives. Every
// problem is reported at once, each naming its variable; the client secret and tokens are never
// quoted back.

/** OAuth2 client credentials for the project's identity provider. */
export interface ClientCredentials {
  kind: "clientCredentials";
  tokenUrl: string;
  clientId: string;
  clientSecret: Secret;
  scopes: readonly string[];
}

/** A bearer token given by the caller (a Cognite Function's call token); it cannot be refreshed. */
export interface GivenToken {
  kind: "token";
  token: Secret;
}

export interface CdfSettings {
  project: string;
  /** `https://{cluster}.cognitedata.com`, without a trailing slash. */
  baseUrl: string;
  auth: ClientCredentials | GivenToken;
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Plain HTTP would send the client secret and tokens in clear text, so only a local emulator may use it. */
function httpUrl(variable: string) {
  return z.string().transform((text, ctx) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.addIssue({ code: "custom", message: `${variable} ${quote(text)} is not a URL` });
      return z.NEVER;
    }
    const loopback = LOOPBACK_HOSTS.has(url.hostname) || url.hostname.startsWith("127.");
    if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
      ctx.addIssue({
        code: "custom",
        message: `${variable} ${quote(text)} must use https (plain http only for localhost)`,
      });
      return z.NEVER;
    }
    return url;
  });
}

const projectSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, "must be a CDF project name (letters, digits, - and _)");
const clusterSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]*$/,
    "must be a cluster name such as westeurope-1 (lowercase letters, digits, -)",
  );

/** Empty variables count as unset, as a shell `export CDF_X=` means "no value". */
function present(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

type Problems = string[];

function parse<T>(schema: z.ZodType<T>, variable: string, value: string, problems: Problems): T | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    problems.push(issue.code === "custom" ? issue.message : `${variable} ${quote(value)} ${issue.message}`);
  }
  return undefined;
}

function baseUrlOf(
  vars: { cluster?: string | undefined; baseUrl?: string | undefined },
  names: { cluster: string; baseUrl: string; missing: string },
  problems: Problems,
): string | undefined {
  if (vars.cluster !== undefined && vars.baseUrl !== undefined) {
    problems.push(`set either ${names.cluster} or ${names.baseUrl}, not both`);
    return undefined;
  }
  if (vars.cluster !== undefined) {
    const cluster = parse(clusterSchema, names.cluster, vars.cluster, problems);
    return cluster === undefined ? undefined : `https://${cluster}.cognitedata.com`;
  }
  if (vars.baseUrl !== undefined) {
    const url = parse(httpUrl(names.baseUrl), names.baseUrl, vars.baseUrl, problems);
    if (url === undefined) return undefined;
    if (url.search !== "" || url.hash !== "") {
      problems.push(`${names.baseUrl} ${quote(vars.baseUrl)} must not have a query or fragment`);
      return undefined;
    }
    return url.toString().replace(/\/+$/, "");
  }
  problems.push(names.missing);
  return undefined;
}

/**
 * Settings from CDF_PROJECT, CDF_CLUSTER or CDF_BASE_URL, CDF_CLIENT_ID, CDF_CLIENT_SECRET,
 * CDF_TOKEN_URL and CDF_TOKEN_SCOPES (space- or comma-separated; default `{baseUrl}/.default`).
 * Throws a `CdfConfigurationError` naming every missing or invalid variable.
 */
export function cdfSettingsFromEnvironment(env: Readonly<Record<string, string | undefined>>): CdfSettings {
  const problems: Problems = [];
  const required = (name: string): string | undefined => {
    const value = present(env[name]);
    if (value === undefined) problems.push(`${name} is missing`);
    return value;
  };
  const projectText = required("CDF_PROJECT");
  const project =
    projectText === undefined ? undefined : parse(projectSchema, "CDF_PROJECT", projectText, problems);
  const baseUrl = baseUrlOf(
    { cluster: present(env["CDF_CLUSTER"]), baseUrl: present(env["CDF_BASE_URL"]) },
    {
      cluster: "CDF_CLUSTER",
      baseUrl: "CDF_BASE_URL",
      missing:
        "CDF_CLUSTER or CDF_BASE_URL is missing: set CDF_CLUSTER (e.g. westeurope-1) or CDF_BASE_URL (e.g. https://westeurope-1.cognitedata.com)",
    },
    problems,
  );
  const clientId = required("CDF_CLIENT_ID");
  // Never trimmed or parsed beyond presence: a secret may legitimately contain any character.
  const clientSecret = env["CDF_CLIENT_SECRET"];
  if (clientSecret === undefined || clientSecret === "") problems.push("CDF_CLIENT_SECRET is missing");
  const tokenUrlText = required("CDF_TOKEN_URL");
  const tokenUrl =
    tokenUrlText === undefined
      ? undefined
      : parse(httpUrl("CDF_TOKEN_URL"), "CDF_TOKEN_URL", tokenUrlText, problems);
  const scopesText = present(env["CDF_TOKEN_SCOPES"]);
  const scopes = scopesText === undefined ? undefined : scopesText.split(/[\s,]+/).filter((s) => s !== "");

  if (problems.length > 0) throw new CdfConfigurationError(problems);
  return {
    project: project!,
    baseUrl: baseUrl!,
    auth: {
      kind: "clientCredentials",
      tokenUrl: tokenUrl!.toString(),
      clientId: clientId!,
      clientSecret: new Secret(clientSecret!),
      scopes: scopes ?? [`${baseUrl}/.default`],
    },
  };
}

/**
 * Settings for a Cognite Function call: the project, base URL and token it was given. Throws a
 * `CdfConfigurationError` naming each missing or invalid field.
 */
export function cdfSettingsFromToken(given: {
  project?: string;
  baseUrl?: string;
  token?: string;
}): CdfSettings {
  const problems: Problems = [];
  const projectText = present(given.project);
  if (projectText === undefined) problems.push("project is missing");
  const project =
    projectText === undefined ? undefined : parse(projectSchema, "project", projectText, problems);
  const baseUrl = baseUrlOf(
    { baseUrl: present(given.baseUrl) },
    { cluster: "cluster", baseUrl: "baseUrl", missing: "baseUrl is missing" },
    problems,
  );
  if (given.token === undefined || given.token.trim() === "") problems.push("token is missing");
  if (problems.length > 0) throw new CdfConfigurationError(problems);
  return {
    project: project!,
    baseUrl: baseUrl!,
    auth: { kind: "token", token: new Secret(given.token!.trim()) },
  };
}

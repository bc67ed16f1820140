import { type CdfConnection, versionIdentity } from "@kpi-pipeline/cdf";
import { z } from "zod";
import type { CallInfo } from "./functionInput.js";
import { FunctionInputError } from "./functionInputError.js";

// Who this function is, for the fence: `<externalId>@<epoch>`, as the active-version pointer
// names the version allowed to write. The externalId is CDF's own record of the function (looked
// up by the function_id of the call), so a copy deployed under another name is another version;
// the epoch is set by the deployer at create time (KPI_FUNCTION_EPOCH: the epoch its flip of the
// pointer writes), so the same code deployed again under the same name is another version too.
// A payload cannot choose its identity: anyone allowed to call the function could then pass the fence.

export const EPOCH_VARIABLE = "KPI_FUNCTION_EPOCH";
export const EXTERNAL_ID_VARIABLE = "KPI_FUNCTION_EXTERNAL_ID";

const functionSchema = z.looseObject({ externalId: z.string().min(1).optional() });

/**
 * Who this call is. Throws at once, before any request, when the deployer's variables are wrong:
 * the call's other start requests (the subscriptions over its inputs) are not even begun for a
 * function that cannot say who it is.
 */
export function selfIdentity(
  cdf: CdfConnection,
  callInfo: CallInfo,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string> {
  const epochText = env[EPOCH_VARIABLE]?.trim();
  if (epochText === undefined || epochText === "") {
    throw new FunctionInputError(
      `${EPOCH_VARIABLE} is not set: the deployer sets it in the function's envVars to the epoch its pointer flip writes; without it the function cannot tell whether it is the active version, so it writes nothing`,
    );
  }
  if (!/^(0|[1-9][0-9]{0,14})$/.test(epochText)) {
    throw new FunctionInputError(
      `${EPOCH_VARIABLE} ${JSON.stringify(epochText.slice(0, 40))} is not an epoch: it must be a whole number, 0 or more`,
    );
  }
  const epoch = Number(epochText);
  const given = env[EXTERNAL_ID_VARIABLE]?.trim();
  if (given !== undefined && given !== "")
    return Promise.resolve(versionIdentity({ functionExternalId: given, epoch }));
  const id = callInfo.function_id;
  if (id === undefined) {
    throw new FunctionInputError(
      `function_call_info has no function_id and ${EXTERNAL_ID_VARIABLE} is not set: set it to the function's externalId to run outside CDF`,
    );
  }
  return functionExternalId(cdf, id).then((externalId) =>
    versionIdentity({ functionExternalId: externalId, epoch }),
  );
}

/** CDF's record of the function called: its externalId. */
async function functionExternalId(cdf: CdfConnection, id: number): Promise<string> {
  const fn = await cdf.get<unknown>(`/functions/${id}`);
  const parsed = functionSchema.safeParse(fn);
  const externalId = parsed.success ? parsed.data.externalId : undefined;
  if (externalId === undefined) {
    throw new FunctionInputError(
      `Function ${id} has no externalId: deploy it with one (the active-version pointer names functions by externalId)`,
    );
  }
  return externalId;
}

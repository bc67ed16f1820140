import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import type { DeployedFunction } from "./deployFunction.js";
import { functionSession } from "./functionSession.js";

/** Schedules the function with a session of its own, as the deployer does; returns the schedule's id. */
export async function scheduleFunction(
  t: Pick<TestEmulator, "emulator" | "client">,
  fn: DeployedFunction,
  options: { cronExpression: string; data: unknown },
): Promise<number> {
  const nonce = await functionSession(t);
  const response = await t.client.post<{ items: Array<{ id: number }> }>(
    `/api/v1/projects/${t.emulator.project}/functions/schedules`,
    {
      data: {
        items: [
          {
            name: `${fn.externalId} every 10 minutes`,
            cronExpression: options.cronExpression,
            functionId: fn.id,
            nonce,
            data: options.data,
          },
        ],
      },
    },
  );
  return response.data.items[0]!.id;
}

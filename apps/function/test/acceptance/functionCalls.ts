import type { TestEmulator } from "@kpi-pipeline/cdf-emulator/testing";
import type { DeployedFunction } from "./deployFunction.js";
import { functionSession } from "./functionSession.js";

export interface FunctionCall {
  id: number;
  status: "Running" | "Completed" | "Failed" | "Timeout";
  scheduledTime?: number;
  scheduleId?: number;
  startTime: number;
  error?: { message: string; trace?: string };
}

/** Every call of the function, oldest first. */
export async function functionCalls(
  t: Pick<TestEmulator, "emulator" | "client">,
  fn: DeployedFunction,
): Promise<FunctionCall[]> {
  const calls: FunctionCall[] = [];
  let cursor: string | undefined;
  do {
    const page = await t.client.post<{ items: FunctionCall[]; nextCursor?: string }>(
      `/api/v1/projects/${t.emulator.project}/functions/${fn.id}/calls/list`,
      { data: { limit: 1000, ...(cursor === undefined ? {} : { cursor }) } },
    );
    calls.push(...page.data.items);
    cursor = page.data.nextCursor;
  } while (cursor !== undefined);
  return calls.sort((a, b) => a.startTime - b.startTime || a.id - b.id);
}

/** A call's log lines. */
export async function callLogs(
  t: Pick<TestEmulator, "emulator" | "client">,
  fn: DeployedFunction,
  callId: number,
): Promise<string[]> {
  const logs = await t.client.get<{ items: Array<{ message: string }> }>(
    `/api/v1/projects/${t.emulator.project}/functions/${fn.id}/calls/${callId}/logs`,
  );
  return logs.data.items.map((l) => l.message);
}

/** A call's response (its return value). */
export async function callResponse(
  t: Pick<TestEmulator, "emulator" | "client">,
  fn: DeployedFunction,
  callId: number,
): Promise<unknown> {
  const answer = await t.client.get<{ response: unknown }>(
    `/api/v1/projects/${t.emulator.project}/functions/${fn.id}/calls/${callId}/response`,
  );
  return answer.data.response;
}

/** Calls the function once with `data` (a fresh session) and waits, in real time, for the call to end. */
export async function callFunction(
  t: Pick<TestEmulator, "emulator" | "client">,
  fn: DeployedFunction,
  data: unknown,
): Promise<FunctionCall> {
  const project = `/api/v1/projects/${t.emulator.project}`;
  const nonce = await functionSession(t);
  const started = await t.client.post<FunctionCall>(`${project}/functions/${fn.id}/call`, {
    data: { data, nonce },
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const call = await t.client.get<FunctionCall>(`${project}/functions/${fn.id}/calls/${started.data.id}`);
    if (call.data.status !== "Running") return call.data;
    if (Date.now() > deadline) throw new Error(`call ${started.data.id} still Running after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

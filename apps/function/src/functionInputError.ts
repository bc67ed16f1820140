/**
 * The call cannot run as asked: the payload, the call's data, kpis.yaml or the deployment is
 * wrong. Its message is for the person who scheduled or called the function, and nothing has
 * been written when it is thrown.
 */
export class FunctionInputError extends Error {
  override readonly name = "FunctionInputError";
}

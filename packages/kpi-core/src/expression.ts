// The value expression: an own tokenizer and recursive-descent parser to an ExprNode tree, and an
// evaluator over that tree. Never eval or new Function: a kpis.yaml is data, not code.
//
// Grammar (lowest precedence first):
//   comparison     := additive (("<" | "<=" | ">" | ">=" | "==" | "!=") additive)*
//   additive       := multiplicative (("+" | "-") multiplicative)*
//   multiplicative := unary (("*" | "/") unary)*
//   unary          := "-" unary | primary
//   primary        := number | "windowSeconds" | name "(" arguments ")" | "(" comparison ")"
// Strings ("h") appear only as the unit argument of integral.
// Comparisons do not chain: `0 < a < 10` would compare the 1 or 0 of `0 < a` with 10, which is
// never what was meant, so it is a load error that shows the working spelling.

import type { AggregateName, BinaryOperator, ExprNode } from "./model.js";

export type AggregateNode = Extract<ExprNode, { type: "aggregate" }>;

export class ExpressionError extends Error {
  /** 1-based column in the expression text. */
  readonly column: number;
  readonly reason: string;
  constructor(reason: string, column: number) {
    super(`${reason} at column ${column}`);
    this.name = "ExpressionError";
    this.reason = reason;
    this.column = column;
  }
}

const SCALAR_FUNCTIONS = ["min", "max", "abs", "round", "if"] as const;
type ScalarFunction = (typeof SCALAR_FUNCTIONS)[number];

const AGGREGATE_FUNCTIONS: readonly AggregateName[] = [
  "twa",
  "integral",
  "coverage",
  "mean",
  "min",
  "max",
  "sum",
  "count",
  "first",
  "last",
  "stddev",
  "percentile",
  "timeAbove",
  "timeBelow",
  "timeEqual",
  "delta",
];

/** The extra constant arguments each aggregate takes after its input name. */
const AGGREGATE_EXTRA_ARGS: Readonly<Record<AggregateName, "none" | "unit" | "percent" | "threshold">> = {
  twa: "none",
  integral: "unit",
  coverage: "none",
  mean: "none",
  min: "none",
  max: "none",
  sum: "none",
  count: "none",
  first: "none",
  last: "none",
  stddev: "none",
  percentile: "percent",
  timeAbove: "threshold",
  timeBelow: "threshold",
  timeEqual: "threshold",
  delta: "none",
};

export const INTEGRAL_UNITS = ["s", "m", "h", "d"] as const;

/** Seconds per integral unit: integral(x, "h") is value x seconds / 3600. */
export const INTEGRAL_UNIT_SECONDS: Readonly<Record<(typeof INTEGRAL_UNITS)[number], number>> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
};

const KNOWN_FUNCTIONS = [...new Set<string>([...SCALAR_FUNCTIONS, ...AGGREGATE_FUNCTIONS])];

/** The only bare identifier; inputs appear only inside aggregates. */
export const WINDOW_SECONDS = "windowSeconds";

/** Input names must be identifiers so the expression can name them. */
export const INPUT_NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$";

// ---- tokenizer ----

/** `column` is 1-based where the token starts, `end` the 0-based offset just after it. */
type Token =
  | { kind: "number"; value: number; column: number; end: number }
  | { kind: "string"; value: string; column: number; end: number }
  | { kind: "name"; value: string; column: number; end: number }
  | { kind: "op"; value: string; column: number; end: number }
  | { kind: "end"; column: number; end: number };

// Limits that keep every recursive walk (parse, evaluate, format, hash) far from the stack's end;
// a kpis.yaml is data from anyone, and a RangeError is no message. Real expressions are a few
// hundred characters and a few levels deep.
/** Longest `value` text, in characters. */
export const MAX_EXPRESSION_LENGTH = 10_000;
/** Deepest nesting of parentheses, function calls and unary minus. */
export const MAX_EXPRESSION_NESTING = 100;
/** Deepest syntax tree: nesting plus each operator of a chain such as `a + b + c`. */
export const MAX_EXPRESSION_DEPTH = 500;

const OPERATORS = ["<=", ">=", "==", "!=", "<", ">", "+", "-", "*", "/", "(", ")", ","];
const NUMBER_REGEX = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/;
const NAME_REGEX = /^[A-Za-z_][A-Za-z0-9_]*/;

function tokenize(text: string): Token[] {
  if (text.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(
      `the expression is ${text.length} characters long, more than the ${MAX_EXPRESSION_LENGTH} allowed; split the calculation or simplify it`,
      MAX_EXPRESSION_LENGTH + 1,
    );
  }
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      i++;
      continue;
    }
    const column = i + 1;
    const rest = text.slice(i);
    const number = NUMBER_REGEX.exec(rest);
    if (number) {
      // `2x` or `1.2.3` would otherwise parse as a number followed by junk, with a vaguer message.
      const after = rest[number[0].length];
      if (after !== undefined && /[A-Za-z_.]/.test(after)) {
        throw new ExpressionError(`"${number[0]}${after}" is not a number`, column);
      }
      const value = Number(number[0]);
      if (!Number.isFinite(value)) {
        throw new ExpressionError(
          `the number ${number[0]} is too large (the largest is about 1.8e308)`,
          column,
        );
      }
      i += number[0].length;
      tokens.push({ kind: "number", value, column, end: i });
      continue;
    }
    const name = NAME_REGEX.exec(rest);
    if (name) {
      i += name[0].length;
      tokens.push({ kind: "name", value: name[0], column, end: i });
      continue;
    }
    if (ch === '"' || ch === "'") {
      const close = text.indexOf(ch, i + 1);
      if (close < 0) throw new ExpressionError(`unterminated string ${ch}...`, column);
      i = close + 1;
      tokens.push({ kind: "string", value: text.slice(column, close), column, end: i });
      continue;
    }
    const op = OPERATORS.find((candidate) => text.startsWith(candidate, i));
    if (op === undefined) {
      const hint = ch === "=" ? '; compare with "=="' : ch === "&" || ch === "|" ? "; combine with if()" : "";
      throw new ExpressionError(`unexpected character "${ch}"${hint}`, column);
    }
    i += op.length;
    tokens.push({ kind: "op", value: op, column, end: i });
  }
  tokens.push({ kind: "end", column: text.length + 1, end: text.length });
  return tokens;
}

// ---- parser ----

/** What the parser produced for an argument before call resolution decides what it may be. */
type Argument =
  | { node: ExprNode; column: number }
  | { text: string; column: number; isString: true }
  | { inputName: string; column: number };

const COMPARISONS = new Set(["<", "<=", ">", ">=", "==", "!="]);

class Parser {
  private position = 0;
  private nesting = 0;
  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
    private readonly inputNames: ReadonlySet<string>,
  ) {}

  /** Runs one nested level (parenthesis, call, unary minus), refusing to go deeper than the limit. */
  private nested<T>(column: number, parse: () => T): T {
    if (this.nesting >= MAX_EXPRESSION_NESTING) {
      throw new ExpressionError(
        `the expression nests more than ${MAX_EXPRESSION_NESTING} levels of parentheses, function calls or minus signs; simplify it`,
        column,
      );
    }
    this.nesting++;
    try {
      return parse();
    } finally {
      this.nesting--;
    }
  }

  /** The source text from the token at `startPosition` up to the last token consumed. */
  private sourceFrom(startPosition: number): string {
    const start = this.tokens[startPosition]!.column - 1;
    return this.text.slice(start, this.tokens[this.position - 1]!.end);
  }

  parse(): ExprNode {
    const node = this.comparison();
    const token = this.peek();
    if (token.kind !== "end") throw new ExpressionError(`unexpected ${describe(token)}`, token.column);
    return node;
  }

  private peek(): Token {
    return this.tokens[this.position]!;
  }

  private next(): Token {
    return this.tokens[this.position++]!;
  }

  private isOp(value: string): boolean {
    const token = this.peek();
    return token.kind === "op" && token.value === value;
  }

  private expectOp(value: string, context: string): void {
    const token = this.next();
    if (token.kind !== "op" || token.value !== value) {
      throw new ExpressionError(`expected "${value}" ${context}, found ${describe(token)}`, token.column);
    }
  }

  private comparison(): ExprNode {
    const leftStart = this.position;
    const left = this.additive();
    const token = this.peek();
    if (token.kind !== "op" || !COMPARISONS.has(token.value)) return left;
    const leftText = this.sourceFrom(leftStart);
    this.next();
    const middleStart = this.position;
    const right = this.additive();
    const second = this.peek();
    if (second.kind === "op" && COMPARISONS.has(second.value)) {
      const middleText = this.sourceFrom(middleStart);
      this.next();
      const rightStart = this.position;
      this.additive();
      const rightText = this.sourceFrom(rightStart);
      const first = `${leftText} ${token.value} ${middleText}`;
      throw new ExpressionError(
        `comparisons do not chain: "${first} ${second.value} ${rightText}" would compare the 1 or 0 of ` +
          `"${first}" with ${rightText}; to require both, write min(${first}, ${middleText} ${second.value} ${rightText})`,
        second.column,
      );
    }
    return { type: "binary", op: token.value as BinaryOperator, left, right };
  }

  private additive(): ExprNode {
    let left = this.multiplicative();
    for (let token = this.peek(); token.kind === "op" && (token.value === "+" || token.value === "-"); ) {
      this.next();
      left = { type: "binary", op: token.value, left, right: this.multiplicative() };
      token = this.peek();
    }
    return left;
  }

  private multiplicative(): ExprNode {
    let left = this.unary();
    for (let token = this.peek(); token.kind === "op" && (token.value === "*" || token.value === "/"); ) {
      this.next();
      left = { type: "binary", op: token.value, left, right: this.unary() };
      token = this.peek();
    }
    return left;
  }

  private unary(): ExprNode {
    if (this.isOp("-")) {
      const minus = this.next();
      return this.nested(minus.column, () => ({ type: "unary", op: "-", operand: this.unary() }));
    }
    return this.primary();
  }

  private primary(): ExprNode {
    const token = this.next();
    switch (token.kind) {
      case "number":
        return { type: "number", value: token.value };
      case "string":
        throw new ExpressionError(
          `a string ("${token.value}") is only allowed as the unit of integral, e.g. integral(x, "h")`,
          token.column,
        );
      case "name":
        if (this.isOp("(")) return this.nested(token.column, () => this.call(token.value, token.column));
        if (token.value === WINDOW_SECONDS) return { type: "windowSeconds" };
        if (this.inputNames.has(token.value)) {
          throw new ExpressionError(
            `input "${token.value}" must be used inside an aggregate, e.g. twa(${token.value}) or last(${token.value})`,
            token.column,
          );
        }
        throw new ExpressionError(
          `unknown name "${token.value}"; inputs are ${listOrNone([...this.inputNames])}, and windowSeconds`,
          token.column,
        );
      case "op":
        if (token.value === "(") {
          return this.nested(token.column, () => {
            const inner = this.comparison();
            this.expectOp(")", "to close the parenthesis");
            return inner;
          });
        }
        throw new ExpressionError(`unexpected ${describe(token)}`, token.column);
      case "end":
        throw new ExpressionError("unexpected end of expression", token.column);
    }
  }

  private argument(): Argument {
    const token = this.peek();
    if (token.kind === "string") {
      this.next();
      return { text: token.value, column: token.column, isString: true };
    }
    // A bare input name is legal only as a whole argument (the aggregate's first); anywhere else
    // primary() rejects it with a hint.
    const after = this.tokens[this.position + 1]!;
    if (
      token.kind === "name" &&
      this.inputNames.has(token.value) &&
      (after.kind === "end" || (after.kind === "op" && (after.value === "," || after.value === ")")))
    ) {
      this.next();
      return { inputName: token.value, column: token.column };
    }
    return { node: this.comparison(), column: token.column };
  }

  private call(fn: string, column: number): ExprNode {
    if (!KNOWN_FUNCTIONS.includes(fn)) {
      throw new ExpressionError(
        `unknown function "${fn}"; known functions: ${KNOWN_FUNCTIONS.join(", ")}`,
        column,
      );
    }
    this.expectOp("(", `after ${fn}`);
    const args: Argument[] = [];
    if (!this.isOp(")")) {
      args.push(this.argument());
      while (this.isOp(",")) {
        this.next();
        args.push(this.argument());
      }
    }
    this.expectOp(")", `to close ${fn}(`);
    return resolveCall(fn, column, args);
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case "end":
      return "end of expression";
    case "string":
      return `string "${token.value}"`;
    case "number":
      return `number ${token.value}`;
    default:
      return `"${token.value}"`;
  }
}

function listOrNone(names: string[]): string {
  return names.length === 0 ? "(none)" : names.map((n) => `"${n}"`).join(", ");
}

function resolveCall(fn: string, column: number, args: Argument[]): ExprNode {
  const isAggregate = (AGGREGATE_FUNCTIONS as readonly string[]).includes(fn);
  const isScalar = (SCALAR_FUNCTIONS as readonly string[]).includes(fn);
  const first = args[0];
  const input = first !== undefined && "inputName" in first ? first.inputName : undefined;
  // min(x)/max(x) with exactly one input name are the per-window aggregates; with several
  // arguments they are the scalar min/max (design.md, Semantics).
  if (isAggregate && (!isScalar || (args.length === 1 && input !== undefined))) {
    return aggregateCall(fn as AggregateName, column, args, input);
  }
  return scalarCall(fn as ScalarFunction, column, args);
}

function aggregateCall(
  fn: AggregateName,
  column: number,
  args: Argument[],
  input: string | undefined,
): ExprNode {
  const extra = AGGREGATE_EXTRA_ARGS[fn];
  const usage =
    extra === "none"
      ? `${fn}(input)`
      : extra === "unit"
        ? `${fn}(input, "h")`
        : extra === "percent"
          ? `${fn}(input, 95)`
          : `${fn}(input, 100)`;
  if (input === undefined) {
    const where = args[0]?.column ?? column;
    throw new ExpressionError(`${fn}() takes an input name as its first argument: ${usage}`, where);
  }
  const expected = extra === "none" ? 1 : 2;
  if (args.length !== expected) {
    throw new ExpressionError(
      `${fn}() takes ${expected} argument${expected === 1 ? "" : "s"}, got ${args.length}: ${usage}`,
      column,
    );
  }
  if (extra === "none") return { type: "aggregate", fn, input, args: [] };
  const argument = args[1]!;
  if (extra === "unit") {
    if (!("isString" in argument) || !(INTEGRAL_UNITS as readonly string[]).includes(argument.text)) {
      const found = "isString" in argument ? `"${argument.text}"` : "no string";
      throw new ExpressionError(
        `the unit of ${fn}() must be one of "s", "m", "h", "d", got ${found}: ${usage}`,
        argument.column,
      );
    }
    return { type: "aggregate", fn, input, args: [argument.text] };
  }
  const value = constantValue(argument);
  if (value === undefined) {
    throw new ExpressionError(
      `the ${extra === "percent" ? "percentile p" : "threshold"} of ${fn}() must be a constant number: ${usage}`,
      argument.column,
    );
  }
  if (extra === "percent" && (value < 0 || value > 100)) {
    throw new ExpressionError(`the percentile p must be in [0, 100], got ${value}`, argument.column);
  }
  return { type: "aggregate", fn, input, args: [value] };
}

/** A constant-folded argument (`-5`, `100/3`), or undefined if it depends on the data. */
function constantValue(argument: Argument): number | undefined {
  if (!("node" in argument)) return undefined;
  if (aggregatesOf(argument.node).length > 0 || mentionsWindowSeconds(argument.node)) return undefined;
  return evaluateExpression(argument.node, { windowSeconds: Number.NaN, aggregate: () => undefined });
}

function mentionsWindowSeconds(node: ExprNode): boolean {
  switch (node.type) {
    case "windowSeconds":
      return true;
    case "unary":
      return mentionsWindowSeconds(node.operand);
    case "binary":
      return mentionsWindowSeconds(node.left) || mentionsWindowSeconds(node.right);
    case "scalarCall":
      return node.args.some(mentionsWindowSeconds);
    default:
      return false;
  }
}

function scalarCall(fn: ScalarFunction, column: number, args: Argument[]): ExprNode {
  for (const argument of args) {
    if ("isString" in argument) {
      throw new ExpressionError(
        `a string ("${argument.text}") is only allowed as the unit of integral, e.g. integral(x, "h")`,
        argument.column,
      );
    }
    if ("inputName" in argument) {
      throw new ExpressionError(
        `input "${argument.inputName}" must be used inside an aggregate, e.g. twa(${argument.inputName}) or last(${argument.inputName})`,
        argument.column,
      );
    }
  }
  const nodes = args.map((argument) => (argument as { node: ExprNode }).node);
  const count = nodes.length;
  switch (fn) {
    case "min":
    case "max":
      if (count < 2) {
        throw new ExpressionError(
          `${fn}() takes one input name (the per-window ${fn}, e.g. ${fn}(x)) or two or more values (the smaller/larger)`,
          column,
        );
      }
      break;
    case "abs":
      if (count !== 1) throw new ExpressionError(`abs() takes 1 argument, got ${count}`, column);
      break;
    case "round":
      if (count !== 1 && count !== 2) {
        throw new ExpressionError(`round() takes 1 or 2 arguments (value, digits), got ${count}`, column);
      }
      if (count === 2) {
        const digits = constantValue(args[1]!);
        if (digits === undefined || !Number.isInteger(digits) || Math.abs(digits) > 15) {
          throw new ExpressionError(
            "the digits of round(x, digits) must be a constant integer from -15 to 15",
            args[1]!.column,
          );
        }
        return { type: "scalarCall", fn, args: [nodes[0]!, { type: "number", value: digits }] };
      }
      break;
    case "if":
      if (count !== 3) {
        throw new ExpressionError(`if() takes 3 arguments (condition, then, else), got ${count}`, column);
      }
      break;
  }
  return { type: "scalarCall", fn, args: nodes };
}

/**
 * Parses a value expression. `inputNames` are the KPI's input names; only they may appear as the
 * first argument of an aggregate. Throws ExpressionError (reason + 1-based column).
 */
export function parseExpression(text: string, inputNames: readonly string[]): ExprNode {
  const node = new Parser(text, tokenize(text), new Set(inputNames)).parse();
  const depth = depthOf(node);
  if (depth > MAX_EXPRESSION_DEPTH) {
    throw new ExpressionError(
      `the expression is ${depth} levels deep (each operator of a chain such as a + b + c is a level), more than the ${MAX_EXPRESSION_DEPTH} allowed; simplify it`,
      1,
    );
  }
  return node;
}

/** The syntax tree's depth, walked without recursion: the tree is not yet known to be shallow. */
function depthOf(root: ExprNode): number {
  let deepest = 0;
  const pending: Array<[ExprNode, number]> = [[root, 1]];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const [node, depth] = item;
    deepest = Math.max(deepest, depth);
    if (node.type === "unary") pending.push([node.operand, depth + 1]);
    else if (node.type === "binary") pending.push([node.left, depth + 1], [node.right, depth + 1]);
    else if (node.type === "scalarCall") for (const arg of node.args) pending.push([arg, depth + 1]);
  }
  return deepest;
}

export interface EvaluationEnvironment {
  /** The window's length in seconds (`windowSeconds`). */
  windowSeconds: number;
  /** The value of one aggregate over the window, or undefined when it has no value. */
  aggregate(node: AggregateNode): number | undefined;
}

/**
 * Evaluates an expression for one window. Comparisons give 1 or 0; `if(c, a, b)` evaluates only
 * the chosen branch (c != 0 is true); an operand with no value, a division by zero or a
 * non-finite intermediate result makes the whole value undefined ("no value", design.md).
 */
export function evaluateExpression(node: ExprNode, env: EvaluationEnvironment): number | undefined {
  const value = evaluate(node, env);
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

function finite(value: number): number | undefined {
  return Number.isFinite(value) ? value : undefined;
}

function evaluate(node: ExprNode, env: EvaluationEnvironment): number | undefined {
  switch (node.type) {
    case "number":
      return finite(node.value);
    case "windowSeconds":
      return finite(env.windowSeconds);
    case "aggregate": {
      const value = env.aggregate(node);
      return value === undefined ? undefined : finite(value);
    }
    case "unary": {
      const operand = evaluate(node.operand, env);
      return operand === undefined ? undefined : -operand;
    }
    case "binary": {
      const left = evaluate(node.left, env);
      if (left === undefined) return undefined;
      const right = evaluate(node.right, env);
      if (right === undefined) return undefined;
      return binary(node.op, left, right);
    }
    case "scalarCall":
      return scalar(node.fn, node.args, env);
  }
}

function binary(op: BinaryOperator, left: number, right: number): number | undefined {
  switch (op) {
    case "+":
      return finite(left + right);
    case "-":
      return finite(left - right);
    case "*":
      return finite(left * right);
    case "/":
      return right === 0 ? undefined : finite(left / right);
    case "<":
      return left < right ? 1 : 0;
    case "<=":
      return left <= right ? 1 : 0;
    case ">":
      return left > right ? 1 : 0;
    case ">=":
      return left >= right ? 1 : 0;
    case "==":
      return left === right ? 1 : 0;
    case "!=":
      return left !== right ? 1 : 0;
  }
}

function scalar(fn: ScalarFunction, args: ExprNode[], env: EvaluationEnvironment): number | undefined {
  if (fn === "if") {
    const condition = evaluate(args[0]!, env);
    if (condition === undefined) return undefined;
    return evaluate(condition !== 0 ? args[1]! : args[2]!, env);
  }
  const values: number[] = [];
  for (const arg of args) {
    const value = evaluate(arg, env);
    if (value === undefined) return undefined;
    values.push(value);
  }
  switch (fn) {
    case "min":
      return Math.min(...values);
    case "max":
      return Math.max(...values);
    case "abs":
      return Math.abs(values[0]!);
    case "round":
      return roundHalfAwayFromZero(values[0]!, values[1] ?? 0);
  }
}

/**
 * Rounds the decimal number as written, half away from zero, like spreadsheets: the shortest
 * decimal that reads back as `value` (what the value prints as) is rounded digit by digit, so
 * round(1.005, 2) = 1.01 although the double nearest 1.005 lies just below it, and -2.5 -> -3
 * (Math.round gives -2). Negative digits round to tens, hundreds, ...
 */
export function roundHalfAwayFromZero(value: number, digits: number): number | undefined {
  if (!Number.isFinite(value)) return undefined;
  // toExponential() without an argument gives the shortest round-trip digits: "1.005e+0".
  const [mantissa, exponentText] = Math.abs(value).toExponential().split("e") as [string, string];
  const significand = mantissa.replace(".", "");
  // How many significant digits stay: those before the 10^-digits place.
  const kept = Number(exponentText) + 1 + digits;
  if (kept >= significand.length) return value === 0 ? 0 : value;
  if (kept < 0) return 0;
  let whole = kept === 0 ? 0n : BigInt(significand.slice(0, kept));
  if (significand.charCodeAt(kept) >= 53 /* "5" */) whole += 1n;
  if (whole === 0n) return 0;
  return finite(Math.sign(value) * Number(`${whole}e${-digits}`));
}

/**
 * Every aggregate node in the expression, in evaluation order, repeats included (an engine that
 * wants each distinct aggregate once can key them by formatExpression(node)).
 */
export function aggregatesOf(node: ExprNode): AggregateNode[] {
  const found: AggregateNode[] = [];
  const visit = (current: ExprNode): void => {
    switch (current.type) {
      case "aggregate":
        found.push(current);
        break;
      case "unary":
        visit(current.operand);
        break;
      case "binary":
        visit(current.left);
        visit(current.right);
        break;
      case "scalarCall":
        current.args.forEach(visit);
        break;
      default:
        break;
    }
  };
  visit(node);
  return found;
}

/**
 * Canonical text of an expression: single spaces around binary operators, every nested binary
 * operation parenthesised, numbers in shortest round-trip form. Parsing the result gives the same
 * tree, so two spellings of one expression format alike (the config hash relies on this).
 * `inputLabel` renames inputs (the hash replaces names with their position).
 */
export function formatExpression(
  node: ExprNode,
  inputLabel: (name: string) => string = (name) => name,
): string {
  const format = (current: ExprNode, nested: boolean): string => {
    switch (current.type) {
      case "number":
        return formatNumber(current.value);
      case "windowSeconds":
        return WINDOW_SECONDS;
      case "unary":
        return `-${format(current.operand, true)}`;
      case "binary": {
        const text = `${format(current.left, true)} ${current.op} ${format(current.right, true)}`;
        return nested ? `(${text})` : text;
      }
      case "scalarCall":
        return `${current.fn}(${current.args.map((arg) => format(arg, false)).join(", ")})`;
      case "aggregate": {
        const extra = current.args.map((arg) => (typeof arg === "string" ? `"${arg}"` : formatNumber(arg)));
        return `${current.fn}(${[inputLabel(current.input), ...extra].join(", ")})`;
      }
    }
  };
  return format(node, false);
}

/** Numbers as the parser reads them back: a negative constant is written `-5`, which folds to -5 in arguments. */
function formatNumber(value: number): string {
  if (value < 0) return `-${formatNumber(-value)}`;
  return String(value);
}

/** The distinct input names the expression aggregates over, in order of first use. */
export function inputsOf(node: ExprNode): string[] {
  return [...new Set(aggregatesOf(node).map((aggregate) => aggregate.input))];
}

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AggregateNode,
  aggregatesOf,
  ExpressionError,
  evaluateExpression,
  formatExpression,
  inputsOf,
  MAX_EXPRESSION_DEPTH,
  MAX_EXPRESSION_LENGTH,
  MAX_EXPRESSION_NESTING,
  parseExpression,
  roundHalfAwayFromZero,
} from "../src/expression.js";
import type { ExprNode } from "../src/model.js";

const inputs = ["flow", "power", "units"];
const parse = (text: string) => parseExpression(text, inputs);

/** Evaluates with fixed aggregate values by canonical text; missing ones have no value. */
function evaluate(
  text: string,
  values: Record<string, number> = {},
  windowSeconds = 3600,
): number | undefined {
  return evaluateExpression(parse(text), {
    windowSeconds,
    aggregate: (node) => values[formatExpression(node)],
  });
}

function errorOf(text: string): ExpressionError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof ExpressionError) return error;
    throw error;
  }
  throw new Error(`expected "${text}" to fail`);
}

describe("parsing", () => {
  it("reads an aggregate of an input with its constant arguments", () => {
    expect(parse('integral(power, "h")')).toEqual({
      type: "aggregate",
      fn: "integral",
      input: "power",
      args: ["h"],
    });
    expect(parse("percentile(flow, 95)")).toEqual({
      type: "aggregate",
      fn: "percentile",
      input: "flow",
      args: [95],
    });
  });

  it("gives * and / precedence over + and -, and arithmetic over comparisons", () => {
    expect(evaluate("1 + 2 * 3")).toBe(7);
    expect(evaluate("8 / 4 / 2")).toBe(1);
    expect(evaluate("10 - 4 - 3")).toBe(3);
    expect(evaluate("1 + 1 == 2")).toBe(1);
  });

  it("honours parentheses and unary minus", () => {
    expect(evaluate("(1 + 2) * 3")).toBe(9);
    expect(evaluate("-(1 + 2) * -3")).toBe(9);
    expect(evaluate("- -4")).toBe(4);
  });

  it("reads numbers with exponents and leading or trailing dots", () => {
    expect(evaluate("1e3")).toBe(1000);
    expect(evaluate(".5")).toBe(0.5);
    expect(evaluate("2.")).toBe(2);
    expect(evaluate("2.5E-1")).toBe(0.25);
  });

  it("min(x) and max(x) of one input name are the per-window aggregates", () => {
    expect(parse("min(flow)")).toEqual({ type: "aggregate", fn: "min", input: "flow", args: [] });
    expect(parse("max(flow)")).toEqual({ type: "aggregate", fn: "max", input: "flow", args: [] });
  });

  it("min and max of several values are the scalar min and max", () => {
    expect(parse("min(twa(flow), 3)").type).toBe("scalarCall");
    expect(evaluate("max(1, 5, 3)")).toBe(5);
    expect(evaluate("min(4, -2)")).toBe(-2);
  });

  it("folds constant threshold arguments, negatives included", () => {
    expect(parse("timeAbove(flow, -5)")).toEqual({
      type: "aggregate",
      fn: "timeAbove",
      input: "flow",
      args: [-5],
    });
    expect(parse("timeBelow(flow, 100 / 4)")).toMatchObject({ args: [25] });
  });

  it("accepts single-quoted unit strings", () => {
    expect(parse("integral(power, 'm')")).toMatchObject({ args: ["m"] });
  });

  it("reads windowSeconds as the window length", () => {
    expect(evaluate("windowSeconds / 60", {}, 82_800)).toBe(1380);
  });
});

describe("parse errors name the problem and the column", () => {
  it.each([
    ["twa(flo)", 5, 'unknown name "flo"; inputs are "flow", "power", "units", and windowSeconds'],
    ["tw(flow)", 1, 'unknown function "tw"; known functions: min, max'],
    ["flow * 2", 1, 'input "flow" must be used inside an aggregate, e.g. twa(flow) or last(flow)'],
    ["min(flow, 2)", 5, 'input "flow" must be used inside an aggregate'],
    ["twa(flow", 9, 'expected ")" to close twa(, found end of expression'],
    ["(1 + 2", 7, 'expected ")" to close the parenthesis'],
    ["1 +", 4, "unexpected end of expression"],
    ["1 2", 3, "unexpected number 2"],
    [")", 1, 'unexpected ")"'],
    ["2x", 1, '"2x" is not a number'],
    ["a = b", 3, 'unexpected character "="; compare with "=="'],
    ["1 & 2", 3, 'unexpected character "&"; combine with if()'],
    ["1 $ 2", 3, 'unexpected character "$"'],
    ['"h" + 1', 1, 'a string ("h") is only allowed as the unit of integral'],
    ['max(1, "h")', 8, 'a string ("h") is only allowed as the unit of integral'],
    ["'h", 1, "unterminated string"],
    ["twa()", 1, "twa() takes an input name as its first argument: twa(input)"],
    ["twa(3)", 5, "twa() takes an input name as its first argument"],
    ["twa(flow, 2)", 1, "twa() takes 1 argument, got 2: twa(input)"],
    ["integral(power)", 1, 'integral() takes 2 arguments, got 1: integral(input, "h")'],
    ['integral(power, "y")', 17, 'the unit of integral() must be one of "s", "m", "h", "d", got "y"'],
    ["integral(power, 3600)", 17, 'the unit of integral() must be one of "s", "m", "h", "d", got no string'],
    ["percentile(flow, 101)", 18, "the percentile p must be in [0, 100], got 101"],
    ["percentile(flow, -1)", 18, "the percentile p must be in [0, 100], got -1"],
    ["percentile(flow, twa(flow))", 18, "the percentile p of percentile() must be a constant number"],
    ["timeAbove(flow, windowSeconds)", 17, "the threshold of timeAbove() must be a constant number"],
    ["max(3)", 1, "max() takes one input name (the per-window max, e.g. max(x)) or two or more values"],
    ["abs(1, 2)", 1, "abs() takes 1 argument, got 2"],
    ["round(1, 2, 3)", 1, "round() takes 1 or 2 arguments (value, digits), got 3"],
    ["round(1, 2.5)", 10, "the digits of round(x, digits) must be a constant integer from -15 to 15"],
    ["if(1, 2)", 1, "if() takes 3 arguments (condition, then, else), got 2"],
  ])("%s", (text, column, reason) => {
    const error = errorOf(text);
    expect(error.column).toBe(column);
    expect(error.reason).toContain(reason);
    expect(error.message).toBe(`${error.reason} at column ${column}`);
  });
});

describe("evaluation", () => {
  it("comparisons give 1 or 0", () => {
    expect(evaluate("2 < 3")).toBe(1);
    expect(evaluate("3 < 3")).toBe(0);
    expect(evaluate("3 <= 3")).toBe(1);
    expect(evaluate("2 > 3")).toBe(0);
    expect(evaluate("3 >= 3")).toBe(1);
    expect(evaluate("3 == 3")).toBe(1);
    expect(evaluate("3 != 3")).toBe(0);
  });

  it("uses the aggregate values the environment gives", () => {
    expect(
      evaluate('integral(power, "h") / delta(units)', { 'integral(power, "h")': 120, "delta(units)": 40 }),
    ).toBe(3);
  });

  it("an aggregate with no value makes the whole value undefined", () => {
    expect(evaluate("twa(flow) + 1", {})).toBeUndefined();
    expect(evaluate("1 + twa(flow)", {})).toBeUndefined();
  });

  it("division by zero gives no value, not Infinity", () => {
    expect(evaluate("1 / 0")).toBeUndefined();
    expect(evaluate("twa(flow) / delta(units)", { "twa(flow)": 5, "delta(units)": 0 })).toBeUndefined();
  });

  it("a non-finite intermediate result gives no value", () => {
    expect(evaluate("1e308 * 10 - 1e308 * 10")).toBeUndefined();
    expect(evaluate("twa(flow)", { "twa(flow)": Number.NaN })).toBeUndefined();
  });

  it("if evaluates only the chosen branch, so the other may have no value", () => {
    expect(evaluate("if(count(flow) > 0, twa(flow), -1)", { "count(flow)": 0 })).toBe(-1);
    expect(evaluate("if(1, 7, 1 / 0)")).toBe(7);
    expect(evaluate("if(0.5, 7, 8)")).toBe(7);
    expect(evaluate("if(twa(flow), 7, 8)", {})).toBeUndefined();
  });

  it("if does not call the aggregate of the branch not taken", () => {
    const asked: string[] = [];
    evaluateExpression(parse("if(1, twa(flow), mean(power))"), {
      windowSeconds: 1,
      aggregate: (node) => {
        asked.push(formatExpression(node));
        return 1;
      },
    });
    expect(asked).toEqual(["twa(flow)"]);
  });

  it("abs and round work on scalars", () => {
    expect(evaluate("abs(-2.5)")).toBe(2.5);
    expect(evaluate("round(2.5)")).toBe(3);
    expect(evaluate("round(-2.5)")).toBe(-3);
    expect(evaluate("round(3.14159, 2)")).toBe(3.14);
    expect(evaluate("round(1234, -2)")).toBe(1200);
    expect(evaluate("round(-0.4)")).toBe(0);
  });

  it("a scalar min with an argument without value has no value", () => {
    expect(evaluate("min(twa(flow), 3)", {})).toBeUndefined();
  });
});

describe("aggregatesOf and inputsOf", () => {
  it("lists every aggregate node in evaluation order, repeats included", () => {
    const found = aggregatesOf(parse("if(count(flow) > 0, twa(flow) - twa(flow), -abs(mean(power)))"));
    expect(found.map((node: AggregateNode) => formatExpression(node))).toEqual([
      "count(flow)",
      "twa(flow)",
      "twa(flow)",
      "mean(power)",
    ]);
  });

  it("inputsOf lists the aggregated inputs once each, in order of first use", () => {
    expect(inputsOf(parse("twa(power) + last(flow) * mean(power)"))).toEqual(["power", "flow"]);
    expect(inputsOf(parse("windowSeconds"))).toEqual([]);
  });
});

describe("formatExpression", () => {
  it("writes a canonical text that ignores spacing and redundant parentheses", () => {
    expect(formatExpression(parse("((twa(flow)))+1*  2"))).toBe("twa(flow) + (1 * 2)");
    expect(formatExpression(parse("twa(flow) + (1 * 2)"))).toBe("twa(flow) + (1 * 2)");
  });

  it("can relabel inputs, as the config hash does", () => {
    expect(formatExpression(parse('integral(power, "h") / delta(units)'), (name) => `$${name.length}`)).toBe(
      'integral($5, "h") / delta($5)',
    );
  });

  it("formatting then parsing gives back the same tree", () => {
    const leaf: fc.Arbitrary<string> = fc.oneof(
      fc.double({ min: 0, max: 1e6, noNaN: true }).map(String),
      fc.constantFrom(
        "windowSeconds",
        "twa(flow)",
        'integral(power, "h")',
        "percentile(flow, 12.5)",
        "min(units)",
      ),
      fc.constantFrom("timeAbove(flow, -3)", "delta(units)", "count(power)"),
    );
    const expression = fc.letrec<{ node: string }>((tie) => ({
      node: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leaf,
        fc
          .tuple(tie("node"), fc.constantFrom("+", "-", "*", "/", "<", ">=", "==", "!="), tie("node"))
          .map(([a, op, b]) => `(${a}) ${op} (${b})`),
        tie("node").map((a) => `-(${a})`),
        fc.tuple(tie("node"), tie("node")).map(([a, b]) => `max(${a}, ${b})`),
        fc.tuple(tie("node"), tie("node"), tie("node")).map(([a, b, c]) => `if(${a}, ${b}, ${c})`),
        tie("node").map((a) => `round(${a}, 2)`),
      ),
    })).node;
    fc.assert(
      fc.property(expression, (text) => {
        const tree: ExprNode = parse(text);
        expect(parse(formatExpression(tree))).toEqual(tree);
        expect(formatExpression(parse(formatExpression(tree)))).toBe(formatExpression(tree));
      }),
      { numRuns: 300 },
    );
  });
});

describe("chained comparisons are a load error that shows the working spelling", () => {
  it("0 < twa(flow) < 10 is refused at the second comparison, with min(...) suggested", () => {
    const error = errorOf("0 < twa(flow) < 10");
    expect(error.column).toBe(15);
    expect(error.reason).toBe(
      'comparisons do not chain: "0 < twa(flow) < 10" would compare the 1 or 0 of "0 < twa(flow)" with 10; ' +
        "to require both, write min(0 < twa(flow), twa(flow) < 10)",
    );
  });

  it("every pair of comparison operators is refused, whatever the operands", () => {
    const operators = ["<", "<=", ">", ">=", "==", "!="];
    const operand = fc.constantFrom("1", "twa(flow)", "2 * last(power)", "(3 - 1)", "-4");
    fc.assert(
      fc.property(
        operand,
        fc.constantFrom(...operators),
        operand,
        fc.constantFrom(...operators),
        operand,
        (a, p, b, q, c) => {
          const error = errorOf(`${a} ${p} ${b} ${q} ${c}`);
          expect(error.reason).toContain(`write min(${a} ${p} ${b}, ${b} ${q} ${c})`);
        },
      ),
    );
  });

  it("the suggested spelling parses and is 1 exactly when both comparisons hold", () => {
    const suggested = (text: string) => errorOf(text).reason.split("write ")[1]!;
    fc.assert(
      fc.property(fc.double({ min: -20, max: 20, noNaN: true }), (twa) => {
        const spelling = suggested("0 < twa(flow) < 10");
        expect(evaluate(spelling, { "twa(flow)": twa })).toBe(0 < twa && twa < 10 ? 1 : 0);
      }),
    );
    expect(evaluate(suggested("0 < twa(flow) < 10"), {})).toBeUndefined();
  });

  it("a parenthesised comparison may still be compared, since the parentheses say it is meant", () => {
    expect(evaluate("(1 < 2) == 1")).toBe(1);
    expect(evaluate("(0 < twa(flow)) * (twa(flow) < 10)", { "twa(flow)": 5 })).toBe(1);
  });
});

describe("limits: a clear load error instead of a stack overflow", () => {
  it("5,000 nested parentheses are refused (for their length), 2,000 at the first level too many", () => {
    expect(errorOf(`${"(".repeat(5000)}1${")".repeat(5000)}`).reason).toContain("characters long");
    const text = `${"(".repeat(2000)}1${")".repeat(2000)}`;
    const error = errorOf(text);
    expect(error.column).toBe(MAX_EXPRESSION_NESTING + 1);
    expect(error.reason).toContain(`nests more than ${MAX_EXPRESSION_NESTING} levels`);
  });

  it("deep calls and minus signs are refused the same way", () => {
    expect(errorOf(`${"abs(".repeat(1000)}1${")".repeat(1000)}`).reason).toContain("nests more than");
    expect(errorOf(`${"-".repeat(8000)}1`).reason).toContain("nests more than");
  });

  it("exactly the nesting limit is accepted", () => {
    const text = `${"(".repeat(MAX_EXPRESSION_NESTING)}1${")".repeat(MAX_EXPRESSION_NESTING)}`;
    expect(evaluate(text)).toBe(1);
  });

  it("a flat 12,000-term sum is refused for its length", () => {
    const text = Array.from({ length: 12_000 }, () => "twa(flow)").join(" + ");
    const error = errorOf(text);
    expect(error.reason).toBe(
      `the expression is ${text.length} characters long, more than the ${MAX_EXPRESSION_LENGTH} allowed; split the calculation or simplify it`,
    );
  });

  it("a chain of operators deeper than the depth limit is refused, one within it is computed", () => {
    const tooDeep = Array.from({ length: MAX_EXPRESSION_DEPTH + 1 }, () => "1").join("+");
    expect(tooDeep.length).toBeLessThanOrEqual(MAX_EXPRESSION_LENGTH);
    expect(errorOf(tooDeep).reason).toContain(`is ${MAX_EXPRESSION_DEPTH + 1} levels deep`);
    const deepest = Array.from({ length: MAX_EXPRESSION_DEPTH }, () => "1").join("+");
    expect(evaluate(deepest)).toBe(MAX_EXPRESSION_DEPTH);
    expect(formatExpression(parse(deepest))).toContain("1 + 1");
  });

  it("a number literal too large for a double is refused, one just within is kept", () => {
    const error = errorOf("twa(flow) * 1e400");
    expect(error.column).toBe(13);
    expect(error.reason).toBe("the number 1e400 is too large (the largest is about 1.8e308)");
    expect(errorOf(`${"9".repeat(400)}`).reason).toContain("is too large");
    expect(evaluate("1.7976931348623157e308")).toBe(Number.MAX_VALUE);
  });
});

/**
 * The exact decimal reference: the shortest round-trip text of `value` as a BigInt times a power
 * of ten, rounded half away from zero by integer division.
 */
function roundReference(value: number, digits: number): number {
  const [mantissa, exponentText] = String(Math.abs(value)).includes("e")
    ? (String(Math.abs(value)).split("e") as [string, string])
    : [String(Math.abs(value)), "0"];
  const [whole, fraction = ""] = mantissa.split(".") as [string, string?];
  const scaled = BigInt(whole + fraction); // value = scaled * 10^exponent
  const exponent = Number(exponentText) - fraction.length;
  if (exponent >= -digits) return value === 0 ? 0 : value;
  const divisor = 10n ** BigInt(-digits - exponent);
  let quotient = scaled / divisor;
  if (2n * (scaled % divisor) >= divisor) quotient += 1n;
  const magnitude = Number(`${quotient}e${-digits}`);
  return magnitude === 0 ? 0 : Math.sign(value) * magnitude;
}

describe("round rounds the decimal value as written, half away from zero", () => {
  it("the cases binary floating point gets wrong", () => {
    expect(evaluate("round(1.005, 2)")).toBe(1.01);
    expect(evaluate("round(0.285, 2)")).toBe(0.29);
    expect(evaluate("round(-1.005, 2)")).toBe(-1.01);
    expect(evaluate("round(1.0049, 2)")).toBe(1);
    expect(evaluate("round(2.675, 2)")).toBe(2.68);
    expect(evaluate("round(1234.5)")).toBe(1235);
    expect(evaluate("round(1250, -2)")).toBe(1300);
    expect(evaluate("round(-1250, -2)")).toBe(-1300);
    expect(evaluate("round(9.995, 2)")).toBe(10);
    expect(evaluate("round(0.0004, 3)")).toBe(0);
    expect(evaluate("round(0.0005, 3)")).toBe(0.001);
    expect(evaluate("round(499, -3)")).toBe(0);
    expect(evaluate("round(500, -3)")).toBe(1000);
    expect(evaluate("round(1e-20, 15)")).toBe(0);
    expect(evaluate("round(1.5e300, -15)")).toBe(1.5e300);
    expect(Object.is(roundHalfAwayFromZero(-0.4, 0), 0)).toBe(true);
  });

  it("a decimal written with a 5 just past the kept digits rounds away from zero", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 13n }),
        fc.integer({ min: 0, max: 15 }),
        fc.boolean(),
        (kept, digits, negative) => {
          // kept.5 scaled down by 10^digits, e.g. kept 100, digits 2 -> 1.005; at most 15 significant digits,
          // so the text is the shortest round-trip form of the double read from it.
          fc.pre(String(kept).length + 1 <= 15);
          const sign = negative ? -1 : 1;
          const written = sign * Number(`${kept}5e${-digits - 1}`);
          const expected = sign * Number(`${kept + 1n}e${-digits}`);
          expect(roundHalfAwayFromZero(written, digits)).toBe(expected);
        },
      ),
    );
  });

  it("agrees with an exact decimal reference for any double and any digits from -15 to 15", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.double({ min: -1e6, max: 1e6, noNaN: true }),
          fc.integer({ min: -1e9, max: 1e9 }).map((n) => n / 1000),
        ),
        fc.integer({ min: -15, max: 15 }),
        (value, digits) => {
          expect(roundHalfAwayFromZero(value, digits)).toBe(roundReference(value, digits));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

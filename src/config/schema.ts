/**
 * Reading a daemon's zod 4 config schema: which keys it has, what type each key expects (to turn
 * an environment string into that type) and how to say what a failed parse expected.
 * Works on zod 4's public definition objects (`schema._zod.def`).
 */
import type { ZodType } from "zod";

interface ZodDef {
  type: string;
  innerType?: ZodType;
  in?: ZodType;
  shape?: Record<string, ZodType>;
  options?: ZodType[];
  values?: unknown[];
  getter?: () => ZodType;
}

const defOf = (schema: ZodType): ZodDef =>
  (schema as unknown as { _zod: { def: ZodDef } })._zod.def;

const WRAPPERS = new Set([
  "optional",
  "nullable",
  "default",
  "prefault",
  "catch",
  "readonly",
  "nonoptional",
]);

/** The schema under optional/default/nullable/readonly/catch wrappers, pipes and lazies. */
export function unwrap(schema: ZodType): { schema: ZodType; nullable: boolean } {
  let current = schema;
  let nullable = false;
  for (let depth = 0; depth < 32; depth++) {
    const def = defOf(current);
    if (def.type === "nullable") nullable = true;
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType;
    else if (def.type === "pipe" && def.in) current = def.in;
    else if (def.type === "lazy" && def.getter) current = def.getter();
    else break;
  }
  return { schema: current, nullable };
}

/** Whether `schema` (through wrappers, pipes and lazies) supplies a value of its own for undefined. */
export function hasDefault(schema: ZodType): boolean {
  let current = schema;
  for (let depth = 0; depth < 32; depth++) {
    const def = defOf(current);
    if (def.type === "default" || def.type === "prefault" || def.type === "catch") return true;
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType;
    else if (def.type === "pipe" && def.in) current = def.in;
    else if (def.type === "lazy" && def.getter) current = def.getter();
    else return false;
  }
  return false;
}

/** The keys of an object schema (through wrappers), or undefined when it is not an object. */
export function schemaShape(schema: ZodType | undefined): Record<string, ZodType> | undefined {
  if (!schema) return undefined;
  const def = defOf(unwrap(schema).schema);
  return def.type === "object" && def.shape ? def.shape : undefined;
}

export type Coerced = { ok: true; value: unknown } | { ok: false; expected: string };

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$/i;
const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off"]);

/** `1/0/true/false/yes/no/on/off` (any case) → boolean, else undefined. */
export function parseBoolean(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (TRUE.has(word)) return true;
  if (FALSE.has(word)) return false;
  return undefined;
}

/** A decimal number written as text, else undefined. */
export function parseNumber(text: string): number | undefined {
  return NUMBER.test(text.trim()) ? Number(text.trim()) : undefined;
}

function parseJson(text: string, want: "array" | "object"): Coerced {
  try {
    const value: unknown = JSON.parse(text);
    const isArray = Array.isArray(value);
    if (want === "array" ? isArray : value !== null && typeof value === "object" && !isArray) {
      return { ok: true, value };
    }
  } catch {
    // fall through
  }
  return { ok: false, expected: want === "array" ? "a JSON array" : "a JSON object" };
}

/**
 * Turns an environment variable's text into what `schema` expects at that key: numbers,
 * booleans (`1/0/true/false/yes/no`), JSON for arrays and objects, strings as they are.
 * `"null"` becomes null where the schema is nullable. The result is checked by the schema later.
 */
export function coerceText(text: string, schema: ZodType): Coerced {
  const { schema: inner, nullable } = unwrap(schema);
  if (nullable && text.trim() === "null") return { ok: true, value: null };
  const def = defOf(inner);
  switch (def.type) {
    case "number": {
      const value = parseNumber(text);
      return value === undefined ? { ok: false, expected: "a number" } : { ok: true, value };
    }
    case "bigint":
      return /^\s*-?\d+\s*$/.test(text)
        ? { ok: true, value: BigInt(text.trim()) }
        : { ok: false, expected: "a whole number" };
    case "boolean": {
      const value = parseBoolean(text);
      return value === undefined
        ? { ok: false, expected: "a boolean (true/false, 1/0, yes/no)" }
        : { ok: true, value };
    }
    case "array":
    case "tuple":
    case "set":
      return parseJson(text, "array");
    case "object":
    case "record":
    case "map":
      return parseJson(text, "object");
    case "literal": {
      const match = (def.values ?? []).find((v) => String(v) === text);
      return { ok: true, value: match ?? text };
    }
    case "union": {
      const attempts = (def.options ?? []).map((option) => coerceText(text, option));
      for (const attempt of attempts) {
        if (attempt.ok && schema.safeParse(attempt.value).success) return attempt;
      }
      return attempts.find((a) => a.ok) ?? { ok: true, value: text };
    }
    case "any":
    case "unknown":
      try {
        return { ok: true, value: JSON.parse(text) };
      } catch {
        return { ok: true, value: text };
      }
    default:
      return { ok: true, value: text };
  }
}

const ARTICLE: Record<string, string> = {
  number: "a number",
  int: "a whole number",
  bigint: "a whole number",
  boolean: "a boolean",
  string: "a string",
  array: "an array",
  object: "an object",
  date: "a date",
};

/** What a zod issue expected, phrased for a person: "expected a number". */
export function describeExpectation(issue: {
  code: string;
  message: string;
  expected?: unknown;
}): string {
  if (issue.code === "invalid_type" && typeof issue.expected === "string") {
    return `expected ${ARTICLE[issue.expected] ?? issue.expected}`;
  }
  return issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
}

/** A value as it appears in a problem line: `"abc"`, `42`, `nothing`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "bigint") return `${value}n`;
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

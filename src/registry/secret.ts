/**
 * Secret config values (DESIGN.md §9): a key whose schema is wrapped in `secret()` or whose name
 * looks secret (`/token|secret|password|passw|key|credential/i`) is shown as `"[redacted]"` on
 * every surface — the API, the dashboard, log fields, the live stream, config error lines.
 * The daemon itself still gets the real value in `ctx.config`.
 */
import { type ZodType, z } from "zod";

/** What a secret value is shown as. */
export const REDACTED = "[redacted]";

/** Key names treated as secret whatever their schema. */
export const SECRET_KEY_PATTERN = /token|secret|password|passw|key|credential/i;

const secrets = z.registry<{ secret: true }>();

/**
 * Marks a config schema as secret: its value is never shown, whatever the key is called.
 * `config: z.object({ dsn: secret(z.string()) })`.
 */
export function secret<T extends ZodType>(schema: T): T {
  secrets.add(schema, { secret: true });
  return schema;
}

interface SchemaDef {
  type?: string;
  innerType?: ZodType;
  in?: ZodType;
  out?: ZodType;
  shape?: Record<string, ZodType>;
}

const defOf = (schema: ZodType | undefined): SchemaDef | undefined =>
  (schema as { _zod?: { def?: SchemaDef } } | undefined)?._zod?.def;

/** Whether `schema` or any wrapper around it (optional, default, pipe…) was marked `secret()`. */
export function isSecretSchema(schema: ZodType | undefined): boolean {
  for (let s = schema, depth = 0; s !== undefined && depth < 16; depth++) {
    if (secrets.has(s)) return true;
    const def = defOf(s);
    s = def?.innerType ?? def?.in;
  }
  return false;
}

/** The object shape behind `schema` (through optional/default/pipe wrappers), if any. */
function shapeOf(schema: ZodType | undefined): Record<string, ZodType> | undefined {
  for (let s = schema, depth = 0; s !== undefined && depth < 16; depth++) {
    const def = defOf(s);
    if (def?.shape) return def.shape;
    s = def?.innerType ?? def?.in;
  }
  return undefined;
}

/** Whether the value under `key` (with its schema, when known) must not be shown. */
export function isSecretKey(key: string, schema?: ZodType): boolean {
  return SECRET_KEY_PATTERN.test(key) || isSecretSchema(schema);
}

/**
 * A copy of `values` with every secret value replaced by {@link REDACTED}, nested objects
 * included. `schema` (the daemon's config schema) adds the keys marked `secret()`.
 */
export function redactConfig(
  values: Readonly<Record<string, unknown>>,
  schema?: ZodType,
): Record<string, unknown> {
  const shape = shapeOf(schema);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    const fieldSchema = shape?.[key];
    if (isSecretKey(key, fieldSchema) && value !== undefined && value !== null) out[key] = REDACTED;
    else if (isPlainObject(value)) out[key] = redactConfig(value, fieldSchema);
    else out[key] = value;
  }
  return out;
}

/** Log fields with secret-looking keys redacted (no schema: by name only); same object if none. */
export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(fields)) {
    if (SECRET_KEY_PATTERN.test(key) || isPlainObject(value)) return redactConfig(fields);
  }
  return fields;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Small readers of request bodies that answer TEI's 422 (Validation) naming the field at fault. */
import { validation } from "../errors.js";

export function object(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw validation("the request body must be a JSON object");
  return body as Record<string, unknown>;
}

export function bool(o: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = o[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "boolean") throw validation(`\`${key}\` must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

export function string(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== "string") throw validation(`\`${key}\` must be a string${v === undefined ? " (missing field)" : `, got ${JSON.stringify(v).slice(0, 80)}`}`);
  return v;
}

/** Only right truncation is implemented (TEI's default). */
export function truncationDirection(o: Record<string, unknown>): void {
  const v = o.truncation_direction;
  if (v === undefined || v === null || v === "Right" || v === "right") return;
  throw validation(`\`truncation_direction\` ${JSON.stringify(v)} is not supported; only "Right"`);
}

/** Rejects fields the route does not know (a typo would otherwise be silently ignored). */
export function known(o: Record<string, unknown>, keys: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw validation(`${where}: unknown field \`${k}\`; expected ${keys.map((x) => `\`${x}\``).join(", ")}`);
}

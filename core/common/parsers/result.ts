/**
 * Parsers never throw on bad input: they return a typed error carrying a short snippet of what was received, so
 * the operator sees "truncated JSON from rbd mirror pool status" with the text, not a stack trace.
 */
import type { z } from 'zod';
import { redactText } from '../redact';

export interface ParseError {
  kind: 'empty' | 'invalid-json' | 'schema';
  /** What was being parsed, e.g. `rbd mirror pool status`. */
  what: string;
  message: string;
  /** First and last characters of the input (never more than ~400 characters). */
  snippet: string;
  /** Schema problems as `path: message` lines. */
  issues?: string[];
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ParseError };

export function snippetOf(raw: string, max = 400): string {
  // A snippet is shown and logged: never let a secret (`mirror pool info --all` prints peers' cephx keys) ride along.
  const text = redactText(raw);
  if (text.length <= max) return text;
  const half = Math.floor(max / 2);
  return `${text.slice(0, half)} … [${text.length - max} chars] … ${text.slice(-half)}`;
}

/**
 * JSON.parse with tolerance for noise some CLIs print before the document (deprecation warnings, the
 * "WARNING: ..." banner of sudo-wrapped tools): when the text does not parse, retry from the first line that
 * starts with `{` or `[`.
 */
export function parseJsonText(text: string, what: string): ParseResult<unknown> {
  const trimmed = text.trim();
  if (trimmed === '')
    return { ok: false, error: { kind: 'empty', what, message: `${what}: empty output`, snippet: '' } };
  const first = tryJson(trimmed);
  if (first.ok) return first;
  const m = /^[[{]/m.exec(trimmed);
  if (m && m.index > 0) {
    const second = tryJson(trimmed.slice(m.index));
    if (second.ok) return second;
  }
  return {
    ok: false,
    error: {
      kind: 'invalid-json',
      what,
      message: `${what}: not valid JSON (${first.message})`,
      snippet: snippetOf(trimmed),
    },
  };
}

function tryJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}

/** Parses text as JSON then validates with a (loose) zod schema. */
export function parseWith<S extends z.ZodType>(schema: S, text: string, what: string): ParseResult<z.output<S>> {
  const j = parseJsonText(text, what);
  if (!j.ok) return j;
  return validateWith(schema, j.value, what, text);
}

export function validateWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  text = '',
): ParseResult<z.output<S>> {
  const r = schema.safeParse(value);
  if (r.success) return { ok: true, value: r.data };
  const issues = r.error.issues.slice(0, 20).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  return {
    ok: false,
    error: {
      kind: 'schema',
      what,
      message: `${what}: unexpected shape (${issues[0] ?? 'invalid'})`,
      snippet: snippetOf(text || safeStringify(value)),
      issues,
    },
  };
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return String(v);
  }
}

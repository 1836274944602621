/**
 * A secret value (a bootstrap token, a cloud password) that cannot leak by accident: it serialises as
 * "[redacted]" through JSON, string conversion and template literals, and its value is only reachable through
 * `reveal()`, which the engine calls in exactly one place: when it writes the value to a command's stdin.
 */
export const REDACTED = '[redacted]';

const secretValues = new WeakMap<Secret, string>();

export class Secret {
  /** A short label for the journal ("bootstrap token of site-a"), never the value. */
  readonly label: string;
  constructor(value: string, label = 'secret') {
    secretValues.set(this, value);
    this.label = label;
  }
  /** The value itself. Only for stdin of a command (engine) and for the redaction scrubber. */
  reveal(): string {
    return secretValues.get(this) ?? '';
  }
  get length(): number {
    return this.reveal().length;
  }
  toJSON(): string {
    return REDACTED;
  }
  toString(): string {
    return REDACTED;
  }
  [Symbol.toPrimitive](): string {
    return REDACTED;
  }
}

export function isSecret(v: unknown): v is Secret {
  return v instanceof Secret;
}

/**
 * Replaces every occurrence of each secret value (and its trimmed form, since CLIs add a newline) in a text.
 * The journal runs every record through this as a second line of defence behind the type.
 */
export function scrub(text: string, secrets: Iterable<Secret>): string {
  let out = text;
  for (const s of secrets) {
    const v = s.reveal();
    for (const needle of new Set([v, v.trim()])) {
      if (needle.length >= 4) out = out.split(needle).join(REDACTED);
    }
  }
  return out;
}

/**
 * The ONE function that turns an argv into the single command line ssh2's `exec` sends. The remote side runs it
 * through the login user's shell (POSIX sh family), so every element is single-quoted and embedded single
 * quotes become `'\''`. Nothing else in the code base may build a remote command line.
 *
 * NUL cannot be carried by an exec request; it is rejected rather than silently truncated.
 */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new QuoteError('empty argv');
  return argv.map(quoteArg).join(' ');
}

export function quoteArg(arg: string): string {
  if (arg.includes('\0')) throw new QuoteError('argument contains a NUL byte');
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

export class QuoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuoteError';
  }
}

/**
 * The same command line for people to read (plans, live output, "open a terminal here"): words made only of
 * characters no POSIX shell treats specially stay bare, everything else is quoted exactly as `quoteArg` does, so
 * the line pasted into a shell runs the same argv.
 */
export function displayArgv(argv: readonly string[]): string {
  // A bare `X=1` in first place would be an assignment, not the command: quoted there.
  return argv
    .map((a, i) =>
      /^[A-Za-z0-9_@%+:,./-]+$/.test(a) || (i > 0 && /^[A-Za-z0-9_@%+=:,./-]+$/.test(a)) ? a : quoteArg(a),
    )
    .join(' ');
}

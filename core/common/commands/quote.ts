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

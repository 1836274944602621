/** Errors the engine and steps raise. Each carries evidence for the journal. */

/** A step found the world not as required; stops the run with the evidence. */
export class StepFailedError extends Error {
  readonly evidence: string;
  constructor(message: string, evidence = '', options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StepFailedError';
    this.evidence = evidence;
  }
}

/** A command exited with a code the step did not accept. */
export class CommandFailedError extends StepFailedError {
  readonly exitCode: number | null;
  constructor(host: string, argv: string[], exitCode: number | null, stderr: string) {
    super(`command failed on ${host} (exit ${exitCode ?? 'none'}): ${argv.slice(0, 8).join(' ')}`, stderr.slice(-4000));
    this.name = 'CommandFailedError';
    this.exitCode = exitCode;
  }
}

/** The connection broke or the command timed out: whether it ran is unknown, so verify before anything else. */
export class TransportError extends StepFailedError {
  /** The host whose connection broke (when known). */
  readonly host?: string;
  /** The purpose of the command that broke: only an 'execute' command leaves a change in doubt. */
  readonly purpose?: string;
  /** The argv that was in flight (shown to the operator when the change is in doubt). */
  readonly argv?: string[];
  constructor(
    message: string,
    evidence = '',
    options?: { cause?: unknown; host?: string; purpose?: string; argv?: string[] },
  ) {
    super(message, evidence, options);
    this.name = 'TransportError';
    if (options?.host !== undefined) this.host = options.host;
    if (options?.purpose !== undefined) this.purpose = options.purpose;
    if (options?.argv !== undefined) this.argv = options.argv;
  }
}

/** Bad operator input (wrong typed confirmation, skip without reason, unknown step). Nothing is recorded. */
export class WizardInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WizardInputError';
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

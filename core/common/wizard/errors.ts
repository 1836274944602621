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
  constructor(message: string, evidence = '', options?: { cause?: unknown }) {
    super(message, evidence, options);
    this.name = 'TransportError';
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

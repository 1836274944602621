import { describe, expect, it } from 'vitest';
import { CommandFailedError } from '../../errors';
import type { StepContext } from '../../types';
import { cloudAction } from './observe';
import type { MigrationParams } from './params';

/** Only `run` is used by cloudAction: a context whose run fails like the openstack CLI does. */
function ctxFailingWith(stderr: string): { ctx: StepContext<MigrationParams>; calls: string[][] } {
  const calls: string[][] = [];
  const ctx = {
    run: (host: string, argv: string[]) => {
      calls.push(argv);
      return Promise.reject(new CommandFailedError(host, argv, 1, stderr));
    },
  } as unknown as StepContext<MigrationParams>;
  return { ctx, calls };
}

describe('cloudAction', () => {
  it('leaves an HTTP 409 (the request already in flight before a crash) to the wait and verify', async () => {
    const { ctx, calls } = ctxFailingWith(
      "Cannot 'stop' instance 0b5c... while it is in task_state powering-off (HTTP 409) (Request-ID: req-1)",
    );
    await expect(cloudAction(ctx, 'ctl', ['openstack', 'server', 'stop', 'x'])).resolves.toBeUndefined();
    expect(calls).toHaveLength(1);
  });

  it('fails on any other error', async () => {
    const { ctx } = ctxFailingWith('No server with a name or ID of x exists. (HTTP 404)');
    await expect(cloudAction(ctx, 'ctl', ['openstack', 'server', 'stop', 'x'])).rejects.toBeInstanceOf(
      CommandFailedError,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { CommandFailedError } from '../../errors';
import type { StepContext } from '../../types';
import { cloudAction, parseInfoMany, rbdInfos } from './observe';
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

describe('rbdInfos (batched rbd info)', () => {
  const end = { cluster: 'b', host: 'b-mon', target: { conf: '/etc/ceph/b.conf', sudo: true } } as never;
  const info = (name: string, primary: boolean) =>
    JSON.stringify({
      name,
      id: 'x',
      size: 1,
      features: ['layering'],
      mirroring: { mode: 'journal', state: 'enabled', global_id: 'g', primary },
    });

  it('reads many images per exec, one sudo around a fixed script, and tells missing from failed', async () => {
    const calls: string[][] = [];
    const ctx = {
      run: (_host: string, argv: string[]) => {
        calls.push(argv);
        const specs = argv.slice(7 + Number(argv[6])); // sudo -n bash -c SCRIPT $0 N base… specs…
        const stdout = specs
          .map((s) => (s.endsWith('/gone') ? `2\t${s}\t` : `0\t${s}\t${info(s.split('/')[1] ?? '', true)}`))
          .join('\n');
        return Promise.resolve({ exitCode: 0, stdout: `${stdout}\n`, stderr: '' });
      },
    } as unknown as StepContext<MigrationParams>;
    const images = [
      ...Array.from({ length: 37 }, (_, k) => ({ pool: 'vms', name: `i${k}` })),
      { pool: 'vms', name: 'gone' },
    ];
    const m = await rbdInfos(ctx, end, images);
    expect(m.size).toBe(38);
    expect(m.get('vms/gone')).toBeNull();
    expect(m.get('vms/i3')?.mirroring?.primary).toBe(true);
    // 38 images: 4 execs of at most 16 (not 38 execs).
    expect(calls.length).toBeLessThanOrEqual(4);
    for (const c of calls) {
      expect(c.slice(0, 3)).toEqual(['sudo', '-n', 'bash']);
      expect(c.filter((a) => a === 'sudo')).toHaveLength(1);
      expect(c[3]).toBe('-c');
    }
  });

  it('fails the step on an image that errors other than ENOENT, or is not answered', async () => {
    const ctx = (line: (s: string) => string) =>
      ({
        run: (_h: string, argv: string[]) =>
          Promise.resolve({
            exitCode: 0,
            stdout: argv
              .slice(7 + Number(argv[6]))
              .map(line)
              .join('\n'),
            stderr: 'rbd: error opening image: (110) Connection timed out',
          }),
      }) as unknown as StepContext<MigrationParams>;
    await expect(
      rbdInfos(
        ctx((s) => `110\t${s}\t`),
        end,
        [{ pool: 'p', name: 'a' }],
      ),
    ).rejects.toThrow(/exit 110/);
    await expect(
      rbdInfos(
        ctx(() => ''),
        end,
        [{ pool: 'p', name: 'a' }],
      ),
    ).rejects.toThrow(/no answer/);
  });

  it('parses exit, spec and output per line', () => {
    const m = parseInfoMany('0\tp/a\t{"x":1}\n2\tp/b\t\ngarbage\n');
    expect(m.get('p/a')).toEqual({ exit: 0, output: '{"x":1}' });
    expect(m.get('p/b')).toEqual({ exit: 2, output: '' });
    expect(m.size).toBe(2);
  });
});

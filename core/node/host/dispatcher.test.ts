import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiErrorException, method, type HandlersOf } from '../../common/contract/index';
import { createDispatcher, type CallContext } from './dispatcher';

const testContract = {
  demo: {
    echo: method<string>()(z.tuple([z.object({ text: z.string().min(1) })])),
    secret: method<null>()(z.tuple([z.object({ passphrase: z.string().min(8) })])),
    fails: method<null>()(z.tuple([])),
    crashes: method<null>()(z.tuple([])),
    nothing: method<null>()(z.tuple([])),
  },
};

const ctx: CallContext = { transport: 'test', clientId: 't1' };

function make(logged: unknown[] = []) {
  const handlers: HandlersOf<typeof testContract, CallContext> = {
    demo: {
      echo: async (_c, a) => a.text.toUpperCase(),
      secret: async () => null,
      fails: async () => {
        throw new ApiErrorException('vault-locked', 'the vault is locked');
      },
      crashes: async () => {
        throw new Error('EACCES /home/op/.ssh/id_ed25519 passphrase=hunter22');
      },
      nothing: async () => undefined as unknown as null,
    },
  };
  return createDispatcher(testContract, handlers, { logError: (ref, ch, err) => logged.push({ ref, ch, err }) });
}

describe('dispatcher', () => {
  it('calls the handler with validated arguments', async () => {
    expect(await make()('demo.echo', [{ text: 'hi' }], ctx)).toEqual({ ok: true, value: 'HI' });
  });

  it('rejects invalid arguments with invalid-argument and does not call the handler', async () => {
    const r = await make()('demo.echo', [{ text: '' }], ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('invalid-argument');
      expect(r.error.message).toContain('argument 0.text');
    }
    const wrongType = await make()('demo.echo', [{ text: 42 }], ctx);
    expect(wrongType.ok || wrongType.error.code).toBe('invalid-argument');
    const extra = await make()('demo.echo', [{ text: 'a' }, 'surplus'], ctx);
    expect(extra.ok || extra.error.code).toBe('invalid-argument');
  });

  it('never echoes the rejected value (it may be a passphrase)', async () => {
    const r = await make()('demo.secret', [{ passphrase: 'short7!' }], ctx);
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toContain('short7!');
  });

  it('reports an unknown channel as not-found', async () => {
    const r = await make()('demo.nope', [], ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'not-found' } });
    const proto = await make()('__proto__.constructor', [], ctx);
    expect(proto).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });

  it('maps ApiErrorException to its code and message', async () => {
    expect(await make()('demo.fails', [], ctx)).toEqual({
      ok: false,
      error: { code: 'vault-locked', message: 'the vault is locked' },
    });
  });

  it('maps unexpected errors to internal with a reference, logging the detail on the host only', async () => {
    const logged: { ref: string }[] = [];
    const r = await make(logged)('demo.crashes', [], ctx);
    expect(r.ok).toBe(false);
    const text = JSON.stringify(r);
    expect(text).not.toContain('hunter22');
    expect(text).not.toContain('id_ed25519');
    expect(text).not.toMatch(/at .*\.ts:\d+/);
    expect(logged).toHaveLength(1);
    if (!r.ok) {
      expect(r.error.code).toBe('internal');
      expect(r.error.message).toContain(logged[0]?.ref ?? 'missing');
    }
  });

  it('turns undefined into null so the result survives JSON and structured clone alike', async () => {
    expect(await make()('demo.nothing', [], ctx)).toEqual({ ok: true, value: null });
  });

  it('refuses to build when a handler is missing', () => {
    const partial = { demo: { echo: async () => 'x' } } as unknown as HandlersOf<typeof testContract, CallContext>;
    expect(() => createDispatcher(testContract, partial)).toThrow(/no handler for demo\.secret/);
  });
});

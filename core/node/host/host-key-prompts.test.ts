import { describe, expect, it } from 'vitest';
import { EventBus } from './events';
import { HostKeyPrompts } from './host-key-prompts';

const q = { hostId: 'mon1', host: '10.0.0.1', port: 22, keyType: 'ssh-ed25519', fingerprint: 'SHA256:abc' };

function setup(timeoutMs?: number) {
  const events = new EventBus();
  const prompts = new HostKeyPrompts(events, timeoutMs);
  const seen: { promptId: string; fingerprint: string }[] = [];
  events.subscribe((e, p) => {
    if (e === 'hostkey.prompt') seen.push(p as { promptId: string; fingerprint: string });
  });
  return { prompts, seen };
}

describe('HostKeyPrompts', () => {
  it('emits a prompt with the fingerprint and resolves with the operator decision', async () => {
    const { prompts, seen } = setup();
    const answer = prompts.decider(q);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.fingerprint).toBe('SHA256:abc');
    expect(prompts.open()).toHaveLength(1);
    prompts.decide(seen[0]?.promptId ?? '', true);
    await expect(answer).resolves.toBe(true);
    expect(prompts.open()).toHaveLength(0);
  });

  it('refuses an answer to an unknown or already answered question', async () => {
    const { prompts, seen } = setup();
    const answer = prompts.decider(q);
    prompts.decide(seen[0]?.promptId ?? '', false);
    await expect(answer).resolves.toBe(false);
    expect(() => prompts.decide(seen[0]?.promptId ?? '', true)).toThrow(/no longer open/);
    expect(() => prompts.decide('made-up', true)).toThrow(/no longer open/);
  });

  it('rejects when nobody answers in time, and on shutdown', async () => {
    const { prompts } = setup(30);
    await expect(prompts.decider(q)).resolves.toBe(false);
    const { prompts: p2 } = setup();
    const pending = p2.decider(q);
    p2.rejectAll();
    await expect(pending).resolves.toBe(false);
  });
});

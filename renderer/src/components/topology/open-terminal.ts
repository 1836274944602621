/**
 * "Open a terminal here": an SSH terminal on the finding's host with the look-closer command typed in but not
 * run — the operator reads it and presses Enter. The line is built by the one quoting function.
 */
import { quoteArgv } from '../../../../core/common/commands/quote';
import type { SuggestedCommand } from '../../../../core/common/topology/health/finding';
import { api, call } from '../../api';
import { useNavStore } from '../../stores/nav';
import { useTerminalsStore } from '../../stores/terminals';

export async function openTerminalWith(cmd: SuggestedCommand): Promise<void> {
  await openTerminalTyped(cmd.hostId, quoteArgv(cmd.argv));
}

/** The same with a line already built (a wizard's manual step carries it quoted by the runbook). */
export async function openTerminalTyped(hostId: string, line: string): Promise<void> {
  const terminals = useTerminalsStore();
  const tab = await terminals.open({ kind: 'ssh', hostId });
  if (!tab) throw new Error(terminals.error ?? 'terminal did not open');
  useNavStore().go('terminals');
  // Give the remote shell a moment to print its prompt so the typed line lands after it.
  await new Promise((r) => setTimeout(r, 400));
  await call(api.terminal.write(tab.id, line));
}

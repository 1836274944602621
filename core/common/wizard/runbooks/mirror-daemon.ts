/**
 * How a wizard starts, stops and checks one site's rbd-mirror daemon: three argvs on that site's host, because how
 * the daemon runs is deployment-specific (systemd units, cephadm, containers, the lab's pid files).
 */
import { z } from 'zod';

/** One command as an argv (quoted by the one quoting function when sent). */
export const argvSchema = z.array(z.string().min(1)).min(1);
const argv = argvSchema;

export const mirrorDaemonSchema = z.object({
  start: argv,
  stop: argv,
  /** Exits 0 while the daemon runs, non-zero when it does not. */
  isRunning: argv,
});
export type MirrorDaemon = z.infer<typeof mirrorDaemonSchema>;

/** systemd units as packaged by Debian/Ubuntu/RHEL: `ceph-rbd-mirror@ID.service`. */
export function systemdMirrorDaemon(id: string): MirrorDaemon {
  const unit = `ceph-rbd-mirror@${id}.service`;
  return {
    start: ['sudo', '-n', 'systemctl', 'enable', '--now', unit],
    stop: ['sudo', '-n', 'systemctl', 'disable', '--now', unit],
    isRunning: ['systemctl', 'is-active', '--quiet', unit],
  };
}

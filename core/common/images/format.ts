/**
 * Format check: the first bytes of an image's data, read from its RBD snapshot on the cluster's mon host, against
 * the declared `disk_format`. A qcow2 file uploaded as raw is cloned as-is by Nova/Cinder (RBD COW clones only
 * work for raw) and the guest sees a qcow2 header instead of a partition table: it does not boot, silently
 * (operator-pitfalls.md 10).
 *
 * One exec per (cluster, pool): a small Python program runs `rbd export --export-format 1 POOL/ID@snap -` for each
 * image, keeps the first 512 bytes and kills the export (nothing else is read).
 */
import { rbdBase } from '../commands/rbd';
import { validateImageName, validatePoolName, validateSnapName, type CephTarget } from '../commands/ceph';
import type { DetectedFormat, FormatCheck } from './model';

/** Magic numbers of the formats qemu-img knows and operators upload by mistake. */
export function detectFormat(hex: string): DetectedFormat {
  const h = hex.toLowerCase();
  if (h.startsWith('514649fb')) return 'qcow2';
  if (h.startsWith('4b444d56') || h.startsWith('23204469736b2044')) return 'vmdk';
  if (h.startsWith('7668647866696c65')) return 'vhdx';
  // VDI: "<<< " text then the signature 0xbeda107f at offset 64.
  if (h.length >= 136 && h.slice(128, 136) === '7f10dabe') return 'vdi';
  return h.length > 0 ? 'raw' : 'unknown';
}

export const HEAD_PROBE_SCRIPT = String.raw`
import json, subprocess, sys
spec = json.loads(sys.argv[1])
out = {}
for s in spec["specs"]:
    try:
        p = subprocess.Popen(spec["base"] + ["export", "--no-progress", "--export-format", "1", s, "-"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        data = b""
        while len(data) < 512:
            chunk = p.stdout.read(512 - len(data))
            if not chunk: break
            data += chunk
        if len(data) >= 512:
            p.kill()
            p.wait()
            out[s] = {"head": data.hex(), "error": None}
        else:
            err = p.stderr.read().decode(errors="replace")[-400:]
            rc = p.wait()
            out[s] = {"head": data.hex() if rc == 0 else None, "error": None if rc == 0 else "exit %d: %s" % (rc, err.strip())}
    except Exception as e:
        out[s] = {"head": None, "error": "%s: %s" % (type(e).__name__, e)}
sys.stdout.write(json.dumps(out))
`;

/** argv of the header probe for some images of one pool (the snapshot Glance created, `snap` by default). */
export function headProbeArgv(t: CephTarget, pool: string, imageIds: string[], snap = 'snap'): string[] {
  const specs = imageIds.map((id) => `${validatePoolName(pool)}/${validateImageName(id)}@${validateSnapName(snap)}`);
  return [
    ...(t.sudo ? ['sudo', '-n'] : []),
    'python3',
    '-c',
    HEAD_PROBE_SCRIPT,
    JSON.stringify({ base: rbdBase({ ...t, sudo: false }), specs }),
  ];
}

/** Parses the probe's JSON into one FormatCheck per image id. */
export function parseHeadProbe(
  stdout: string,
  where: { cluster: string; pool: string },
  declared: Record<string, string | null>,
): Record<string, FormatCheck> {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch (e) {
    throw new Error(`format probe printed no JSON: ${String(e)}: ${stdout.slice(0, 200)}`, { cause: e });
  }
  const out: Record<string, FormatCheck> = {};
  if (typeof doc !== 'object' || doc === null) return out;
  for (const [spec, v] of Object.entries(doc as Record<string, unknown>)) {
    const id = spec.slice(spec.indexOf('/') + 1, spec.lastIndexOf('@'));
    const r = (v ?? {}) as { head?: unknown; error?: unknown };
    const head = typeof r.head === 'string' ? r.head : null;
    const detected = head !== null ? detectFormat(head) : null;
    const decl = declared[id] ?? null;
    out[id] = {
      declared: decl,
      detected,
      source: `${where.cluster}/${spec}`,
      head: head ? head.slice(0, 32) : null,
      error: typeof r.error === 'string' ? r.error : null,
      mislabelled: decl === 'raw' && detected !== null && detected !== 'raw' && detected !== 'unknown',
    };
  }
  return out;
}

/**
 * TopologyService: the cached topology for a console session. Full discovery rarely, summary refresh often
 * (merged into the last full model), first-seen times for the grace period, lag history for the plot, and the
 * on-demand image lookup (the only per-image calls, and only when an operator opens one image).
 */
import { cephTargetFromRole } from '../../common/commands/ceph';
import { rbdInfo, rbdMirrorImageStatus, rbdSnapLsAll } from '../../common/commands/rbd';
import type {
  ImageDetail,
  ImageSideDetail,
  LagSeries,
  TopologyOverview,
  TopologySnapshot,
  TopologySummary,
} from '../../common/contract/topology';
import type { Inventory } from '../../common/inventory/schema';
import type { CommandRunner } from '../../common/ports';
import { parseMirrorImageStatus } from '../../common/parsers/mirror-pool-status';
import { parseRbdInfo, parseRbdSnapLs } from '../../common/parsers/rbd';
import { glanceMatrix, type GlanceMatrix } from '../../common/topology/glance-matrix';
import { countBySeverity, evaluateHealth, type Finding, type HealthOptions } from '../../common/topology/health/index';
import { ImageIndex, type ImagePage, type ImageQuery } from '../../common/topology/image-index';
import { overviewOf } from '../../common/topology/overview';
import type { TopologyModel } from '../../common/topology/model';
import { buildObserved, discover, observe, type DiscoverOptions, type Observed } from './discover';
import { monHosts } from './discover-cluster';
import { LagHistory } from './history';
import { OpenstackTunnel, type TcpForwarder } from './openstack-tunnel';
import { runParsed } from './run';

export interface TopologyServiceOptions {
  runner: CommandRunner;
  inventory: () => Promise<Inventory | null>;
  now?: () => number;
  health?: Omit<HealthOptions, 'now' | 'firstSeen' | 'previous'>;
  discover?: Partial<Omit<DiscoverOptions, 'runner' | 'inventory'>>;
  secret?: (ref: string) => Promise<string>;
  /** Forwarded channels for the OpenStack REST calls (the SshPool); the token is kept between discoveries. */
  forwarder?: TcpForwarder;
}

export class TopologyNotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopologyNotReadyError';
  }
}

export class TopologyService {
  private model: TopologyModel | null = null;
  private previous: TopologyModel | null = null;
  private findingsCache: Finding[] = [];
  private refreshedAt: number | null = null;
  /** When each image of the model was first seen (grace period of fresh images); images gone are dropped. */
  private firstSeen: Record<string, number> = {};
  private readonly lag = new LagHistory();
  private readonly now: () => number;
  private running: Promise<TopologySnapshot> | null = null;
  private readonly tunnel = new OpenstackTunnel();
  /** Bumped whenever the model or the findings change; the image index is rebuilt lazily for a new version. */
  private version = 0;
  private indexCache: ImageIndex | null = null;

  constructor(private readonly o: TopologyServiceOptions) {
    this.now = o.now ?? Date.now;
  }

  private async inv(): Promise<Inventory> {
    const inv = await this.o.inventory();
    if (!inv) throw new TopologyNotReadyError('no valid inventory loaded');
    return inv;
  }

  /** Full discovery; concurrent callers share the one in flight. */
  async discover(
    opts: {
      sites?: string[];
      openstack?: DiscoverOptions['openstack'];
      cephMethod?: DiscoverOptions['cephMethod'];
    } = {},
  ): Promise<TopologySnapshot> {
    if (this.running) return this.running;
    this.running = this.doDiscover(opts).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async doDiscover(opts: {
    sites?: string[];
    openstack?: DiscoverOptions['openstack'];
    cephMethod?: DiscoverOptions['cephMethod'];
  }): Promise<TopologySnapshot> {
    const inventory = await this.inv();
    const o: DiscoverOptions = {
      ...this.o.discover,
      ...opts,
      runner: this.o.runner,
      inventory,
      now: this.now,
      mode: 'full',
      ...(this.o.secret ? { secret: this.o.secret } : {}),
      ...(this.o.forwarder ? { forwarder: this.o.forwarder, tunnel: this.tunnel } : {}),
    };
    let seen: Observed | null = await observe(o);
    // From here to the swap nothing awaits, so no request can see the service between models. The old model is
    // let go before the new one is built: old model + new observations + new model at once was the host's peak
    // (~110 MiB of live heap at 20k images); now it is the larger of the first two and the last two.
    this.letGoOfModel();
    const m = buildObserved(o, seen);
    seen = null; // the raw observations are garbage once built (health below need only the model)
    const seenAt: Record<string, number> = {};
    for (const i of m.images) seenAt[i.key] = this.firstSeen[i.key] ?? m.generatedAt;
    this.firstSeen = seenAt;
    this.model = m;
    this.refreshedAt = m.generatedAt;
    this.findingsCache = this.evaluate(m);
    this.version++;
    this.lag.record(m);
    return this.snapshot();
  }

  /**
   * Keeps what the health rules need of the current model (syncing images) and drops the rest, right before the
   * next model is built. Its own frame: a reference left in a register of doDiscover's (suspended, resumed) frame
   * kept the whole old model alive through the first rebuild (seen in a heap snapshot: a stack root).
   */
  private letGoOfModel(): void {
    this.previous = this.model ? progressOnly(this.model) : null;
    this.model = null;
    this.indexCache = null;
  }

  /** Summary-only pass (~0.04 s per pool): cluster/pool/daemon state merged into the last full model. */
  async refresh(opts: { sites?: string[] } = {}): Promise<TopologySnapshot> {
    if (!this.model) return this.discover(opts);
    const inventory = await this.inv();
    const s = await discover({
      ...this.o.discover,
      ...opts,
      runner: this.o.runner,
      inventory,
      now: this.now,
      mode: 'summary',
      openstack: 'off',
    });
    const base = this.model;
    const touched = new Set(s.clusters.map((c) => c.name));
    const merged: TopologyModel = {
      ...base,
      sites: base.sites.map(
        (x) =>
          s.sites.find((y) => y.name === x.name && y.clusters.length > 0 && y.clusters.every((c) => touched.has(c))) ??
          x,
      ),
      clusters: base.clusters.map((c) => s.clusters.find((x) => x.name === c.name) ?? c),
      pools: base.pools.map((p) => {
        const n = s.pools.find((x) => x.key === p.key);
        if (!n) return p;
        const { daemonsAsOf, ...rest } = p;
        // Non-verbose status has no daemon list: an empty one here would read as "no daemon" (a false
        // daemon-missing on every pool after each refresh). Keep the full scan's, dated; liveness then comes from
        // the summary's daemon_health (health rules).
        const daemons = n.verbose
          ? { daemons: n.daemons }
          : { daemons: p.daemons, daemonsAsOf: daemonsAsOf ?? base.generatedAt };
        return {
          ...rest,
          ...daemons,
          summary: n.summary,
          peers: n.peers,
          mirrorMode: n.mirrorMode,
          problem: n.problem,
        };
      }),
      problems: [
        ...base.problems.filter(
          (p) => !s.clusters.some((c) => c.name === p.subject || p.subject.startsWith(`${c.name}/`)),
        ),
        ...s.problems,
      ],
    };
    this.model = merged;
    this.refreshedAt = s.generatedAt;
    this.findingsCache = this.evaluate(merged, s.generatedAt);
    this.version++;
    this.lag.recordSummary(s);
    return this.snapshot();
  }

  private evaluate(m: TopologyModel, now = m.generatedAt): Finding[] {
    const opts: HealthOptions = { ...this.o.health, now, firstSeen: this.firstSeen };
    if (this.previous) opts.previous = this.previous;
    return evaluateHealth(m, opts);
  }

  private requireModel(): TopologyModel {
    if (!this.model) throw new TopologyNotReadyError('no topology yet: run discover first');
    return this.model;
  }

  snapshot(): TopologySnapshot {
    const model = this.requireModel();
    return { model, findings: this.findingsCache, counts: countBySeverity(this.findingsCache) };
  }

  private index(): ImageIndex {
    const m = this.requireModel();
    if (this.indexCache?.version !== this.version)
      this.indexCache = new ImageIndex(m, this.findingsCache, this.version, this.indexCache ?? undefined);
    return this.indexCache;
  }

  /** The model without its per-image lists, for the console (the image table pages through `images`). */
  overview(): TopologyOverview {
    const model = this.requireModel();
    return {
      version: this.version,
      model: overviewOf(model),
      findings: this.findingsCache,
      counts: countBySeverity(this.findingsCache),
      stateOptions: this.index().stateOptions,
    };
  }

  /** One window of the image table, filtered and sorted here (see ImageIndex). */
  images(q: ImageQuery = {}): ImagePage {
    return this.index().query(q);
  }

  summary(): TopologySummary {
    const m = this.model;
    return {
      generatedAt: m?.generatedAt ?? null,
      refreshedAt: this.refreshedAt,
      sites: m?.sites ?? [],
      clusters: m?.clusters ?? [],
      pools: m?.pools ?? [],
      problems: m?.problems ?? [],
      images: m?.images.length ?? 0,
      counts: countBySeverity(this.findingsCache),
    };
  }

  findings(filter: { severity?: Finding['severity']; rule?: string; site?: string } = {}): Finding[] {
    return this.findingsCache.filter(
      (f) =>
        (!filter.severity || f.severity === filter.severity) &&
        (!filter.rule || f.rule === filter.rule) &&
        (!filter.site || f.site === filter.site),
    );
  }

  glanceMatrix(): GlanceMatrix {
    return glanceMatrix(this.requireModel());
  }

  history(keys?: string[]): LagSeries[] {
    return this.lag.series(keys);
  }

  /** rbd info + mirror image status + snapshots on every side of one image (3 calls per side, on demand). */
  async image(key: string): Promise<ImageDetail> {
    const m = this.requireModel();
    const img = m.images.find((i) => i.key === key);
    if (!img) throw new TopologyNotReadyError(`no image ${key} in the current topology`);
    const inventory = await this.inv();
    const sides = await Promise.all(img.sides.map((s) => this.side(inventory, s.cluster, s.site, s.pool, img.name)));
    const os = m.openstack;
    const id = img.openstack.id;
    return {
      image: img,
      sides,
      openstack: {
        glance: (id && os?.images.find((g) => g.id === id)) || null,
        volume: (id && os?.volumes.find((v) => v.id === id)) || null,
        server: (id && os?.servers.find((v) => v.id === id)) || null,
      },
      findings: this.findingsCache.filter((f) => f.imageKey === key),
    };
  }

  private async side(
    inv: Inventory,
    cluster: string,
    site: string,
    pool: string,
    name: string,
  ): Promise<ImageSideDetail> {
    const host = monHosts(inv, cluster)[0];
    const out: ImageSideDetail = {
      cluster,
      site,
      hostId: host?.host.id ?? null,
      info: null,
      status: null,
      mirrorSnapshots: [],
      problems: [],
    };
    if (!host) return out;
    const role = host.host.roles.find((r) => r.kind === 'ceph-mon' && r.cluster === cluster);
    const target =
      role?.kind === 'ceph-mon' ? cephTargetFromRole(role, this.o.discover?.cephTimeoutSec ?? 10) : host.target;
    const call = {
      runner: this.o.runner,
      hostId: host.host.id,
      scope: 'pool' as const,
      subject: `${cluster}/${pool}/${name}`,
      timeoutMs: 60_000,
    };
    try {
      const [info, status, snaps] = await Promise.all([
        runParsed(call, rbdInfo(target, pool, name), parseRbdInfo),
        runParsed(call, rbdMirrorImageStatus(target, pool, name), parseMirrorImageStatus),
        runParsed(call, rbdSnapLsAll(target, pool, name), parseRbdSnapLs),
      ]);
      if (info.ok) out.info = info.value;
      else out.problems.push(info.problem);
      if (status.ok) out.status = status.value;
      else out.problems.push(status.problem);
      if (snaps.ok) {
        out.mirrorSnapshots = snaps.value
          .filter((x) => x.namespaceType === 'mirror')
          .map((x) => ({ id: x.id, name: x.name, timestamp: x.timestamp, state: x.mirrorState, complete: x.complete }));
      } else out.problems.push(snaps.problem);
    } catch (e) {
      // A name the validators refuse (odd characters from a cluster) is reported, not run.
      out.problems.push({
        scope: 'pool',
        subject: call.subject,
        hostId: host.host.id,
        code: 'not-configured',
        message: e instanceof Error ? e.message : String(e),
      });
    }
    return out;
  }
}

/**
 * What the health rules read from the previous model: its time and the images that were syncing (to tell slow
 * from stuck). Keeping the whole previous model doubled the host's memory at 20k images, and keeping its other
 * lists (OpenStack's alone ~6 MiB at 20k) held them a scan longer than needed.
 */
function progressOnly(m: TopologyModel): TopologyModel {
  return {
    ...m,
    sites: [],
    clusters: [],
    pools: [],
    problems: [],
    openstack: null,
    images: m.images.filter((i) =>
      i.sides.some(
        (s) =>
          s.syncPercent !== null ||
          s.status === 'syncing' ||
          (s.replay?.kind === 'snapshot' && s.replay.replayState === 'syncing'),
      ),
    ),
  };
}

/**
 * The topology model: what is replicated where, across every site of the inventory, with each RBD image paired
 * with the OpenStack object it belongs to. Plain data only (it crosses the contract and is cached per site).
 */
import type { CephTarget } from '../commands/ceph';
import type { CephDf, CephStatus, OsdPool } from '../parsers/ceph';
import type { ReplayInfo } from '../parsers/description';
import type { Health, MirrorPoolStatus } from '../parsers/mirror-pool-status';
import type { CinderVolume, GlanceImage, GlanceStoreInfo, NovaServer, OpenstackInventory } from '../parsers/openstack';
import type { MirrorPoolInfo, PeerDirection, PoolMirrorMode, RbdListedImage } from '../parsers/rbd';

export type ProblemCode =
  'unreachable' | 'timeout' | 'command-failed' | 'permission-denied' | 'parse-error' | 'not-configured';

/** Why part of the model is missing. Discovery never throws: it records these and carries on. */
export interface DiscoveryProblem {
  scope: 'site' | 'cluster' | 'pool' | 'openstack';
  /** site name, cluster name, `cluster/pool`, or the OpenStack part (images, volumes, …). */
  subject: string;
  hostId: string | null;
  code: ProblemCode;
  message: string;
  argv?: string[];
  stderr?: string;
}

// ---- what discovery observed (input of buildTopology) ----
export interface PoolObservation {
  pool: string;
  info: MirrorPoolInfo | null;
  status: MirrorPoolStatus | null;
  /** false when only the summary was fetched (refresh mode): images[] then is empty by construction. */
  verbose: boolean;
  listing: RbdListedImage[] | null;
  /**
   * What served the per-image data: `py` the pool reader (list calls + headers, no image opened), `cli` the
   * `rbd mirror pool status --verbose` + `rbd ls -l` calls (also the summary pass). Absent in older captures.
   */
  method?: CephMethodUsed;
  /** Why the pool reader was not used (python3-rbd missing, an error, unknown output) when `auto` fell back. */
  fallback?: string;
}
export type CephMethodUsed = 'py' | 'cli';
export interface ClusterObservation {
  cluster: string;
  site: string;
  hostId: string | null;
  target: CephTarget | null;
  reachable: boolean;
  reason: string | null;
  status: CephStatus | null;
  osdPools: OsdPool[] | null;
  df: CephDf | null;
  pools: PoolObservation[];
  problems: DiscoveryProblem[];
  durationMs: number;
}
export interface OpenstackObservation {
  hostId: string | null;
  reachable: boolean;
  reason: string | null;
  inventory: OpenstackInventory | null;
  problems: DiscoveryProblem[];
  durationMs: number;
}

// ---- the model ----
export interface SiteNode {
  name: string;
  role: string;
  reachable: boolean;
  /** Why the site is (partly) unknown: first problem of its clusters. */
  reason: string | null;
  clusters: string[];
}
export interface ClusterNode {
  name: string;
  site: string;
  hostId: string | null;
  target: CephTarget | null;
  reachable: boolean;
  reason: string | null;
  fsid: string | null;
  expectedFsid: string | null;
  health: string | null;
  checks: CephStatus['checks'];
  release: string | null;
  osds: CephStatus['osds'] | null;
  capacity: { totalBytes: number | null; availBytes: number | null } | null;
  rbdMirrorRegistered: number;
  durationMs: number;
}
export interface PeerEdge {
  /** `cluster/pool` of the pool holding this peer. */
  from: string;
  uuid: string;
  direction: PeerDirection;
  /** Ceph site name of the peer as registered. */
  remoteSiteName: string;
  /** The inventory cluster that peer resolves to (by site_name or cluster name), when known. */
  remoteCluster: string | null;
  clientName: string | null;
  mirrorUuid: string | null;
}
export interface DaemonNode {
  cluster: string;
  pool: string;
  serviceId: string;
  instanceId: string | null;
  hostname: string | null;
  version: string | null;
  leader: boolean;
  health: Health;
  callouts: string[];
}
export interface PoolNode {
  key: string;
  cluster: string;
  site: string;
  name: string;
  mirrorMode: PoolMirrorMode;
  siteName: string | null;
  peers: PeerEdge[];
  daemons: DaemonNode[];
  /**
   * When the daemon list was observed: absent = in this pass (verbose status lists daemons). A summary refresh has
   * no daemon list (`mirror pool status` without --verbose prints only the summary), so it keeps the last full
   * scan's list and says so here; liveness then comes from the summary's daemon_health.
   */
  daemonsAsOf?: number;
  summary: Pick<MirrorPoolStatus, 'health' | 'daemonHealth' | 'imageHealth' | 'states'> | null;
  verbose: boolean;
  /** Which path read the pool (see PoolObservation.method); null when unknown. */
  method: CephMethodUsed | null;
  /** Set when the pool reader failed and the CLI calls served the pool instead. */
  fallback: string | null;
  imageCount: number | null;
  mirroredImageCount: number | null;
  stored: number | null;
  /** Set when a call for this pool failed; the rest of the model still stands. */
  problem: string | null;
  glanceStores: string[];
}

export type SideRole = 'primary' | 'non-primary' | 'unknown';
export type ImageMirrorMode = 'journal' | 'snapshot' | 'unknown' | 'none';

export interface ImageSide {
  cluster: string;
  site: string;
  pool: string;
  /** local: from this cluster's own listing/status; peer-view: only seen in another site's `peer_sites`. */
  source: 'local' | 'peer-view';
  present: boolean;
  id: string | null;
  size: number | null;
  parent: { pool: string; image: string; snapshot: string } | null;
  snapshotCount: number;
  mirrored: boolean;
  state: string | null;
  up: boolean | null;
  status: string | null;
  description: string | null;
  text: string | null;
  replay: ReplayInfo | null;
  syncPercent: number | null;
  splitBrain: boolean;
  lastUpdate: string | null;
  role: SideRole;
}

export type OpenstackKind = 'glance-image' | 'cinder-volume' | 'nova-disk' | 'orphan' | 'none';
export interface OpenstackRef {
  kind: OpenstackKind;
  /** For orphans: what the RBD name says it should be. */
  expected: Exclude<OpenstackKind, 'orphan' | 'none'> | null;
  id: string | null;
  name: string | null;
  status: string | null;
  /** false when the OpenStack side was not reachable: the pairing is by name only. */
  verified: boolean;
}

export interface Rpo {
  kind: 'snapshot' | 'journal';
  /** snapshot: now − last mirror snapshot copied to the non-primary (seconds); journal: seconds_until_synced if sane. */
  seconds: number | null;
  entriesBehind: number | null;
  bytesPerSecond: number | null;
  /** Unix seconds of the consistency point (snapshot mode). */
  consistentAt: number | null;
}

export interface ImageNode {
  /** `gid:<global id>` for mirrored images, else `cluster/pool/name`. */
  key: string;
  globalId: string | null;
  name: string;
  pool: string;
  mode: ImageMirrorMode;
  sides: ImageSide[];
  primaries: string[];
  openstack: OpenstackRef;
  rpo: Rpo | null;
}

export interface GlanceStoreNode {
  id: string;
  site: string | null;
  cluster: string | null;
  pool: string | null;
  type: string | null;
  isDefault: boolean;
  /** In the inventory but not reported by Glance, or the other way round. */
  configured: boolean;
  reported: boolean;
}

export interface OpenstackState {
  hostId: string | null;
  reachable: boolean;
  reason: string | null;
  source: 'rest' | 'tunnel' | 'cli' | null;
  errors: Record<string, string>;
  images: GlanceImage[];
  volumes: CinderVolume[];
  servers: NovaServer[];
  stores: GlanceStoreInfo[];
  durationMs: number;
}

export interface TopologyModel {
  generatedAt: number;
  mode: 'full' | 'summary';
  sites: SiteNode[];
  clusters: ClusterNode[];
  pools: PoolNode[];
  images: ImageNode[];
  glanceStores: GlanceStoreNode[];
  openstack: OpenstackState | null;
  problems: DiscoveryProblem[];
  stats: { images: number; sides: number; durationMs: number };
}

export type { OsdPool };

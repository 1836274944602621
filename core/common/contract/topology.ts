/**
 * Domain `topology`: what is replicated where and what is broken. `discover` is the full (verbose, rare) pass;
 * `refresh` the cheap summary-only pass for frequent polling, merged into the last full model; `findings`,
 * `summary`, `glanceMatrix`, `history` read the cached state; `image` looks one image up on every side (rbd info,
 * mirror image status, mirror snapshots) on demand.
 */
import { z } from 'zod';
import type { RbdImageInfo } from '../parsers/rbd';
import type { MirrorImageStatus } from '../parsers/mirror-pool-status';
import type { Finding } from '../topology/health/finding';
import type { DrReadiness } from '../topology/dr-readiness';
import type { GlanceMatrix } from '../topology/glance-matrix';
import { IMAGE_SORT_KEYS, MAX_PAGE, type ImagePage } from '../topology/image-index';
import type { TopologyOverviewModel } from '../topology/overview';
import type { ClusterNode, DiscoveryProblem, ImageNode, PoolNode, SiteNode, TopologyModel } from '../topology/model';
import type { CinderVolume, GlanceImage, NovaServer } from '../parsers/openstack';
import { method } from './define';

export interface TopologySnapshot {
  model: TopologyModel;
  findings: Finding[];
  counts: { error: number; warning: number; info: number };
}

/**
 * What `discover` and `refresh` return to the console: everything but the per-image and per-OpenStack-object
 * lists, which stay on the host (`images` pages through them). `version` changes with every model or findings
 * change, so a view knows when its rows are stale.
 */
export interface TopologyOverview {
  version: number;
  model: TopologyOverviewModel;
  findings: Finding[];
  counts: { error: number; warning: number; info: number };
  stateOptions: string[];
}

export interface TopologySummary {
  generatedAt: number | null;
  refreshedAt: number | null;
  sites: SiteNode[];
  clusters: ClusterNode[];
  pools: PoolNode[];
  problems: DiscoveryProblem[];
  images: number;
  counts: { error: number; warning: number; info: number };
}

export interface MirrorSnapshotInfo {
  id: number | null;
  name: string;
  timestamp: string | null;
  state: string | null;
  complete: boolean | null;
}

export interface ImageSideDetail {
  cluster: string;
  site: string;
  hostId: string | null;
  info: RbdImageInfo | null;
  status: MirrorImageStatus | null;
  mirrorSnapshots: MirrorSnapshotInfo[];
  problems: DiscoveryProblem[];
}

export interface ImageDetail {
  image: ImageNode;
  sides: ImageSideDetail[];
  openstack: { glance: GlanceImage | null; volume: CinderVolume | null; server: NovaServer | null };
  findings: Finding[];
}

export interface LagPoint {
  t: number;
  /** Worst RPO seconds (snapshot mode) among the series' images, null when unknown. */
  rpoSeconds: number | null;
  entriesBehind: number | null;
  syncing: number;
  errors: number;
}
export interface LagSeries {
  /** `cluster/pool` or an image key. */
  key: string;
  points: LagPoint[];
}

const opt = z
  .object({
    sites: z.array(z.string().min(1).max(100)).max(100).optional(),
    openstack: z.enum(['auto', 'tunnel', 'rest', 'cli', 'off']).optional(),
  })
  .optional();

const filterText = z.string().max(200).optional();
const imageQuery = z.object({
  text: filterText,
  state: z.string().max(100).optional(),
  health: z.enum(['', 'error', 'warning', 'info', 'ok']).optional(),
  site: z.string().max(100).optional(),
  kind: z.enum(['', 'glance-image', 'cinder-volume', 'nova-disk', 'orphan', 'none']).optional(),
  sort: z.enum(IMAGE_SORT_KEYS).optional(),
  asc: z.boolean().optional(),
  offset: z.number().int().min(0).max(10_000_000).optional(),
  limit: z.number().int().min(0).max(MAX_PAGE).optional(),
});

export const topologyDomain = {
  discover: method<TopologyOverview>()(z.tuple([opt])),
  refresh: method<TopologyOverview>()(
    z.tuple([z.object({ sites: z.array(z.string().min(1).max(100)).max(100).optional() }).optional()]),
  ),
  summary: method<TopologySummary>()(z.tuple([])),
  /** One window of the image table, filtered and sorted on the host over the last model. */
  images: method<ImagePage>()(z.tuple([imageQuery])),
  findings: method<Finding[]>()(
    z.tuple([
      z
        .object({
          severity: z.enum(['error', 'warning', 'info']).optional(),
          rule: z.string().max(100).optional(),
          site: z.string().max(100).optional(),
        })
        .optional(),
    ]),
  ),
  image: method<ImageDetail>()(z.tuple([z.object({ key: z.string().min(1).max(600) })])),
  glanceMatrix: method<GlanceMatrix>()(z.tuple([])),
  history: method<LagSeries[]>()(
    z.tuple([z.object({ keys: z.array(z.string().max(600)).max(200).optional() }).optional()]),
  ),
  /** DR readiness of the last full discovery (topology/dr-readiness.ts). */
  drReadiness: method<DrReadiness>()(z.tuple([])),
};

/**
 * What the console's views need of a model without its per-image and per-OpenStack-object lists: sites,
 * clusters, pools, peers, daemons, stores and counts. At 20k images the full model is ~40 MiB of JSON; this is a
 * few KB, and the image table pages through `topology.images` instead.
 */
import type { OpenstackState, TopologyModel } from './model';

export interface OpenstackOverview extends Omit<OpenstackState, 'images' | 'volumes' | 'servers'> {
  counts: { images: number; volumes: number; servers: number };
}

export interface TopologyOverviewModel extends Omit<TopologyModel, 'images' | 'openstack'> {
  imageCount: number;
  openstack: OpenstackOverview | null;
}

export function overviewOf(m: TopologyModel): TopologyOverviewModel {
  const { images, openstack, ...rest } = m;
  let os: OpenstackOverview | null = null;
  if (openstack) {
    const { images: gi, volumes, servers, ...o } = openstack;
    os = { ...o, counts: { images: gi.length, volumes: volumes.length, servers: servers.length } };
  }
  return { ...rest, imageCount: images.length, openstack: os };
}

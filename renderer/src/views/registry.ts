/**
 * The console's route table: one line per view.
 *
 * To add a view: create `views/MyThingView.vue` (a component with no required props) and add one line below,
 * `{ id: 'my-thing', title: 'My thing', section: 'Topology', load: () => import('./MyThingView.vue') }`.
 * The left nav groups entries by `section` in the order of SECTIONS, then in the order of this table. Views are
 * loaded lazily; a view's state that must survive switching views belongs in a Pinia store (`stores/x.ts`),
 * because the view component is unmounted when the operator navigates away. (Terminals are the exception: they
 * stay mounted so their scrollback survives, see App.vue.)
 */
import type { Component } from 'vue';

export const SECTIONS = ['Topology', 'Wizards', 'Images', 'Terminals', 'Audit', 'Inventory', 'Vault'] as const;
export type Section = (typeof SECTIONS)[number];

export interface ViewEntry {
  id: string;
  title: string;
  section: Section;
  load: () => Promise<{ default: Component }>;
  /** Keep mounted while hidden (terminals keep their xterm instances and scrollback). */
  keepAlive?: boolean;
}

export const VIEWS: ViewEntry[] = [
  { id: 'topology', title: 'Topology', section: 'Topology', load: () => import('./topology/TopologyView.vue') },
  { id: 'wizards', title: 'Wizards', section: 'Wizards', load: () => import('./wizards/WizardsView.vue') },
  { id: 'images', title: 'Images', section: 'Images', load: () => import('./images/ImagesView.vue') },
  {
    id: 'terminals',
    title: 'Terminals',
    section: 'Terminals',
    load: () => import('./TerminalsView.vue'),
    keepAlive: true,
  },
  { id: 'audit', title: 'Command audit', section: 'Audit', load: () => import('./AuditView.vue') },
  { id: 'inventory', title: 'Inventory', section: 'Inventory', load: () => import('./InventoryView.vue') },
  { id: 'known-hosts', title: 'Known host keys', section: 'Inventory', load: () => import('./KnownHostsView.vue') },
  { id: 'vault', title: 'Vault', section: 'Vault', load: () => import('./VaultView.vue') },
];

/**
 * Builds `window.api` from the contract's channel list: every method is an ipcRenderer.invoke, events arrive
 * on `event:<name>`. Nothing else from Electron or Node reaches the renderer.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { contract, listChannels, type Api, type ApiEventName, type ApiEvents } from '../../core/common/contract/index';

const api: Record<string, Record<string, (...args: unknown[]) => Promise<unknown>>> = {};
for (const { domain, name, channel } of listChannels(contract)) {
  (api[domain] ??= {})[name] = (...args: unknown[]) => ipcRenderer.invoke(channel, ...args);
}

const events: Api['events'] = {
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    const wrapped = (_e: IpcRendererEvent, payload: ApiEvents[E]) => listener(payload);
    ipcRenderer.on(`event:${event}`, wrapped);
    return () => ipcRenderer.removeListener(`event:${event}`, wrapped);
  },
};

contextBridge.exposeInMainWorld('api', { ...api, events });

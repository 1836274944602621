/**
 * Electron main: lifecycle, one locked-down window, and the contract on ipcMain. Everything else is core.
 */
import { app, BrowserWindow, ipcMain, session, type IpcMainInvokeEvent } from 'electron';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { contract, listChannels } from '../../core/common/contract/index';
import { isOurRendererUrl } from '../../core/node/host/sender';
import { startCore } from '../../core/node/host/start-core';
import { safeStorageKeyStore } from './key-store';

const rendererIndex = fileURLToPath(new URL('../renderer/index.html', import.meta.url));
const rendererUrl = pathToFileURL(rendererIndex).href;
const preload = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));

// No remote content, ever: the app only talks to its own main process.
app.enableSandbox();

function isOurRenderer(event: IpcMainInvokeEvent): boolean {
  return isOurRendererUrl(event.senderFrame?.url, rendererUrl);
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    backgroundColor: '#0f1318',
    title: 'Switchyard',
    show: false,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      spellcheck: false,
      // Middle-click would otherwise open links in new windows, bypassing the open handler's intent.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  win.once('ready-to-show', () => win.show());
  // The console never opens windows or external links (an operator copies a URL if they need one).
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (e, url) => {
    if (url !== win.webContents.getURL()) e.preventDefault();
  });
  win.webContents.on('will-attach-webview', (e) => e.preventDefault());
  void win.loadFile(rendererIndex);
  return win;
}

async function main(): Promise<void> {
  await app.whenReady();
  // Deny every permission request (camera, notifications, …): an ops console needs none.
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  session.defaultSession.setPermissionCheckHandler(() => false);

  const runtime = await startCore({
    mode: 'electron',
    version: app.getVersion(),
    vaultKeyStore: safeStorageKeyStore(join(app.getPath('userData'), 'vault-key.bin')),
  });

  for (const { channel } of listChannels(contract)) {
    ipcMain.handle(channel, async (event, ...args: unknown[]) => {
      if (!isOurRenderer(event)) return { ok: false, error: { code: 'invalid-argument', message: 'unknown sender' } };
      return runtime.dispatch(channel, args, { transport: 'electron', clientId: `wc-${event.sender.id}` });
    });
  }

  const windows = new Set<BrowserWindow>();
  runtime.events.subscribe((event, payload) => {
    for (const w of windows) if (!w.isDestroyed()) w.webContents.send(`event:${event}`, payload);
  });
  const open = () => {
    const w = createWindow();
    const clientId = `wc-${w.webContents.id}`;
    windows.add(w);
    w.on('closed', () => {
      windows.delete(w);
      runtime.clientGone(clientId);
    });
  };
  open();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) open();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('before-quit', () => runtime.dispose());
}

main().catch((err: unknown) => {
  console.error('switchyard failed to start:', err);
  app.exit(1);
});

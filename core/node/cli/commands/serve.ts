import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startCore } from '../../host/start-core';
import { packageRoot } from '../../package-root';
import { startLocalHost } from '../../host/local-host';
import type { CliCommand } from '../main';

const HELP = `usage: switchyard serve [--port N] [--bind 127.0.0.1] [--renderer DIR] [--home DIR] [--json]

Starts the local host: the console in your browser, over a WebSocket on loopback. Prints the URL to open; it
carries a one-time token in its #fragment (never sent to the server in a request line, never logged). Anyone
without the URL cannot use the API, even from this machine. Ctrl-C stops it.`;

export const command: CliCommand = {
  name: 'serve',
  summary: 'start the console in browser mode (local host on 127.0.0.1) and print its URL',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        port: { type: 'string' },
        bind: { type: 'string' },
        renderer: { type: 'string' },
        home: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      console.error(`switchyard serve: --port must be 0..65535, got ${values.port ?? ''}`);
      return 2;
    }
    const started = performance.now();
    const runtime = await startCore({ mode: 'browser', ...(values.home ? { home: values.home } : {}) });
    const rendererDir = resolve(values.renderer ?? join(packageRoot(), 'out', 'renderer'));
    const host = await startLocalHost({
      dispatch: runtime.dispatch,
      events: runtime.events,
      rendererDir,
      port,
      ...(values.bind ? { bindAddress: values.bind } : {}),
      onClientGone: (id) => runtime.clientGone(id),
    });
    const readyMs = Math.round(performance.now() - started);
    if (values.json) console.log(JSON.stringify({ url: host.url, origin: host.origin, port: host.port, readyMs }));
    else
      console.log(
        `Switchyard is serving on ${host.origin} (ready in ${readyMs} ms)\nOpen this URL in a browser:\n\n  ${host.url}\n\nCtrl-C stops it.`,
      );
    await new Promise<void>((done) => {
      const stop = () => {
        runtime.dispose();
        void host.close().then(done);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};

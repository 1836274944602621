/**
 * CLI entry: `switchyard <command> ...`. Each command lives in ./commands/<name>.ts and registers itself in the
 * table below; commands print human text by default and JSON with --json.
 */
export interface CliCommand {
  name: string;
  summary: string;
  run(args: string[]): Promise<number>;
}

const loaders: Record<string, () => Promise<{ command: CliCommand }>> = {};

/** Adds a command loader; modules are loaded lazily so `switchyard --help` stays fast. */
export function registerCommand(name: string, loader: () => Promise<{ command: CliCommand }>): void {
  loaders[name] = loader;
}

export async function main(argv: string[]): Promise<number> {
  await import('./commands/index');
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const lines = await Promise.all(
      Object.entries(loaders).map(async ([n, l]) => `  ${n.padEnd(10)} ${(await l()).command.summary}`),
    );
    console.log(`usage: switchyard <command> [options]\n\ncommands:\n${lines.join('\n')}`);
    return name ? 0 : 2;
  }
  const loader = loaders[name];
  if (!loader) {
    console.error(`switchyard: unknown command '${name}' (try --help)`);
    return 2;
  }
  const { command } = await loader();
  return command.run(rest);
}

import { readFile } from 'node:fs/promises';

/** Reads a line from the terminal without echoing it. Only on a TTY; never logs what was typed. */
export function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return Promise.reject(new Error('not a terminal'));
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err: Error | null) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003') return done(new Error('cancelled'));
        if (ch === '\u0004' && value === '') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** A secret from a file: the whole content, minus one trailing newline (as `echo pw > file` leaves it). */
export async function readSecretFile(path: string): Promise<string> {
  const text = await readFile(path, 'utf8');
  return text.replace(/\r?\n$/, '');
}

export interface PassphraseSource {
  passphraseFile?: string;
  /** Ask twice on a terminal (new passphrases). */
  confirm?: boolean;
  prompt?: string;
  env?: string;
}

/**
 * The vault passphrase for scripts and people: SWITCHYARD_VAULT_PASSPHRASE, then --passphrase-file, then a
 * no-echo prompt on a terminal. Never an argv value (argv is visible to every local user in /proc).
 */
export async function getPassphrase(o: PassphraseSource = {}): Promise<string> {
  const envName = o.env ?? 'SWITCHYARD_VAULT_PASSPHRASE';
  const fromEnv = process.env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (o.passphraseFile !== undefined) return readSecretFile(o.passphraseFile);
  if (!process.stdin.isTTY)
    throw new Error(`no vault passphrase: set ${envName}, pass --passphrase-file FILE, or run on a terminal`);
  const first = await readHidden(o.prompt ?? 'Vault passphrase: ');
  if (o.confirm) {
    const again = await readHidden('Repeat passphrase: ');
    if (again !== first) throw new Error('the passphrases do not match');
  }
  return first;
}

/** Reads all of stdin (for `--value-stdin`). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

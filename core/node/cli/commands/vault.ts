import { parseArgs } from 'node:util';
import { ApiErrorException } from '../../../common/contract/define';
import type { SecretKind } from '../../../common/contract/foundation';
import { inspectPrivateKey } from '../../vault/ssh-key';
import { Vault } from '../../vault/vault';
import { dataPaths, resolveHome } from '../../paths';
import type { CliCommand } from '../main';
import { getPassphrase, readHidden, readSecretFile, readStdin } from '../secret-input';

const HELP = `usage: switchyard vault <init|status|list|add|remove|change-passphrase> [options]

  init                         create an empty vault (asks the passphrase twice on a terminal)
  status                       whether the vault exists and how many secrets it holds
  list [--json]                secrets: id, kind, label, fingerprint (never values)
  add --kind KIND --label L    KIND: ssh-key | password | cloud-password
      ssh-key:   --file PRIVATE_KEY [--key-passphrase-file F]  (asked on a terminal if the key is encrypted;
                 or SWITCHYARD_KEY_PASSPHRASE)
      passwords: --value-file F | --value-stdin | no-echo prompt on a terminal
  remove ID|LABEL
  change-passphrase [--new-passphrase-file F]  (or SWITCHYARD_VAULT_NEW_PASSPHRASE)

common: --home DIR (default SWITCHYARD_HOME or ~/.switchyard)
        --passphrase-file F (else SWITCHYARD_VAULT_PASSPHRASE, else a no-echo prompt)
Secret values are never accepted as argv values: argv is readable by every local user.`;

const KINDS: SecretKind[] = ['ssh-key', 'password', 'cloud-password'];

export const command: CliCommand = {
  name: 'vault',
  summary: 'create the encrypted vault and add, list or remove secrets',
  async run(args) {
    const [sub, ...rest] = args;
    if (!sub || sub === '--help' || sub === '-h') {
      console.log(HELP);
      return sub ? 0 : 2;
    }
    try {
      return await runSub(sub, rest);
    } catch (err) {
      const msg =
        err instanceof ApiErrorException
          ? `${err.code}: ${err.message}`
          : err instanceof Error
            ? err.message
            : String(err);
      console.error(`switchyard vault ${sub}: ${msg}`);
      return err instanceof ApiErrorException && err.code === 'invalid-argument' ? 2 : 1;
    }
  },
};

async function runSub(sub: string, rest: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      home: { type: 'string' },
      'passphrase-file': { type: 'string' },
      'new-passphrase-file': { type: 'string' },
      kind: { type: 'string' },
      label: { type: 'string' },
      file: { type: 'string' },
      'value-file': { type: 'string' },
      'value-stdin': { type: 'boolean' },
      'key-passphrase-file': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const vault = new Vault({ path: dataPaths(resolveHome(values.home)).vault });
  const pf = values['passphrase-file'];
  const unlock = async () =>
    vault.unlock({ passphrase: await getPassphrase(pf === undefined ? {} : { passphraseFile: pf }) });
  switch (sub) {
    case 'init': {
      const s = await vault.init({
        passphrase: await getPassphrase({
          ...(pf === undefined ? {} : { passphraseFile: pf }),
          confirm: true,
          prompt: 'New vault passphrase: ',
        }),
      });
      console.log(`created ${s.path}`);
      return 0;
    }
    case 'status': {
      const s = await vault.status();
      console.log(
        values.json
          ? JSON.stringify(s)
          : `${s.path}: ${s.exists ? 'exists' : 'not created yet (switchyard vault init)'}`,
      );
      return 0;
    }
    case 'list': {
      await unlock();
      const list = vault.list();
      if (values.json) console.log(JSON.stringify(list));
      else
        for (const m of list) console.log([m.id, m.kind.padEnd(14), m.label, m.fingerprint ?? ''].join('  ').trimEnd());
      return 0;
    }
    case 'add': {
      const kind = values.kind as SecretKind | undefined;
      if (!kind || !KINDS.includes(kind))
        throw new ApiErrorException('invalid-argument', `--kind must be one of ${KINDS.join(', ')}`);
      if (!values.label) throw new ApiErrorException('invalid-argument', '--label is required');
      const secret = await readValue(kind, values);
      await unlock();
      const meta = await vault.add({ kind, label: values.label, ...secret });
      console.log(
        values.json
          ? JSON.stringify(meta)
          : `added ${meta.id} (${meta.kind}) ${meta.label}${meta.fingerprint ? ` ${meta.fingerprint}` : ''}`,
      );
      return 0;
    }
    case 'remove': {
      const ref = positionals[0];
      if (!ref) throw new ApiErrorException('invalid-argument', 'which secret? (id or label)');
      await unlock();
      const target = vault.getSecret(ref);
      await vault.remove(target.id);
      console.log(`removed ${target.id} ${target.label}`);
      return 0;
    }
    case 'change-passphrase': {
      const current = await getPassphrase(pf === undefined ? {} : { passphraseFile: pf });
      const npf = values['new-passphrase-file'];
      const next = await getPassphrase({
        env: 'SWITCHYARD_VAULT_NEW_PASSPHRASE',
        confirm: true,
        prompt: 'New vault passphrase: ',
        ...(npf === undefined ? {} : { passphraseFile: npf }),
      });
      await vault.changePassphrase({ current, next });
      console.log('passphrase changed');
      return 0;
    }
    default:
      throw new ApiErrorException(
        'invalid-argument',
        `unknown subcommand '${sub}' (init, status, list, add, remove, change-passphrase)`,
      );
  }
}

async function readValue(
  kind: SecretKind,
  v: { file?: string; 'value-file'?: string; 'value-stdin'?: boolean; 'key-passphrase-file'?: string },
): Promise<{ value: string; keyPassphrase?: string }> {
  if (kind === 'ssh-key') {
    if (!v.file) throw new ApiErrorException('invalid-argument', '--file PRIVATE_KEY is required for ssh keys');
    const value = await readSecretFile(v.file);
    let keyPassphrase: string | undefined;
    if (v['key-passphrase-file']) keyPassphrase = await readSecretFile(v['key-passphrase-file']);
    else if (process.env.SWITCHYARD_KEY_PASSPHRASE) keyPassphrase = process.env.SWITCHYARD_KEY_PASSPHRASE;
    else if (needsPassphrase(value) && process.stdin.isTTY) keyPassphrase = await readHidden('Key passphrase: ');
    return keyPassphrase === undefined ? { value } : { value, keyPassphrase };
  }
  if (v['value-file']) return { value: await readSecretFile(v['value-file']) };
  if (v['value-stdin']) return { value: await readStdin() };
  if (process.stdin.isTTY) return { value: await readHidden('Secret value: ') };
  throw new ApiErrorException(
    'invalid-argument',
    'give the value with --value-file F or --value-stdin (never as an argument)',
  );
}

function needsPassphrase(key: string): boolean {
  try {
    return inspectPrivateKey(key).encrypted;
  } catch (err) {
    // inspectPrivateKey throws for an encrypted key without passphrase: that is exactly the case to ask for.
    return err instanceof ApiErrorException && /encrypted/.test(err.message);
  }
}

import { ApiErrorException } from '../../common/contract/define';

/** Maps an ssh2/socket error during connect to a typed error naming the host. */
export function mapConnectError(err: unknown, where: string): ApiErrorException {
  if (err instanceof ApiErrorException) return err;
  const e = err as Error & { level?: string; code?: string };
  const msg = e.message || String(err);
  if (e.level === 'client-timeout')
    return new ApiErrorException('timeout', `${where}: no SSH handshake within the connect timeout`, { cause: err });
  if (e.level === 'client-authentication')
    return new ApiErrorException('auth-failed', `${where}: authentication failed (${msg})`, { cause: err });
  if (e.level === 'client-socket' || (e.code !== undefined && /^E[A-Z]+$/.test(e.code))) {
    return new ApiErrorException('unreachable', `${where}: unreachable (${e.code ?? msg})`, {
      cause: err,
      detail: { errno: e.code ?? null },
    });
  }
  return new ApiErrorException('unreachable', `${where}: SSH connection failed (${msg})`, { cause: err });
}

export function isChannelOpenFailure(err: unknown): boolean {
  return err instanceof Error && /Channel open failure/i.test(err.message);
}

import { parse } from 'yaml';
import { ApiErrorException } from '../../common/contract/define';

/** Cloud names (and their auth URLs) from a clouds.yaml text. Passwords in it are ignored, never returned. */
export function importCloudsYaml(text: string): { clouds: string[]; authUrls: Record<string, string> } {
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    throw new ApiErrorException(
      'parse-error',
      `clouds.yaml: ${(err as Error).message.split('\n')[0] ?? 'invalid YAML'}`,
      { cause: err },
    );
  }
  const clouds = (data as { clouds?: unknown } | null)?.clouds;
  if (clouds === null || typeof clouds !== 'object' || Array.isArray(clouds)) {
    throw new ApiErrorException('parse-error', 'clouds.yaml has no `clouds:` mapping');
  }
  const authUrls: Record<string, string> = {};
  for (const [name, cfg] of Object.entries(clouds as Record<string, unknown>)) {
    const url = (cfg as { auth?: { auth_url?: unknown } } | null)?.auth?.auth_url;
    if (typeof url === 'string') authUrls[name] = url;
  }
  return { clouds: Object.keys(clouds), authUrls };
}

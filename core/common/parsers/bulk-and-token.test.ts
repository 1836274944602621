import { describe, expect, it } from 'vitest';
import { parseMirrorPoolStatus } from './mirror-pool-status';
import { endpointFor, parseKeystoneToken } from './openstack';

describe('mirror pool status at scale', () => {
  it('skips an entry without a name instead of dropping every image of the pool', () => {
    const doc = {
      summary: { health: 'OK', states: { replaying: 2 } },
      images: [
        { name: 'a', global_id: 'g1', state: 'up+replaying', peer_sites: [{ site_name: 'b', mirror_uuids: 'u' }] },
        { global_id: 'g2', state: 'up+replaying' },
        'garbage',
        { name: 'c', peer_sites: 'not a list', daemon_service: { service_id: 4242 } },
      ],
    };
    const r = parseMirrorPoolStatus(JSON.stringify(doc));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.images.map((i) => i.name)).toEqual(['a', 'c']);
    expect(r.value.images[0]?.peers[0]).toMatchObject({ siteName: 'b', mirrorUuids: ['u'] });
    expect(r.value.images[1]).toMatchObject({ peers: [], daemonServiceId: '4242', state: null });
  });
});

describe('keystone token document', () => {
  const secret = `gAAAA${'x'.repeat(40)}`;
  it('reads token, expiry and the catalog; picks the endpoint for the interface', () => {
    const r = parseKeystoneToken(
      JSON.stringify({
        source: 'token',
        token: secret,
        expiresAt: '2026-12-01T20:00:00.000000Z',
        interface: 'internal',
        region: null,
        errors: {},
        catalog: [
          {
            type: 'image',
            endpoints: [
              { interface: 'public', region_id: 'R', url: 'http://pub:9292/' },
              { interface: 'internal', region_id: 'R', url: 'http://int:9292/' },
            ],
          },
        ],
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.expiresAt).toBe(Date.UTC(2026, 11, 1, 20));
    expect(endpointFor(r.value, ['image'])).toBe('http://int:9292');
    expect(endpointFor(r.value, ['compute'])).toBeNull();
  });
  it('never quotes the document in an error (it may hold the token)', () => {
    for (const text of [`{"source":"token","token":"${secret}"`, `[{"token":"${secret}"}]`]) {
      const r = parseKeystoneToken(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(JSON.stringify(r.error)).not.toContain(secret);
    }
    const auth = parseKeystoneToken(JSON.stringify({ source: 'rest', errors: { auth: 'HTTP 401 unauthorized' } }));
    expect(!auth.ok && auth.error.message).toBe('auth: HTTP 401 unauthorized');
  });
});

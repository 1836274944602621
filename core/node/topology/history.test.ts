import { describe, expect, it } from 'vitest';
import { ImageSeries } from './history';

const pt = (t: number, rpo: number | null, behind: number | null = null, syncing = 0): object => ({
  t,
  rpoSeconds: rpo,
  entriesBehind: behind,
  syncing,
  errors: 0,
});

describe('ImageSeries (per-image lag points in flat columns)', () => {
  it('keeps the newest `cap` points per image in order, with nulls', () => {
    const s = new ImageSeries();
    s.resize(3);
    for (let t = 1; t <= 5; t++) s.push('a', t * 1000, t === 2 ? null : t * 10, t === 4 ? 7 : null, t === 5 ? 1 : 0);
    s.push('b', 9000, 1.5, 123_456, 0);
    expect(s.points('a')).toEqual([pt(3000, 30), pt(4000, 40, 7), pt(5000, 50, null, 1)]);
    expect(s.points('b')).toEqual([pt(9000, 1.5, 123_456)]);
    expect(s.points('nope')).toEqual([]);
    expect(s.size).toBe(2);
  });

  it('grows past its first slots, shrinks the ring keeping the newest points, and frees gone images', () => {
    const s = new ImageSeries();
    s.resize(4);
    for (let i = 0; i < 200; i++) for (let t = 1; t <= 4; t++) s.push(`img-${String(i)}`, t, i + t, null, 0);
    expect(s.size).toBe(200);
    expect(s.points('img-150').map((p) => (p as { rpoSeconds: number }).rpoSeconds)).toEqual([151, 152, 153, 154]);
    s.resize(2);
    expect(s.points('img-150').map((p) => (p as { t: number }).t)).toEqual([3, 4]);
    s.push('img-150', 5, 1, null, 0);
    expect(s.points('img-150').map((p) => (p as { t: number }).t)).toEqual([4, 5]);
    s.keep(new Set(['img-0', 'img-150']));
    expect(s.size).toBe(2);
    expect(s.points('img-7')).toEqual([]);
    // A freed slot is reused clean: the new image does not inherit the old one's points.
    s.push('new', 10, 2, null, 0);
    expect(s.points('new')).toEqual([pt(10, 2)]);
    expect(s.points('img-0').map((p) => (p as { t: number }).t)).toEqual([3, 4]);
    s.resize(5);
    s.push('img-0', 6, 1, null, 0);
    expect(s.points('img-0').map((p) => (p as { t: number }).t)).toEqual([3, 4, 6]);
  });
});

import { describe, expect, it } from 'vitest';
import { isOurRendererUrl } from './sender';

const ours = 'file:///opt/Switchyard/resources/app.asar/out/renderer/index.html';

describe('isOurRendererUrl', () => {
  it('accepts our renderer, with or without query and fragment', () => {
    expect(isOurRendererUrl(ours, ours)).toBe(true);
    expect(isOurRendererUrl(`${ours}#/vault`, ours)).toBe(true);
    expect(isOurRendererUrl(`${ours}?x=1`, ours)).toBe(true);
  });
  it('refuses anything else', () => {
    expect(isOurRendererUrl(undefined, ours)).toBe(false);
    expect(isOurRendererUrl('', ours)).toBe(false);
    expect(isOurRendererUrl('https://evil.example/index.html', ours)).toBe(false);
    expect(isOurRendererUrl('file:///tmp/index.html', ours)).toBe(false);
    expect(isOurRendererUrl('file:///opt/Switchyard/resources/app.asar/out/renderer/index.html.evil', ours)).toBe(
      false,
    );
    expect(isOurRendererUrl('file://remote-host/opt/Switchyard/resources/app.asar/out/renderer/index.html', ours)).toBe(
      false,
    );
    expect(isOurRendererUrl('data:text/html,hi', ours)).toBe(false);
    expect(isOurRendererUrl('not a url', ours)).toBe(false);
  });
});

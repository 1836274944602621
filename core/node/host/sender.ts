/**
 * Electron's sender check, kept here so it is unit-tested: an IPC call is served only when the calling frame
 * shows our own renderer file (not a page it navigated to, not an iframe of something else). Query and
 * fragment do not matter; scheme, host and path must match exactly.
 */
export function isOurRendererUrl(frameUrl: string | undefined | null, rendererUrl: string): boolean {
  if (!frameUrl) return false;
  let u: URL;
  let r: URL;
  try {
    u = new URL(frameUrl);
    r = new URL(rendererUrl);
  } catch {
    return false;
  }
  return u.protocol === r.protocol && u.host === r.host && u.pathname === r.pathname;
}

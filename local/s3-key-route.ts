/** The Koa context fields this middleware uses. */
interface RouteContext {
  path: string;
}

/**
 * s3rver's router matches an object key as `/:bucket/:key+`, whose segments cannot be empty: a key
 * such as `a//b`, `/a` or `a/` either finds no route (404) or loses its slashes. Handing the router
 * the whole key as one URL-encoded segment lets it route every key and decode it back unchanged.
 */
export async function routeKeyAsOneSegment(ctx: RouteContext, next: () => Promise<void>): Promise<void> {
  const match = /^\/([^/]+)\/(.+)$/s.exec(ctx.path);
  if (match) {
    let key: string | undefined;
    try {
      key = decodeURIComponent(match[2]!);
    } catch {
      // A malformed escape: s3rver's router answers it as it always did.
    }
    if (key !== undefined) ctx.path = `/${match[1]}/${encodeURIComponent(key)}`;
  }
  return next();
}

import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { WebAssets } from './web-assets';

/** Files of the browser bundle: console.js, supervisor.js, their stylesheets and source maps. Nothing else leaves dist/web. */
const BUILT_FILE = /^[a-z][a-z0-9-]*\.(js|css)(\.map)?$/;
/** GOV.UK Frontend's images and the like: plain relative paths only. */
const GOVUK_ASSET = /^([a-z0-9_-]+\/)*[a-z0-9_-]+(\.[a-z0-9]+)+$/i;

/**
 * The staff pages: GET /console (the agent console's HTML shell) and the files under /assets/. The page carries a
 * strict Content-Security-Policy: scripts and styles only from this origin, no inline code, and network
 * connections (REST and the socket.io WebSocket) only back to this origin.
 */
@ApiExcludeController()
@Controller()
export class WebController {
  constructor(private readonly assets: WebAssets) {}

  @Get('console')
  console(@Req() req: Request, @Res() res: Response): void {
    securityHeaders(res);
    res.set({ 'Content-Security-Policy': contentSecurityPolicy(req), 'Cache-Control': 'no-store' });
    res.type('html').send(this.assets.consoleHtml);
  }

  /** The supervisor dashboard: the same frame, policy and sign-in as /console; the page itself turns agents away. */
  @Get('supervisor')
  supervisor(@Req() req: Request, @Res() res: Response): void {
    securityHeaders(res);
    res.set({ 'Content-Security-Policy': contentSecurityPolicy(req), 'Cache-Control': 'no-store' });
    res.type('html').send(this.assets.supervisorHtml);
  }

  @Get('assets/theme.css')
  theme(@Res() res: Response): void {
    securityHeaders(res);
    res.set('Cache-Control', 'no-cache').type('css').send(this.assets.themeCss);
  }

  @Get('assets/favicon.svg')
  favicon(@Res() res: Response): void {
    securityHeaders(res);
    res.set('Cache-Control', 'public, max-age=86400').type('image/svg+xml').send(this.assets.favicon);
  }

  @Get('assets/govuk/*path')
  govuk(@Param('path') path: string | string[], @Res() res: Response): void {
    const relative = Array.isArray(path) ? path.join('/') : path;
    if (!GOVUK_ASSET.test(relative) || relative.split('/').includes('..')) return notFound(res, relative);
    sendFile(res, this.assets.govukAssetsDir, relative, 'public, max-age=86400');
  }

  @Get('assets/:file')
  built(@Param('file') file: string, @Res() res: Response): void {
    if (!BUILT_FILE.test(file)) return notFound(res, file);
    sendFile(res, this.assets.builtDir, file, 'no-cache');
  }
}

export function securityHeaders(res: Response): void {
  res.set({
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  });
}

/**
 * 'self' covers same-origin WebSockets in current browsers (CSP level 3); the explicit ws(s):// entries keep
 * older ones working. The Host header is only echoed when it looks like a host name.
 */
export function contentSecurityPolicy(req: Request): string {
  const host = req.get('host') ?? '';
  const sockets = /^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:]+\](:\d{1,5})?$/i.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${sockets}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
  ].join('; ');
}

function sendFile(res: Response, root: string, relative: string, cacheControl: string): void {
  securityHeaders(res);
  res.sendFile(relative, { root, dotfiles: 'deny', headers: { 'Cache-Control': cacheControl } }, (err?: Error) => {
    if (err && !res.headersSent) notFound(res, relative);
  });
}

/** The same JSON shape as every other 404 of the hub (see HttpExceptionFilter). */
export function notFound(res: Response, what: string): void {
  res.status(404).json({ statusCode: 404, error: { code: 'NotFound', message: `Asset ${what} not found` } });
}

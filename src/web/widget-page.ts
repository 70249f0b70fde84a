import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { demoPage } from './demo-page';
import { WebAssets } from './web-assets';
import { contentSecurityPolicy, notFound, securityHeaders } from './web.controller';

/** What a query may put into the demo page's widget tag; anything else is left out. */
const INBOX_TOKEN = /^[A-Za-z0-9_-]{8,200}$/;
const HEX_COLOUR = /^#[0-9a-f]{3}([0-9a-f]{3})?$/i;

/**
 * The web chat widget for council sites: GET /widget.js (the script a council puts on its pages, loaded
 * cross-origin, so it may be cached for a few minutes and used from any site) and GET /demo (a sample council page
 * carrying it: /demo?inbox=<web chat inbox token>&lang=cy&position=left&colour=%23005ea5).
 */
@ApiExcludeController()
@Controller()
export class WidgetPageController {
  constructor(private readonly assets: WebAssets) {}

  @Get('widget.js')
  widget(@Res() res: Response): void {
    const file = join(this.assets.builtDir, 'widget.js');
    if (!existsSync(file)) return notFound(res, 'widget.js (run `npm run build:web`)');
    res.set({
      'X-Content-Type-Options': 'nosniff',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'Access-Control-Allow-Origin': '*',
      'Cache-Control': 'public, max-age=300',
    });
    res.sendFile('widget.js', { root: this.assets.builtDir, headers: { 'Content-Type': 'text/javascript; charset=utf-8' } }, (err?: Error) => {
      if (err && !res.headersSent) notFound(res, 'widget.js');
    });
  }

  @Get('demo')
  demo(@Req() req: Request, @Res() res: Response, @Query() query: Record<string, unknown>): void {
    const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : '');
    const lang = text('lang');
    const html = demoPage({
      inbox: INBOX_TOKEN.test(text('inbox')) ? text('inbox') : null,
      council: this.assets.theme.councilName,
      colour: HEX_COLOUR.test(text('colour')) ? text('colour') : this.assets.theme.colour,
      lang: lang === 'cy' || lang === 'en' ? lang : null,
      position: text('position') === 'left' ? 'left' : 'right',
    });
    securityHeaders(res);
    res.set({ 'Content-Security-Policy': contentSecurityPolicy(req), 'Cache-Control': 'no-store' });
    res.type('html').send(html);
  }
}

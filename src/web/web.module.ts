import { Module } from '@nestjs/common';
import { WebAssets } from './web-assets';
import { WebController } from './web.controller';

/** The staff pages in the browser: /console and its assets (browser code in web/, built into dist/web). */
@Module({
  controllers: [WebController],
  providers: [WebAssets],
})
export class WebModule {}

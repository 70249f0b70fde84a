import { Module } from '@nestjs/common';
import { WebAssets } from './web-assets';
import { WebController } from './web.controller';
import { WidgetPageController } from './widget-page';

/** The staff pages in the browser: /console and its assets (browser code in web/, built into dist/web). */
@Module({
  controllers: [WebController, WidgetPageController],
  providers: [WebAssets],
})
export class WebModule {}

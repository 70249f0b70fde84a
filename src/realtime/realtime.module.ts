import { Global, Module } from '@nestjs/common';
import { RealtimeService } from './realtime.service';

/** The socket.io seam (see realtime.service.ts); the Redis adapter is applied in bootstrap.ts. */
@Global()
@Module({
  providers: [RealtimeService],
  exports: [RealtimeService],
})
export class RealtimeModule {}

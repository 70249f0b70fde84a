import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './bootstrap';
import { Env } from './config/env';

async function main(): Promise<void> {
  const app = await createApp();
  const env = app.get(Env);
  await app.listen(env.PORT, env.HOST);
  const url = env.PUBLIC_BASE_URL ?? `http://localhost:${env.PORT}`;
  new Logger('Hub').log(
    [
      `Contact Hub (${env.PROCESS_ROLE}, ${env.DATABASE_URL ? 'PostgreSQL' : `embedded database in ${env.DATA_DIR}`}, ${env.REDIS_URL ? 'Redis' : 'in-process jobs'}) on ${url}`,
      `  agent console   ${url}/console`,
      `  API docs        ${url}/api/docs`,
      `  health, metrics ${url}/health  ${url}/metrics`,
    ].join('\n'),
  );
}

main().catch((e: Error) => {
  // A configuration mistake names the variable; print it plainly, without a stack.
  console.error(e.message.startsWith('Invalid environment') || e.message.startsWith('Council configuration') ? e.message : e.stack);
  process.exit(1);
});

import { DataSource, DataSourceOptions } from 'typeorm';
import { Foundation1764230400000 } from '../../migrations/1764230400000-Foundation';
import { EmailChannel1764230600000 } from '../../migrations/1764230600000-EmailChannel';
import { TwilioChannel1764230500000 } from '../../migrations/1764230500000-TwilioChannel';
import { MetaSlackChannels1764230700000 } from '../../migrations/1764230700000-MetaSlackChannels';
import { Attachments1764230750000 } from '../../migrations/1764230750000-Attachments';
import { CaseAbandoned1764230760000 } from '../../migrations/1764230760000-CaseAbandoned';
import { SupervisorMetrics1764231100000 } from '../../migrations/1764231100000-SupervisorMetrics';
import { Webchat1764230800000 } from '../../migrations/1764230800000-Webchat';
import { Sla1764231000000 } from '../../migrations/1764231000000-Sla';
import { IdentityOptedOut1764231200000 } from '../../migrations/1764231200000-IdentityOptedOut';
import { IdentityTyped1764231300000 } from '../../migrations/1764231300000-IdentityTyped';
import { ReplyClientId1764231307000 } from '../../migrations/1764231307000-ReplyClientId';

/** Every migration, in order. A schema change is a new file in migrations/ added here. */
export const MIGRATIONS = [
  Foundation1764230400000,
  TwilioChannel1764230500000,
  EmailChannel1764230600000,
  MetaSlackChannels1764230700000,
  Attachments1764230750000,
  CaseAbandoned1764230760000,
  Webchat1764230800000,
  Sla1764231000000,
  SupervisorMetrics1764231100000,
  IdentityOptedOut1764231200000,
  IdentityTyped1764231300000,
  ReplyClientId1764231307000,
];

export function dataSourceOptions(url: string, poolSize: number): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [],
    migrations: MIGRATIONS,
    migrationsTableName: 'migration',
    migrationsTransactionMode: 'each',
    synchronize: false,
    poolSize,
    uuidExtension: 'pgcrypto',
    extra: { max: poolSize, application_name: 'contact-hub' },
  };
}

export function createDataSource(url: string, poolSize = 4): DataSource {
  return new DataSource(dataSourceOptions(url, poolSize));
}

import { call } from '../console/api';
import { History, LiveSnapshot, SlaAlert } from './protocol';

/** The dashboard's REST reads; sign-in, the token and the session cookie are the console's (web/console/api.ts). */

export const live = () => call<LiveSnapshot>('GET', '/api/v1/metrics/live');

export const history = (from: string, to: string, bucket: string) =>
  call<History>('GET', `/api/v1/metrics/history?${new URLSearchParams({ from, to, bucket }).toString()}`);

export const breaches = () => call<{ alerts: SlaAlert[] }>('GET', '/api/v1/sla/breaches');

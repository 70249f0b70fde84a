import { randomBytes } from 'node:crypto';
import { InboxesService } from '../src/inboxes/inboxes.service';
import { closeInstances, startTestApp, TestApp } from './support/app';
import { ConsoleClient, connectConsole } from './support/console-client';
import { givenAgent } from './support/given';
import { connectWidget, postSession, WidgetClient } from './support/widget-client';

/**
 * Two hub processes' worth (two Nest apps) on one database and one Redis: the resident's widget on one, the agent's
 * console on the other, delivery jobs on either. Pushes cross over through socket.io's Redis streams adapter, and the
 * rate limits count in Redis for both.
 */
describe('Web chat across two app instances (Redis)', () => {
  let a: TestApp;
  let b: TestApp;
  let inboxToken: string;
  const clients: Array<WidgetClient | ConsoleClient> = [];

  beforeAll(async () => {
    const env = { REDIS_PREFIX: `hubtest:webchat:${randomBytes(4).toString('hex')}`, AUTH_SECRET: randomBytes(32).toString('hex'), WEBCHAT_MESSAGES_PER_MINUTE: '4' };
    a = await startTestApp({ redis: true, env });
    b = await startTestApp({ redis: true, env, database: a.db });
    inboxToken = (await a.get(InboxesService).create({ channel: 'webchat', name: 'Cluster web chat', department: 'customer-services' })).token;
  });

  afterAll(() => closeInstances(clients, [b, a]));

  it('brings a reply sent from the other process to the widget, and the resident’s other tab there too', async () => {
    const session = (await postSession(a.url, { inbox: inboxToken })).body;
    const widget = await connectWidget(a.url, session.visitorToken);
    const otherTab = await connectWidget(b.url, session.visitorToken);
    clients.push(widget, otherTab);
    const agent = await givenAgent(b, { name: 'Chloe Hughes', departments: ['customer-services'] });
    const console = await connectConsole(b.url, { token: agent.token });
    clients.push(console);

    const sent = (await widget.send('message:send', { text: 'Is the tip open on Sunday?', clientId: 'x-1' })) as any;
    const { caseId } = await widget.waitFor('conversation');
    await otherTab.waitFor('message', (m) => m.id === sent.message.id);
    expect(await console.send('case:claim', { caseId })).toMatchObject({ ok: true });
    await widget.waitFor('agent:joined', (j) => j.name === 'Chloe Hughes');
    await console.send('case:reply', { caseId, text: 'Yes, 9am to 4pm' });
    expect(await widget.waitFor('message', (m) => m.direction === 'agent')).toMatchObject({ text: 'Yes, 9am to 4pm', authorName: 'Chloe Hughes' });
    await otherTab.waitFor('message', (m) => m.direction === 'agent');
  });

  it('counts a visitor’s messages on both processes together', async () => {
    const session = (await postSession(a.url, { inbox: inboxToken })).body;
    const onA = await connectWidget(a.url, session.visitorToken);
    const onB = await connectWidget(b.url, session.visitorToken);
    clients.push(onA, onB);
    const acks = [];
    for (let i = 0; i < 3; i++) acks.push(await onA.send('message:send', { text: `a${i}`, clientId: `a${i}` }), await onB.send('message:send', { text: `b${i}`, clientId: `b${i}` }));
    expect(acks.filter((x) => x.ok)).toHaveLength(4);
    expect(acks.filter((x) => !x.ok && x.error.code === 'RateLimited')).toHaveLength(2);
  });
});

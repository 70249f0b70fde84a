import { CasesService, InboundForCase } from '../src/cases/cases.service';
import { InboundMessage, InboxConfig } from '../src/channels/channel-adapter';
import { CaseStatus, Channel } from '../src/common/enum';
import { Db, Tx } from '../src/database/db';
import { HubEventName } from '../src/events/hub-events';
import { IntakeService } from '../src/intake/intake.service';
import { ResidentsService } from '../src/residents/residents.service';
import { startTestApp, TestApp } from './support/app';
import { givenApiInbox } from './support/given';

/**
 * Intake commits many messages in one transaction with one statement per step. These check that a batch ends
 * exactly where the same messages taken one by one would, and that one bad message costs only itself.
 */
describe.each([
  ['PostgreSQL', false],
  ['embedded PGlite', true],
])('intake batches on %s', (_backend, embedded) => {
  let t: TestApp;
  let inbox: InboxConfig;
  let n = 0;
  const address = (label: string) => `batch-${label}-${Date.now()}-${++n}`;

  beforeAll(async () => {
    t = await startTestApp({ embedded });
    inbox = (await givenApiInbox(t, { name: 'Batch tests' })).inbox;
  });
  afterAll(() => t?.close());

  /** One transaction, as intake runs a batch, with the events it emitted. */
  async function inBatch<T>(work: (tx: Tx) => Promise<T>): Promise<{ result: T; events: Array<{ name: HubEventName; payload: unknown }> }> {
    const events: Array<{ name: HubEventName; payload: unknown }> = [];
    const result = await t.get(Db).rawTransaction((manager) => work({ manager, emit: (name, payload) => events.push({ name, payload }) }));
    return { result, events };
  }

  function message(from: string, text: string): InboundMessage {
    return { channel: Channel.Api, inboxId: inbox.id, externalMessageId: `${from}-${++n}`, sender: { address: from }, text, attachments: [] };
  }

  function inbound(residentId: string, text: string): InboundForCase {
    return { residentId, inbox, channel: Channel.Api, text, at: new Date() };
  }

  async function newResident(): Promise<string> {
    const { result } = await inBatch((tx) => t.get(ResidentsService).resolveIdentities(tx, [{ channel: Channel.Api, address: address('resident') }]));
    return result[0].residentId;
  }

  it('stores every good message of a burst and rejects only the one the database refuses', async () => {
    // A failure nothing in the hub foresees: this test's own database refuses one text (each test file has its own).
    await t.db.query(`ALTER TABLE message ADD CONSTRAINT refused_in_this_test CHECK (text <> 'the database refuses this one')`);
    const burst = Array.from({ length: 10 }, (_, i) => message(address(`good${i}`), `message ${i}`));
    burst.splice(4, 0, message(address('bad'), 'the database refuses this one'));
    const settled = await Promise.allSettled(burst.map((m) => t.get(IntakeService).receive(m, inbox)));
    expect(settled.map((s) => s.status)).toEqual(burst.map((_, i) => (i === 4 ? 'rejected' : 'fulfilled')));
    const rows = await t.db.query<{ external_id: string }>(`SELECT external_id FROM message WHERE external_id = ANY($1::text[])`, [burst.map((m) => m.externalMessageId)]);
    expect(rows.map((r) => r.external_id).sort()).toEqual(burst.filter((_, i) => i !== 4).map((m) => m.externalMessageId).sort());
  });

  it('puts a batch on the case its first message opened, one version and one event per message', async () => {
    const residentId = await newResident();
    const { result, events } = await inBatch((tx) => t.get(CasesService).threadInboundMany(tx, [inbound(residentId, 'one'), inbound(residentId, 'two'), inbound(residentId, 'three')]));
    const caseId = result[0].case.id;
    expect(result.map((r) => [r.case.id, r.created, r.reopened])).toEqual([
      [caseId, true, false],
      [caseId, false, false],
      [caseId, false, false],
    ]);
    expect(events).toEqual([
      { name: 'case.created', payload: expect.objectContaining({ caseId, version: 1 }) },
      { name: 'case.updated', payload: { caseId, version: 2, status: 'new', reopened: false } },
      { name: 'case.updated', payload: { caseId, version: 3, status: 'new', reopened: false } },
    ]);
    const [row] = await t.db.query(`SELECT version, status, reference FROM "case" WHERE id = $1`, [caseId]);
    expect(row).toEqual({ version: 3, status: 'new', reference: result[0].case.reference });
  });

  it('reopens a resolved case once when a batch joins it', async () => {
    const residentId = await newResident();
    const { result: opened } = await inBatch((tx) => t.get(CasesService).threadInboundMany(tx, [inbound(residentId, 'my bin')]));
    const caseId = opened[0].case.id;
    await t.get(Db).transaction((tx) => t.get(CasesService).changeStatus(tx, caseId, CaseStatus.Resolved));
    const { result, events } = await inBatch((tx) => t.get(CasesService).threadInboundMany(tx, [inbound(residentId, 'still'), inbound(residentId, 'not emptied')]));
    expect(result.map((r) => [r.case.id, r.created, r.reopened])).toEqual([
      [caseId, false, true],
      [caseId, false, false],
    ]);
    expect(events.map((e) => e.payload)).toEqual([
      { caseId, version: 3, status: 'new', reopened: true },
      { caseId, version: 4, status: 'new', reopened: false },
    ]);
    const [row] = await t.db.query(`SELECT version, status, resolved_at FROM "case" WHERE id = $1`, [caseId]);
    expect(row).toEqual({ version: 4, status: 'new', resolved_at: null });
  });

  it('ends with the same names as taking the messages one by one', async () => {
    const names = [undefined, 'Ann', 'Ann', 'Ann Smith', undefined];
    const batch = address('names-batch');
    const single = address('names-single');
    await inBatch((tx) => t.get(ResidentsService).resolveIdentities(tx, names.map((name) => ({ channel: Channel.Api, address: batch, name }))));
    for (const name of names) await t.get(Db).transaction((tx) => t.get(ResidentsService).resolveIdentity(tx, Channel.Api, single, name));
    const rows = await t.db.query<{ address: string; display_name: string; name: string }>(
      `SELECT i.address, i.display_name, r.name FROM identity i JOIN resident r ON r.id = i.resident_id WHERE i.address = ANY($1::text[]) ORDER BY i.address = $2`,
      [[batch, single], single],
    );
    expect(rows.map(({ display_name, name }) => ({ display_name, name }))).toEqual([
      { display_name: 'Ann Smith', name: 'Ann' },
      { display_name: 'Ann Smith', name: 'Ann' },
    ]);
  });

  it('answers every sender of a batch, the same resident for the same address', async () => {
    const a = address('a');
    const b = address('b');
    const { result } = await inBatch((tx) =>
      t.get(ResidentsService).resolveIdentities(tx, [a, b, a].map((addr) => ({ channel: Channel.Api, address: addr }))),
    );
    expect(result[0]).toEqual({ ...result[2], created: true });
    expect(result[2].created).toBe(false);
    expect(result[1].residentId).not.toBe(result[0].residentId);
  });
});

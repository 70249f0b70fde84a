import { EventEmitter2 } from '@nestjs/event-emitter';
import { CasesService } from '../src/cases/cases.service';
import { InboundMessage, InboxConfig } from '../src/channels/channel-adapter';
import { CaseStatus, Channel } from '../src/common/enum';
import { Db } from '../src/database/db';
import { IntakeService } from '../src/intake/intake.service';
import { CARD_PLACEHOLDER } from '../src/intake/redaction';
import { startTestApp, TestApp } from './support/app';
import { givenApiInbox, postApiMessage } from './support/given';

let seq = 0;
function inbound(inbox: InboxConfig, from: string, text: string, extra: Partial<InboundMessage> = {}): InboundMessage {
  return { channel: Channel.Api, inboxId: inbox.id, externalMessageId: `ext-${Date.now()}-${++seq}`, sender: { address: from }, text, attachments: [], ...extra };
}

describe.each([
  ['PostgreSQL', false],
  ['embedded PGlite', true],
])('IntakeService on %s', (_backend, embedded) => {
  let t: TestApp;
  let sut: IntakeService;
  let inbox: InboxConfig;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp({ embedded });
    sut = t.get(IntakeService);
    const created = await givenApiInbox(t, { name: 'Intake tests' });
    inbox = created.inbox;
    token = created.token;
  });
  afterAll(() => t?.close());

  async function setStatus(caseId: string, status: CaseStatus) {
    await t.get(Db).transaction((tx) => t.get(CasesService).changeStatus(tx, caseId, status));
  }

  describe('deduplication', () => {
    it('stores one message when the same external id is posted 3 times at once', async () => {
      const body = { externalId: `dup-${Date.now()}`, from: { address: 'dup-resident' }, text: 'once only' };
      const answers = await Promise.all([1, 2, 3].map(() => postApiMessage(t, token, body)));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 201]);
      expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
      const rows = await t.db.query(`SELECT count(*)::int AS n FROM message WHERE external_id = $1`, [body.externalId]);
      expect(rows[0].n).toBe(1);
    });

    it('makes one resident and one case when a new resident sends many messages at once', async () => {
      const from = `burst-${Date.now()}`;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => sut.receive(inbound(inbox, from, `message ${i}`), inbox)));
      expect(new Set(results.map((r) => r.caseId)).size).toBe(1);
      const [counts] = await t.db.query<{ residents: number; messages: number }>(
        `SELECT (SELECT count(*)::int FROM identity WHERE address = $1) AS residents,
                (SELECT count(*)::int FROM message WHERE case_id = $2) AS messages`,
        [from, results[0].caseId],
      );
      expect(counts).toEqual({ residents: 1, messages: 20 });
    });
  });

  describe('threading', () => {
    it('puts a second message from the resident on the same open case', async () => {
      const first = await sut.receive(inbound(inbox, 'thread-1', 'hello'), inbox);
      const second = await sut.receive(inbound(inbox, 'thread-1', 'are you there?'), inbox);
      expect(second.caseId).toBe(first.caseId);
      expect(second.reference).toBe(first.reference);
    });

    it('opens a separate case for the same resident on another inbox', async () => {
      const other = (await givenApiInbox(t, { name: 'Other inbox' })).inbox;
      const a = await sut.receive(inbound(inbox, 'thread-2', 'first inbox'), inbox);
      const b = await sut.receive(inbound(other, 'thread-2', 'second inbox'), other);
      expect(b.caseId).not.toBe(a.caseId);
      const residents = await t.db.query(`SELECT DISTINCT resident_id FROM "case" WHERE id = ANY($1::uuid[])`, [[a.caseId, b.caseId]]);
      expect(residents).toHaveLength(1);
    });

    it('reopens a resolved case when the resident writes within the window', async () => {
      const first = await sut.receive(inbound(inbox, 'thread-3', 'my bin'), inbox);
      await setStatus(first.caseId, CaseStatus.Resolved);
      const again = await sut.receive(inbound(inbox, 'thread-3', 'still not emptied'), inbox);
      expect(again.caseId).toBe(first.caseId);
      const [row] = await t.db.query(`SELECT status, resolved_at FROM "case" WHERE id = $1`, [first.caseId]);
      expect(row).toEqual({ status: 'new', resolved_at: null });
    });

    it('returns a reopened case to its owner as open', async () => {
      const first = await sut.receive(inbound(inbox, 'thread-4', 'hello'), inbox);
      const [agent] = await t.db.query<{ id: string }>(
        `INSERT INTO agent (email, name, role, password_hash) VALUES ($1, 'Owner', 'agent', 'x') RETURNING id`,
        [`owner-${Date.now()}@example.gov.uk`],
      );
      await t.db.query(`UPDATE "case" SET assignee_id = $2 WHERE id = $1`, [first.caseId, agent.id]);
      await setStatus(first.caseId, CaseStatus.Pending);
      await sut.receive(inbound(inbox, 'thread-4', 'here is the photo you asked for'), inbox);
      const [row] = await t.db.query(`SELECT status FROM "case" WHERE id = $1`, [first.caseId]);
      expect(row.status).toBe('open');
    });

    it('opens a new case when the resolved one is older than the reopen window', async () => {
      const first = await sut.receive(inbound(inbox, 'thread-5', 'hello'), inbox);
      await setStatus(first.caseId, CaseStatus.Resolved);
      await t.db.query(`UPDATE "case" SET resolved_at = now() - interval '8 days' WHERE id = $1`, [first.caseId]);
      const again = await sut.receive(inbound(inbox, 'thread-5', 'new problem'), inbox);
      expect(again.caseId).not.toBe(first.caseId);
    });

    it('opens a new case after the last one was closed', async () => {
      const first = await sut.receive(inbound(inbox, 'thread-6', 'hello'), inbox);
      await setStatus(first.caseId, CaseStatus.Closed);
      const again = await sut.receive(inbound(inbox, 'thread-6', 'hello again'), inbox);
      expect(again.caseId).not.toBe(first.caseId);
      expect(again.reference).toMatch(/^C-\d{4}-\d{6}$/);
    });
  });

  describe('card numbers', () => {
    it('removes them before storing, and records that it did', async () => {
      const text = 'Pay with 4111 1111 1111 1111 exp 12/27 cvv 123 please';
      const r = await sut.receive(inbound(inbox, 'card-1', text, { textFull: `${text}\n> quoted` }), inbox);
      const [msg] = await t.db.query(`SELECT text, text_full, redactions FROM message WHERE id = $1`, [r.messageId]);
      expect(msg.text).toContain(CARD_PLACEHOLDER);
      expect(`${msg.text} ${msg.text_full}`).not.toMatch(/4111|12\/27|\b123\b/);
      expect(msg.redactions).toEqual({ cardNumbers: 1, expiryDates: 1, securityCodes: 1 });
      const audit = await t.db.query(`SELECT action FROM audit_entry WHERE subject_id = $1`, [r.messageId]);
      expect(audit).toEqual([{ action: 'message.card-data-removed' }]);
    });

    it('keeps phone numbers and property references', async () => {
      const text = 'Call 07700 900123 about UPRN 100023336956';
      const r = await sut.receive(inbound(inbox, 'card-2', text), inbox);
      const [msg] = await t.db.query(`SELECT text, redactions FROM message WHERE id = $1`, [r.messageId]);
      expect(msg).toEqual({ text, redactions: null });
    });
  });

  describe('NUL characters, which PostgreSQL cannot store', () => {
    it('drops them from every field of a message from any channel and stores it', async () => {
      const msg = inbound(inbox, 'nul-\u0000resident', 'Bin\u0000 missed', { sender: { address: 'nul-\u0000resident', name: 'A\u0000da' }, subject: 'S\u0000', textFull: 'Bin\u0000 missed\n> q' });
      const r = await sut.receive(msg, inbox);
      const [row] = await t.db.query(
        `SELECT m.text, m.text_full, m.external_id, i.address, r.name FROM message m JOIN identity i ON i.id = m.identity_id
         JOIN resident r ON r.id = i.resident_id WHERE m.id = $1`,
        [r.messageId],
      );
      expect(row).toEqual({ text: 'Bin missed', text_full: 'Bin missed\n> q', external_id: msg.externalMessageId, address: 'nul-resident', name: 'Ada' });
    });
  });

  describe('case subject', () => {
    it('is one line of at most 255 characters, however long the first message’s subject', async () => {
      const r = await sut.receive(inbound(inbox, 'subject-1', 'Body', { subject: `Bins\n  missed ${'again '.repeat(1000)}` }), inbox);
      const [kase] = await t.db.query(`SELECT subject FROM "case" WHERE id = $1`, [r.caseId]);
      expect(kase.subject).toHaveLength(255);
      expect(kase.subject).toMatch(/^Bins missed again again .*…$/);
      const short = await sut.receive(inbound(inbox, 'subject-2', 'Body', { subject: '  Pothole on Elm Road ' }), inbox);
      expect((await t.db.query(`SELECT subject FROM "case" WHERE id = $1`, [short.caseId]))[0].subject).toBe('Pothole on Elm Road');
    });
  });

  describe('triage', () => {
    it('routes by keyword to the service and its department', async () => {
      const r = await sut.receive(inbound(inbox, 'triage-1', 'My missed bin from Tuesday'), inbox);
      const [row] = await t.db.query(
        `SELECT s.lgsl_id, d.slug, c.priority FROM "case" c JOIN service s ON s.id = c.service_id JOIN department d ON d.id = c.department_id WHERE c.id = $1`,
        [r.caseId],
      );
      expect(row).toEqual({ lgsl_id: 524, slug: 'waste', priority: 'normal' });
    });

    it('raises priority for danger words and keeps the inbox department when no service matches', async () => {
      const r = await sut.receive(inbound(inbox, 'triage-2', 'There is a GAS LEAK on our street'), inbox);
      const [row] = await t.db.query(`SELECT c.priority, c.service_id, d.slug FROM "case" c JOIN department d ON d.id = c.department_id WHERE c.id = $1`, [r.caseId]);
      expect(row).toEqual({ priority: 'urgent', service_id: null, slug: 'customer-services' });
    });

    it('lets a later message raise, never lower, the priority', async () => {
      const first = await sut.receive(inbound(inbox, 'triage-3', 'We are being evicted and will be homeless'), inbox);
      await sut.receive(inbound(inbox, 'triage-3', 'there is a fire risk from exposed wires'), inbox);
      await sut.receive(inbound(inbox, 'triage-3', 'thanks'), inbox);
      const [row] = await t.db.query(`SELECT priority FROM "case" WHERE id = $1`, [first.caseId]);
      expect(row.priority).toBe('urgent');
    });
  });

  describe('events', () => {
    it('emits case.created and message.created only after the data is committed', async () => {
      const seen: Array<{ event: string; visible: boolean }> = [];
      const emitter = t.get(EventEmitter2);
      const check = (event: string) => async (payload: { caseId: string }) => {
        const rows = await t.db.query(`SELECT 1 FROM "case" WHERE id = $1`, [payload.caseId]);
        seen.push({ event, visible: rows.length === 1 });
      };
      const onCase = check('case.created');
      const onMessage = check('message.created');
      emitter.on('case.created', onCase);
      emitter.on('message.created', onMessage);
      try {
        await sut.receive(inbound(inbox, `events-${Date.now()}`, 'hello'), inbox);
        for (let i = 0; i < 50 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      } finally {
        emitter.off('case.created', onCase);
        emitter.off('message.created', onMessage);
      }
      expect(seen.sort((a, b) => a.event.localeCompare(b.event))).toEqual([
        { event: 'case.created', visible: true },
        { event: 'message.created', visible: true },
      ]);
    });
  });
});

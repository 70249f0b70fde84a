import { AttachmentService, StoredAttachment } from '../src/attachments/attachment.service';
import { AgentRole } from '../src/common/enum';
import { HubError } from '../src/common/errors';
import { Db } from '../src/database/db';
import { startTestApp, TestApp } from './support/app';
import { givenAgent, givenApiInbox, postApiMessage } from './support/given';

/** A real 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
/** The start of a Windows executable ("MZ" header), as a file named photo.png would carry it. */
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(64, 0x90), Buffer.from('This program cannot be run in DOS mode')]);

describe('attachment store (e2e)', () => {
  let t: TestApp;
  let sut: AttachmentService;

  beforeAll(async () => {
    t = await startTestApp();
    sut = t.get(AttachmentService);
  });
  afterAll(() => t?.close());

  async function count(): Promise<number> {
    const rows = await t.db.query(`SELECT count(*)::int AS n FROM attachment`);
    return rows[0].n as number;
  }

  async function refusal(work: Promise<unknown>): Promise<HubError> {
    const error = await work.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(HubError);
    return error as HubError;
  }

  describe('storing', () => {
    it('takes the type from the bytes, not from the name or the claim', async () => {
      const stored = await sut.store({ bytes: PNG, filename: 'scan.pdf', declaredType: 'application/pdf', source: 'test' });
      expect(stored).toMatchObject({ contentType: 'image/png', size: PNG.length, filename: 'scan.pdf', url: `/api/v1/attachments/${stored.id}` });
      expect((await sut.store({ bytes: PDF, filename: 'letter.pdf', source: 'test' })).contentType).toBe('application/pdf');
    });

    it('refuses an executable that calls itself a PNG, and stores nothing', async () => {
      const before = await count();
      const error = await refusal(sut.store({ bytes: EXE, filename: 'photo.png', declaredType: 'image/png', source: 'test' }));
      expect(error.code).toBe('UnsupportedType');
      expect(error.message).toMatch(/application\/x-msdownload.*not allowed/);
      expect(await count()).toBe(before);
    });

    it('believes a text type only for bytes that are plain text', async () => {
      const allow = ['text/plain'];
      expect((await sut.store({ bytes: Buffer.from('Bin day is Tuesday\n'), declaredType: 'text/plain', source: 'test', allow })).contentType).toBe('text/plain');
      const error = await refusal(sut.store({ bytes: Buffer.from([0x00, 0x01, 0x02, 0xff]), declaredType: 'text/plain', source: 'test', allow }));
      expect(error.code).toBe('UnsupportedType');
    });

    it('refuses empty and oversized files', async () => {
      expect((await refusal(sut.store({ bytes: Buffer.alloc(0), source: 'test' }))).code).toBe('Validation');
      expect((await refusal(sut.store({ bytes: PNG, source: 'test', maxBytes: 10 }))).code).toBe('PayloadTooLarge');
    });

    it('keeps only the last part of a path-like name, without control characters', async () => {
      const stored = await sut.store({ bytes: PNG, filename: '..\\..\\evil/\u0007na"me.png', source: 'test' });
      expect(stored.filename).toBe('name.png');
      expect((await sut.store({ bytes: PNG, source: 'test' })).filename).toBe('attachment.png');
    });
  });

  describe('staff download', () => {
    let stored: StoredAttachment;
    let agentToken: string;

    beforeAll(async () => {
      const { token } = await givenApiInbox(t, { department: 'housing' });
      const posted = await postApiMessage(t, token, { externalId: `att-${Date.now()}`, from: { address: 'att-resident' }, text: 'Photo of the damp' });
      stored = await sut.store({ bytes: PNG, filename: 'damp.png', source: 'test' });
      await t.get(Db).transaction((tx) => sut.link(tx, [stored.id], posted.body.caseId as string));
      agentToken = (await givenAgent(t, { departments: ['housing'] })).token;
    });

    it('gives an agent of the case’s department the bytes with safe headers', async () => {
      const res = await fetch(`${t.url}${stored.url}`, { headers: { authorization: `Bearer ${agentToken}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain('sandbox');
      expect(res.headers.get('content-disposition')).toContain('filename="damp.png"');
      expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);
    });

    it('answers 404 to an agent of another department, for an unlinked upload and for a bad id', async () => {
      const other = (await givenAgent(t, { departments: ['waste'] })).token;
      const unlinked = await sut.store({ bytes: PNG, source: 'test' });
      for (const [token, url] of [[other, stored.url], [agentToken, unlinked.url], [agentToken, '/api/v1/attachments/not-a-uuid']]) {
        const res = await fetch(`${t.url}${url}`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(404);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NotFound');
      }
    });

    it('asks for sign-in', async () => {
      expect((await fetch(`${t.url}${stored.url}`)).status).toBe(401);
    });

    it('answers an agent of another department 404 naming the attachment, never its case', async () => {
      const other = (await givenAgent(t, { departments: ['waste'] })).token;
      const res = await fetch(`${t.url}${stored.url}`, { headers: { authorization: `Bearer ${other}` } });
      expect(res.status).toBe(404);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error).toMatchObject({ code: 'NotFound', message: `Attachment ${stored.id} not found` });
      const [{ case_id: caseId }] = await t.db.query(`SELECT case_id FROM attachment WHERE id = $1`, [stored.id]);
      expect(error.message).not.toContain(caseId);
    });

    it('links an attachment once: a second case cannot take it', async () => {
      const admin = await givenAgent(t, { role: AgentRole.Admin });
      const { token } = await givenApiInbox(t, { department: 'waste' });
      const posted = await postApiMessage(t, token, { externalId: `att2-${Date.now()}`, from: { address: 'att-other' }, text: 'hi' });
      const taken = await t.get(Db).transaction((tx) => sut.link(tx, [stored.id], posted.body.caseId as string));
      expect(taken).toEqual([]);
      const res = await fetch(`${t.url}${stored.url}`, { headers: { authorization: `Bearer ${admin.token}` } });
      expect(res.status).toBe(200);
    });
  });

  describe('non-ASCII and invisible characters in an uploaded name (HTTP multipart)', () => {
    let caseId: string;
    let agentToken: string;

    beforeAll(async () => {
      const { token } = await givenApiInbox(t, { department: 'housing' });
      const posted = await postApiMessage(t, token, { externalId: `att-names-${Date.now()}`, from: { address: 'att-names' }, text: 'A letter' });
      caseId = posted.body.caseId as string;
      agentToken = (await givenAgent(t, { departments: ['housing'] })).token;
    });

    /** A staff upload as a browser sends it: the filename parameter as raw UTF-8. */
    async function upload(filename: string, bytes = PDF, type = 'application/pdf'): Promise<{ id: string; filename: string; url: string }> {
      const form = new FormData();
      form.append('file', new Blob([bytes], { type }), filename);
      const res = await fetch(`${t.url}/api/v1/cases/${caseId}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${agentToken}` }, body: form });
      expect(res.status).toBe(201);
      return ((await res.json()) as { attachment: { id: string; filename: string; url: string } }).attachment;
    }

    /** The download's Content-Disposition: its ASCII fallback and its RFC 5987 filename* decoded (only attr-chars and %XX allowed). */
    async function disposition(url: string): Promise<{ fallback: string; name: string }> {
      const res = await fetch(`${t.url}${url}`, { headers: { authorization: `Bearer ${agentToken}` } });
      expect(res.status).toBe(200);
      const header = res.headers.get('content-disposition') ?? '';
      const fallback = /;\s*filename="([\x20-\x7E]*)"/.exec(header);
      const ext = /;\s*filename\*=UTF-8''((?:%[0-9A-Fa-f]{2}|[A-Za-z0-9!#$&+.^_`|~-])+)(?:;|$)/.exec(header);
      expect(fallback).not.toBeNull();
      expect(ext).not.toBeNull();
      return { fallback: fallback![1], name: decodeURIComponent(ext![1]) };
    }

    it.each([
      ['Ünïcode façade ✓.pdf'],
      ['Cais am dŷ’r cyngor – ŵyr, ŷd, âr.pdf'],
      ["Llythyr y Cyngor (Tŷ'r Ynys) *copi*.pdf"],
    ])('keeps %s as sent, in the JSON, in the database and in the download', async (name) => {
      const up = await upload(name);
      expect(up.filename).toBe(name);
      expect((await t.db.query(`SELECT filename FROM attachment WHERE id = $1`, [up.id]))[0].filename).toBe(name);
      const { fallback, name: decoded } = await disposition(up.url);
      expect(decoded).toBe(name);
      expect(fallback).toMatch(/\.pdf$/);
    });

    it('removes C1 controls and bidi overrides that would disguise the name', async () => {
      const up = await upload('invoice\u202Egpj.exe\u0085\u200F.pdf');
      expect(up.filename).toBe('invoicegpj.exe.pdf');
      expect((await disposition(up.url)).name).toBe('invoicegpj.exe.pdf');
      expect((await sut.store({ bytes: PNG, filename: 'a\u0080b\u009Fc\u2066d\u2069\uFEFF.png', source: 'test' })).filename).toBe('abcd.png');
    });
  });

  it('removes uploads that never reached a case after a day, and keeps linked ones', async () => {
    const old = await sut.store({ bytes: PNG, source: 'test' });
    await t.db.query(`UPDATE attachment SET created_at = now() - interval '25 hours' WHERE id = $1`, [old.id]);
    const fresh = await sut.store({ bytes: PNG, source: 'test' });
    await sut.purgeUnlinked();
    const left = await t.db.query(`SELECT id FROM attachment WHERE id = ANY($1::uuid[])`, [[old.id, fresh.id]]);
    expect(left.map((r) => r.id)).toEqual([fresh.id]);
  });
});

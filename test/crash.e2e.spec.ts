import { createTestDatabase, TestDatabase } from './support/database';
import { createApiInbox, HubProcess, startHubProcess } from './support/hub-process';

/**
 * Durable before ack, through a real crash: the built hub (node dist/src/main.js, so run `npm run build` first)
 * takes a stream of messages from concurrent senders and is killed with SIGKILL in the middle of it, with
 * requests and transactions in flight. Whatever it acknowledged must be stored, nothing twice; after a restart
 * on the same database, every message sent again is taken exactly once.
 */
const SENDERS = 8;
const KILL_AFTER_ACKS = 200;
const MAX_POSTS_PER_SENDER = 2_000;

interface Ack {
  caseId: string;
  reference: string;
  messageId: string;
}

interface Answer {
  status: number;
  body: Ack;
}

describe('a hub killed with SIGKILL while messages stream in', () => {
  let db: TestDatabase;
  let hub: HubProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await hub?.kill();
    await db?.drop();
  });

  it('keeps every acknowledged message exactly once, and takes every retry after the restart exactly once', async () => {
    hub = await startHubProcess({ env: { DATABASE_URL: db.url } });
    const { token } = await createApiInbox(db.url, db.query, 'Crash test');
    const killed = hub;

    const sent = new Map<string, object>(); // every message posted, answered or not
    const acked = new Map<string, Ack>(); // the 2xx answers that arrived before the kill
    const refused: string[] = []; // answers that were neither 2xx nor a dropped connection
    let kill: Promise<void> | undefined;
    await Promise.all(
      Array.from({ length: SENDERS }, async (_, sender) => {
        for (let i = 0; i < MAX_POSTS_PER_SENDER && !kill; i++) {
          const externalId = `crash-${sender}-${i}`;
          const body = { externalId, from: { address: `crash-resident-${(sender * 7 + i) % 25}`, name: `Resident ${sender}` }, text: `message ${i} from sender ${sender}` };
          sent.set(externalId, body);
          const answer = await post(killed.url, token, body).catch(() => undefined); // the connection died with the hub
          if (!answer) break;
          if (answer.status === 201) acked.set(externalId, answer.body);
          else refused.push(`${externalId}: ${answer.status} ${JSON.stringify(answer.body)}`);
          if (acked.size >= KILL_AFTER_ACKS) kill ??= killed.kill();
        }
      }),
    );
    await (kill ?? killed.kill());
    hub = undefined;
    expect(refused).toEqual([]);
    expect(acked.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);

    // Straight after the crash, from the database itself.
    const stored = await storedMessages(db);
    const duplicates = [...stored.values()].filter((rows) => rows.length > 1);
    expect(duplicates).toEqual([]);
    const lost = [...acked.keys()].filter((id) => !stored.has(id));
    expect(lost).toEqual([]);
    for (const [id, ack] of acked) expect(stored.get(id)).toEqual([{ messageId: ack.messageId, caseId: ack.caseId }]);
    expect([...stored.keys()].filter((id) => !sent.has(id))).toEqual([]);
    expect(await halfStored(db)).toEqual({ casesWithoutMessages: 0, residentsWithoutIdentities: 0 });

    // The senders retry everything they sent, answered or not, on a restarted hub.
    hub = await startHubProcess({ env: { DATABASE_URL: db.url } });
    const restarted = hub;
    const retries = [...sent.entries()];
    const answers = new Map<string, Answer>();
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        for (let next = retries.pop(); next; next = retries.pop()) answers.set(next[0], await post(restarted.url, token, next[1]));
      }),
    );
    for (const [id, answer] of answers) {
      expect({ id, status: answer.status }).toEqual({ id, status: stored.has(id) ? 200 : 201 });
      if (acked.has(id)) expect(answer.body).toEqual(acked.get(id));
    }

    const after = await storedMessages(db);
    expect(after.size).toBe(sent.size);
    expect([...after.values()].every((rows) => rows.length === 1)).toBe(true);
    const [{ total }] = await db.query<{ total: number }>(`SELECT count(*)::int AS total FROM message WHERE channel = 'api'`);
    expect(total).toBe(sent.size);
    expect(await halfStored(db)).toEqual({ casesWithoutMessages: 0, residentsWithoutIdentities: 0 });
  }, 180_000);
});

async function post(url: string, token: string, body: object): Promise<Answer> {
  const res = await fetch(`${url}/channels/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: (await res.json()) as Ack };
}

/** external id → the stored rows carrying it (more than one would be a duplicate). */
async function storedMessages(db: TestDatabase): Promise<Map<string, Array<{ messageId: string; caseId: string }>>> {
  const rows = await db.query<{ external_id: string; id: string; case_id: string }>(`SELECT external_id, id, case_id FROM message WHERE channel = 'api'`);
  const byId = new Map<string, Array<{ messageId: string; caseId: string }>>();
  for (const row of rows) byId.set(row.external_id, [...(byId.get(row.external_id) ?? []), { messageId: row.id, caseId: row.case_id }]);
  return byId;
}

/** Rows a transaction cut in half would leave: a case with no message, a resident with no identity. */
async function halfStored(db: TestDatabase): Promise<{ casesWithoutMessages: number; residentsWithoutIdentities: number }> {
  const [row] = await db.query<{ casesWithoutMessages: number; residentsWithoutIdentities: number }>(
    `SELECT (SELECT count(*)::int FROM "case" c WHERE NOT EXISTS (SELECT 1 FROM message m WHERE m.case_id = c.id)) AS "casesWithoutMessages",
            (SELECT count(*)::int FROM resident r WHERE NOT EXISTS (SELECT 1 FROM identity i WHERE i.resident_id = r.id)) AS "residentsWithoutIdentities"`,
  );
  return row;
}

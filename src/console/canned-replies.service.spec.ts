import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillPlaceholders, loadCannedReplies } from './canned-replies.service';

describe('canned replies', () => {
  const values = { 'resident.name': 'Priya Patel', 'case.reference': 'C-2026-000123', 'agent.name': 'Alice', 'department.name': 'Waste', 'service.name': null };

  describe(fillPlaceholders.name, () => {
    it('fills every known placeholder, spaces inside the braces allowed', () => {
      expect(fillPlaceholders('Hello {{resident.name}}, {{ case.reference }} – {{agent.name}} ({{department.name}})', values)).toBe(
        'Hello Priya Patel, C-2026-000123 – Alice (Waste)',
      );
    });

    it('uses the fallback for an unknown value, and tidies the gap when there is none', () => {
      expect(fillPlaceholders('About {{service.name|your enquiry}}.', values)).toBe('About your enquiry.');
      expect(fillPlaceholders('Thank you {{service.name|}}. Bye', values)).toBe('Thank you. Bye');
    });
  });

  describe(loadCannedReplies.name, () => {
    const file = (yaml: string) => {
      const path = join(mkdtempSync(join(tmpdir(), 'canned-')), 'canned-replies.yaml');
      writeFileSync(path, yaml);
      return path;
    };
    const slugs = new Set(['waste']);

    it('reads replies for all or one department', () => {
      const path = file(`replies:\n  - { id: hi, title: Hi, text: "Hi {{resident.name}}" }\n  - { id: bin, title: Bin, department: waste, text: Logged }\n`);
      expect(loadCannedReplies(path, slugs)).toEqual([
        { id: 'hi', title: 'Hi', text: 'Hi {{resident.name}}', department: undefined },
        { id: 'bin', title: 'Bin', text: 'Logged', department: 'waste' },
      ]);
    });

    it('means no canned replies when the file is missing', () => {
      expect(loadCannedReplies(join(tmpdir(), 'no-such-dir', 'canned-replies.yaml'), slugs)).toEqual([]);
    });

    it('names the entry and the problem: unknown department, unknown placeholder, duplicate id', () => {
      expect(() => loadCannedReplies(file(`replies:\n  - { id: a, title: A, department: parks, text: x }\n`), slugs)).toThrow(
        'canned-replies.yaml: replies[0].department "parks" is not a department slug',
      );
      expect(() => loadCannedReplies(file(`replies:\n  - { id: a, title: A, text: "{{resident.email}}" }\n`), slugs)).toThrow('replies[0].text has an unknown placeholder {{resident.email}}');
      expect(() => loadCannedReplies(file(`replies:\n  - { id: a, title: A, text: x }\n  - { id: a, title: B, text: y }\n`), slugs)).toThrow('replies[1].id "a" appears twice');
    });
  });
});

/**
 * Cuts the quoted earlier mail and the signature off a reply's plain text, so agents see what the resident wrote
 * this time; the full body is kept beside it. Deliberately conservative: when in doubt it keeps text, and a cut
 * that would leave nothing keeps everything (trimmers misfire on forwards and top-less replies).
 */

/** "On Tue, 3 Nov 2026 at 10:02, Jane <jane@x> wrote:" (Gmail, Apple Mail, Thunderbird), possibly wrapped over two lines. */
const ON_WROTE = /^\s*On\b.{0,300}\bwrote:\s*$/is;
/** Outlook's separators before the quoted header block. */
const ORIGINAL_MESSAGE = /^\s*-{2,}\s*Original Message\s*-{2,}\s*$/i;
const UNDERSCORES = /^\s*_{10,}\s*$/;
const OUTLOOK_FROM = /^\s*\*?From:\*?\s+\S/i;
const OUTLOOK_NEXT = /^\s*\*?(Sent|Date|To|Subject):\*?\s/i;
/** A forwarded message is content the resident means us to read: never cut there. */
const FORWARD = /^\s*(-{2,}\s*Forwarded message\s*-{2,}|Begin forwarded message:)\s*$/i;
/** The RFC 3676 signature delimiter, and the phrases mobile clients append. */
const SIG_DELIMITER = /^-- ?$/;
const SENT_FROM = /^\s*(Sent from my (iPhone|iPad|Android|Samsung|mobile|phone)\b.*|Sent from (Outlook|Mail) for \w+.*|Get Outlook for (iOS|Android).*|Sent from Yahoo Mail.*)$/i;

export interface TrimmedReply {
  text: string;
  /** True when something was cut: the caller keeps the full body. */
  trimmed: boolean;
}

export function trimReply(body: string): TrimmedReply {
  const full = body.replace(/\r\n?/g, '\n');
  const lines = full.split('\n');
  const cut = Math.min(quoteStart(lines), signatureStart(lines));
  const kept = lines.slice(0, cut).join('\n').trim();
  if (!kept) return { text: full.trim(), trimmed: false };
  return { text: kept, trimmed: kept !== full.trim() };
}

/** The first line of the quoted earlier message, or lines.length. */
function quoteStart(lines: string[]): number {
  let seenQuote = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (FORWARD.test(line)) return lines.length;
    if (ON_WROTE.test(line) || (i + 1 < lines.length && /^\s*On\b/i.test(line) && ON_WROTE.test(`${line} ${lines[i + 1]}`))) return i;
    if (ORIGINAL_MESSAGE.test(line)) return i;
    if ((UNDERSCORES.test(line) || OUTLOOK_FROM.test(line)) && outlookHeaderBlock(lines, UNDERSCORES.test(line) ? i + 1 : i)) return i;
    if (/^>/.test(line) && !seenQuote) {
      if (restIsQuoted(lines, i)) return i;
      seenQuote = true; // answers between quotes: an inline reply, keep it all
    }
  }
  return lines.length;
}

/** "From: …" followed within a few lines by "Sent:"/"Date:"/"To:"/"Subject:": Outlook's quoted header block. */
function outlookHeaderBlock(lines: string[], from: number): boolean {
  let i = from;
  while (i < lines.length && !lines[i].trim()) i++;
  if (!OUTLOOK_FROM.test(lines[i] ?? '')) return false;
  return lines.slice(i + 1, i + 5).some((l) => OUTLOOK_NEXT.test(l));
}

/**
 * From here on one block of quoted (or blank) lines, then at most a short tail (a name): a bottom quote. Answers
 * written between quoted lines (inline replies) are not a bottom quote.
 */
function restIsQuoted(lines: string[], from: number): boolean {
  const rest = lines.slice(from);
  const lastQuoted = rest.map((l) => /^>/.test(l)).lastIndexOf(true);
  if (rest.slice(0, lastQuoted).some((l) => l.trim() && !/^>/.test(l))) return false;
  return rest.slice(lastQuoted + 1).filter((l) => l.trim()).length <= 2;
}

function signatureStart(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    if (FORWARD.test(lines[i])) return lines.length;
    if (SIG_DELIMITER.test(lines[i]) || SENT_FROM.test(lines[i])) return i;
  }
  return lines.length;
}

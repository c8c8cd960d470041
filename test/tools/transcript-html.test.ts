/**
 * The transcript's HTML without a browser: every untrusted value escaped wherever it lands (text,
 * attribute, link), each kind of content and each mark shown as a reader needs it, gaps and
 * notifications in place and once across pages, and the links between pages.
 */
import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../tools/message-queries.ts';
import {
  contentView,
  escapeHtml,
  formatPosition,
  Html,
  html,
  listingHref,
  messagePage,
  parsePosition,
  problemPage,
  type TranscriptView,
  transcriptPage,
} from '../../tools/transcript-html.ts';
import type { Listing, MessagePage } from '../../tools/transcript-pages.ts';
import { placeSeqEvents, type SeqEvent, type SeqNotes } from '../../tools/transcript-seqs.ts';
import { parseBound } from '../../tools/transcript-server.ts';

const SENT = Date.parse('2025-05-09T13:37:28.316Z');
const CONVERSATION = 'si_alice_bob';
const LISTING: Listing = { kind: 'conversation', userA: 'alice', userB: 'bob' };
const CONTEXT = { source: 'local engine http://127.0.0.1:8000, table openim-messages' };

/** A stored text message of the conversation. */
function stored(seq: number, overrides: StoredMessage = {}): StoredMessage {
  return {
    serverMsgID: `m${String(seq).padStart(3, '0')}`,
    conversationID: CONVERSATION,
    sendID: seq % 2 ? 'alice' : 'bob',
    recvID: seq % 2 ? 'bob' : 'alice',
    senderNickname: seq % 2 ? 'Alice' : 'Bob',
    contentType: 101,
    content: JSON.stringify({ content: `message ${seq}` }),
    seq,
    sentAt: SENT + seq * 1_000,
    ...overrides,
  };
}

/** A one-page transcript of `messages`, as the server builds it. */
function page(
  messages: StoredMessage[],
  {
    listing = LISTING,
    events = [],
    older,
    newer,
  }: {
    listing?: Listing;
    events?: SeqEvent[];
    older?: MessagePage['older'];
    newer?: MessagePage['newer'];
  } = {},
): string {
  const notes = new Map<string, SeqNotes>([
    [CONVERSATION, { conversationID: CONVERSATION, events, claimed: new Map() }],
  ]);
  const view: TranscriptView = {
    listing,
    range: {},
    start: { kind: 'oldest' },
    page: { messages, older, newer },
    rows: placeSeqEvents(messages, notes, {
      firstPage: older === undefined,
      lastPage: newer === undefined,
    }),
    claimed: new Map(),
  };
  return transcriptPage(view, CONTEXT).text;
}

/** The rows of a transcript's list, as text: one line each. */
function rows(markup: string): string[] {
  const list = /<ol class="transcript">([\s\S]*?)<\/ol>/.exec(markup)?.[1] ?? '';
  return [...list.matchAll(/<li class="([^"]*)">([\s\S]*?)<\/li>/g)]
    .filter(([, classes]) => classes !== 'day')
    .map(([, , body]) =>
      (body ?? '')
        .replace(/<details>[\s\S]*?<\/details>/g, '')
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim(),
    );
}

/** Every attribute value of the markup: none may hold a quote or a tag its value broke out of. */
function attributeValues(markup: string): string[] {
  return [...markup.matchAll(/\s[a-z-]+="([^"]*)"/g)].map(([, value]) => value ?? '');
}

const HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">\'"&';

describe('escaping', () => {
  it('escapes & < > " and \' in text and attributes, and inserts only markup built by html', () => {
    expect(escapeHtml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&#39;');
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p title="${'"x"'}">${inner}${[1, ' & ', false, null, undefined]}</p>`.text).toBe(
      '<p title="&quot;x&quot;"><b>&lt;i&gt;</b>1 &amp; </p>',
    );
    // A string that looks like markup stays text: only Html passes as it is.
    expect(html`${'<b>bold</b>'}${new Html('<b>bold</b>')}`.text).toBe(
      '&lt;b&gt;bold&lt;/b&gt;<b>bold</b>',
    );
  });

  it('shows hostile content, nicknames and IDs as text, in the transcript and on the record', () => {
    // GIVEN a message whose every field a user controls is hostile
    const hostile = stored(1, {
      serverMsgID: `id"><script>alert(3)</script>`,
      sendID: `u"><img src=x onerror=alert(4)>`,
      recvID: 'bob&<x>',
      senderNickname: HOSTILE,
      content: JSON.stringify({ content: HOSTILE }),
      unknownFields: JSON.stringify({ note: HOSTILE }),
    });

    // WHEN it is rendered in a transcript, across conversations, and on its own page
    const pages = [
      page([hostile]),
      page([hostile], { listing: { kind: 'sent', user: String(hostile.sendID) } }),
      messagePage({ message: hostile, previous: hostile, next: hostile }, CONTEXT).text,
    ];

    // THEN no tag of it exists, no attribute is broken out of, and the text is there escaped
    for (const markup of pages) {
      expect(markup).not.toMatch(/<(script|img|svg|iframe)/i);
      expect(markup).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      for (const value of attributeValues(markup)) expect(value).not.toMatch(/[<>"]/);
    }
    // AND the links carry the IDs encoded, whole: a browser reads back the very IDs
    const record = /<a class="record" href="([^"]*)">/.exec(pages[0] ?? '')?.[1] ?? '';
    const link = new URL(record.replaceAll('&amp;', '&'), 'http://127.0.0.1');
    expect(link.searchParams.get('id')).toBe(hostile.serverMsgID);
    const to = /<span class="to">to <a href="([^"]*)">/.exec(pages[1] ?? '')?.[1] ?? '';
    const conversation = new URL(to.replaceAll('&amp;', '&'), 'http://127.0.0.1');
    expect([conversation.searchParams.get('a'), conversation.searchParams.get('b')]).toEqual([
      hostile.sendID,
      hostile.recvID,
    ]);
  });
});

describe('content', () => {
  it.each([
    ['text', 101, { content: 'hi' }, { kind: 'text', text: 'hi' }],
    ['text with mentions', 106, { text: '@bob hi', atUserList: ['bob'] }, { text: '@bob hi' }],
    ['a quote', 114, { text: 'agreed', quoteMessage: {} }, { kind: 'quote', text: 'agreed' }],
    ['a file', 105, { fileName: 'q3.pdf', fileSize: 1 }, { kind: 'file', detail: 'q3.pdf' }],
    ['a picture', 102, { sourcePicture: { url: 'u' } }, { kind: 'picture' }],
    ['a location', 109, { description: 'Dock 4', latitude: 1 }, { detail: 'Dock 4' }],
    ['a contact card', 108, { userID: 'carol', nickname: 'Carol' }, { detail: 'Carol · carol' }],
    ['an unknown type', 1234, { x: 1 }, { kind: 'type 1234' }],
  ])('reads %s by its type', (_, contentType, content, expected) => {
    const raw = JSON.stringify(content);
    const view = contentView({ contentType, content: raw });
    expect(view).toMatchObject({ ...expected, raw });
    if (!('text' in expected)) expect(view.text).toBeUndefined();
  });

  it('shows a text message that is not JSON as it is, and a redacted one as redacted', () => {
    expect(contentView({ contentType: 101, content: 'plain' })).toEqual({
      kind: 'text',
      text: 'plain',
      raw: 'plain',
    });
    expect(contentView({ contentType: 101 })).toEqual({ kind: 'text' });
  });

  it('shows other kinds by name, with the raw JSON one click away in a <details>', () => {
    const markup = page([
      stored(1, { contentType: 102, content: JSON.stringify({ sourcePicture: { url: 'p' } }) }),
    ]);

    expect(markup).toContain('<span class="type">picture</span>');
    expect(markup).toMatch(
      /<details><summary>raw content<\/summary><pre>\{&quot;sourcePicture&quot;:\{&quot;url&quot;:&quot;p&quot;\}\}<\/pre><\/details>/,
    );
  });
});

describe('marks', () => {
  it('marks revoked, recovered and redacted messages with who and when', () => {
    const markup = page([
      stored(1, { revokedBy: 'alice', revokedAt: Date.parse('2025-05-09T14:00:00Z') }),
      stored(2, { recoveredAt: Date.parse('2025-05-10T08:00:00Z') }),
      stored(3, {
        content: undefined,
        revokedBy: 'alice',
        revokedAt: Date.parse('2025-05-09T14:00:00Z'),
        redactedAt: Date.parse('2025-05-11T00:00:00Z'),
      }),
    ]);

    expect(rows(markup)).toEqual([
      '13:37:29 Alice alice seq 1 record message 1 Revoked by alice at 2025-05-09 14:00:00 UTC. The archive keeps the original content.',
      '13:37:30 Bob bob seq 2 record message 2 Recovered on 2025-05-10 08:00:00 UTC by a reconcile from OpenIM’s API: no callback brought it.',
      '13:37:31 Alice alice seq 3 record content redacted Revoked by alice at 2025-05-09 14:00:00 UTC. Redacted on 2025-05-11 00:00:00 UTC: its content was removed from the archive.',
    ]);
    expect(markup).toContain('<li class="msg revoked">');
    expect(markup).toContain('<li class="msg recovered">');
    expect(markup).toContain('<li class="msg revoked redacted">');
  });

  it('marks a message that claimed a seq another message holds, with a link to that one', () => {
    const markup = messagePage(
      { message: stored(4), claimed: { seq: 4, heldBy: 'm-first' } },
      CONTEXT,
    ).text;

    expect(markup).toContain(
      '<strong>Seq conflict</strong>: seq 4 stays with <a href="/transcript/message?id=m-first">m-first</a>',
    );
  });

  it('says when a message has no seq yet, rather than seq 0', () => {
    expect(rows(page([stored(0)]))).toEqual(['13:37:28 Bob bob no seq yet record message 0']);
  });
});

describe('gaps and notifications in place', () => {
  const gap = (fromSeq: number, toSeq: number, openim = 'not-asked' as const): SeqEvent => ({
    kind: 'gap',
    fromSeq,
    toSeq,
    openim,
    revokes: [],
  });

  it('puts each run of events right before the message whose seq follows it', () => {
    // GIVEN seqs 1, 2, 5 and 9 received; 3 a gap, 4 a notification, 6-8 a gap OpenIM no longer has
    const events: SeqEvent[] = [
      gap(3, 3),
      { kind: 'notification', fromSeq: 4, toSeq: 4, contentTypes: [1510] },
      { kind: 'gap', fromSeq: 6, toSeq: 7, openim: 'openim-no-longer-has', revokes: [] },
      { kind: 'deleted', fromSeq: 8, toSeq: 8 },
    ];

    // WHEN
    const markup = page([stored(1), stored(2), stored(5), stored(9)], { events });

    // THEN
    expect(rows(markup).map((r) => r.replace(/^\d\d:\d\d:\d\d \w+ \w+ /, ''))).toEqual([
      'seq 1 record message 1',
      'seq 2 record message 2',
      'Seq 3 never received · not asked of OpenIM yet (npm run reconcile asks it)',
      'Seq 4: a notification (member joined), not a chat message',
      'seq 5 record message 5',
      'Seqs 6–7 never received · a reconcile asked OpenIM, which no longer has them',
      'Seq 8: deleted in OpenIM',
      'seq 9 record message 9',
    ]);
  });

  it('shows each event once across pages: on the page of the message after it, the tail last', () => {
    // GIVEN seqs 1-2 on page one and 6 on page two, a gap 3-5 and notifications 7-8 after
    const events: SeqEvent[] = [
      gap(3, 5),
      { kind: 'notification', fromSeq: 7, toSeq: 8, contentTypes: [1504, 1599] },
    ];
    const first = page([stored(1), stored(2)], {
      events,
      newer: { sentAt: SENT + 2_000, serverMsgID: 'm002' },
    });
    const second = page([stored(6)], {
      events,
      older: { sentAt: SENT + 6_000, serverMsgID: 'm006' },
    });

    expect(rows(first).filter((r) => !r.includes('record'))).toEqual([]);
    expect(rows(second).filter((r) => !r.includes('record'))).toEqual([
      'Seqs 3–5 never received · not asked of OpenIM yet (npm run reconcile asks it)',
      'Seqs 7–8: notifications (member left, type 1599), not a chat message',
    ]);
  });

  it('puts a gap from seq 1 first, and lets messages without a seq anchor nothing', () => {
    const markup = page([stored(0), stored(3)], { events: [gap(1, 2)] });

    expect(rows(markup).map((r) => r.replace(/^\d\d:\d\d:\d\d \w+ \w+ /, ''))).toEqual([
      'no seq yet record message 0',
      'Seqs 1–2 never received · not asked of OpenIM yet (npm run reconcile asks it)',
      'seq 3 record message 3',
    ]);
  });

  it('names the revokes the archive holds for seqs whose messages never came', () => {
    const markup = page([stored(3)], {
      events: [
        {
          kind: 'gap',
          fromSeq: 1,
          toSeq: 2,
          openim: 'not-asked',
          revokes: [{ seq: 2, revokedBy: 'admin', revokedAt: Date.parse('2025-05-09T15:00:00Z') }],
        },
      ],
    });

    expect(rows(markup)[0]).toBe(
      'Seqs 1–2 never received · not asked of OpenIM yet (npm run reconcile asks it) Seq 2 was revoked by admin at 2025-05-09 15:00:00 UTC; its message never arrived.',
    );
  });
});

describe('pages', () => {
  it('links to the pages beside this one, keeping the time range, and to none that is not there', () => {
    const older = { sentAt: SENT, serverMsgID: 'm~1 +&' };
    const newer = { sentAt: SENT + 99, serverMsgID: 'm100' };
    const view: TranscriptView = {
      listing: LISTING,
      range: { from: '2025-05-09', to: '2025-05-10T12:00' },
      start: { kind: 'after', position: older },
      page: { messages: [stored(1)], older, newer },
      rows: [{ kind: 'message', message: stored(1) }],
      claimed: new Map(),
    };

    const markup = transcriptPage(view, CONTEXT).text;
    const lastPage = page([stored(1)]);

    const query = 'a=alice&amp;b=bob&amp;from=2025-05-09&amp;to=2025-05-10T12%3A00';
    expect(markup).toContain(
      `href="/transcript/conversation?${query}&amp;before=${SENT}%7Em%7E1+%2B%26" rel="prev">‹ Older</a>`,
    );
    expect(markup).toContain(
      `href="/transcript/conversation?${query}&amp;after=${SENT + 99}%7Em100" rel="next">Newer ›</a>`,
    );
    expect(markup).toContain(`href="/transcript/conversation?${query}&amp;newest=1">Newest »</a>`);
    expect(lastPage).toContain('<span class="off">‹ Older</span>');
    expect(lastPage).toContain('<span class="off">Newer ›</span>');
  });

  it('reads back the positions and time bounds its links and forms carry', () => {
    const position = { sentAt: -5, serverMsgID: 'id~with~tildes' };
    expect(parsePosition(formatPosition(position))).toEqual(position);
    expect(parsePosition('nonsense')).toBeUndefined();
    expect(new URL(listingHref({ kind: 'day', day: '2025-05-09' }), 'http://x').search).toBe(
      '?day=2025-05-09',
    );

    expect(parseBound('2025-05-09', { end: false })).toBe(Date.parse('2025-05-09T00:00:00Z'));
    expect(parseBound('2025-05-09', { end: true })).toBe(Date.parse('2025-05-09T23:59:59.999Z'));
    expect(parseBound('2025-05-09T13:37', { end: true })).toBe(
      Date.parse('2025-05-09T13:37:59.999Z'),
    );
    expect(parseBound('13:37', { end: false, day: '2025-05-09' })).toBe(
      Date.parse('2025-05-09T13:37:00Z'),
    );
    expect(() => parseBound('yesterday', { end: false })).toThrow(/give a UTC day like/);
    expect(() => parseBound('13:37', { end: false })).toThrow(/is not a time/);
  });

  it('says when a page has no messages, and what the error page asks to check', () => {
    expect(page([])).toContain('<p class="empty">No messages here.</p>');
    const problem = problemPage(
      {
        status: 503,
        title: 'The archive cannot be read',
        problem: 'The local engine is not running <now>',
        checks: [html`Start it: <code>npm start</code>`],
      },
      undefined,
    ).text;
    expect(problem).toContain('<p class="problem">The local engine is not running &lt;now&gt;</p>');
    expect(problem).toContain('<li>Start it: <code>npm start</code></li>');
  });
});

/**
 * The transcript's HTML: server-rendered pages and their stylesheet, no script. Everything a
 * message holds is untrusted (content, nicknames, IDs, unknown fields), so every value goes
 * through {@link html}, which escapes whatever is not already HTML built by it; nothing is ever
 * put into a page as it came.
 */
import { singleConversationId } from '../lambda/callbacks/after-send-single-msg.ts';
import type { StoredMessage } from './message-queries.ts';
import {
  type Listing,
  type MessagePage,
  type PageStart,
  type Position,
  positionOf,
} from './transcript-pages.ts';
import type { ClaimedSeq, SeqEvent, TranscriptRow } from './transcript-seqs.ts';

/** Markup that is safe to put into a page as it is: built by {@link html} alone. */
export class Html {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

/** What a template may hold: markup, text to escape, or nothing. */
export type Fragment = Html | string | number | false | null | undefined | readonly Fragment[];

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as HTML text or attribute value: `& < > " '` escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** A fragment as markup: text escaped, lists joined, nothing for `false`, `null`, `undefined`. */
function render(fragment: Fragment): string {
  if (fragment === undefined || fragment === null || fragment === false) return '';
  if (fragment instanceof Html) return fragment.text;
  if (Array.isArray(fragment)) return fragment.map(render).join('');
  return escapeHtml(String(fragment));
}

/** A template of markup whose every value is escaped unless it is {@link Html} itself. */
export function html(strings: TemplateStringsArray, ...values: readonly Fragment[]): Html {
  let text = strings[0] ?? '';
  values.forEach((value, i) => {
    text += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(text);
}

/** Where the transcript's pages live on the console's server. */
export const TRANSCRIPT_ROOT = '/transcript';

/** The stylesheet's path: a file of its own, as the Content-Security-Policy allows no inline style. */
export const STYLESHEET_PATH = `${TRANSCRIPT_ROOT}/style.css`;

/** A time range as typed in the form, UTC: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]`, or `HH:MM` for a day. */
export interface RangeText {
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

/** A position in a link: `sentAt~serverMsgID`. */
export function formatPosition({ sentAt, serverMsgID }: Position): string {
  return `${sentAt}~${serverMsgID}`;
}

/** A position from a link, or `undefined` if it is not one. */
export function parsePosition(text: string): Position | undefined {
  const match = /^(-?\d{1,16})~(.+)$/s.exec(text);
  if (!match) return undefined;
  return { sentAt: Number(match[1]), serverMsgID: match[2] as string };
}

/** The link to a page of a listing. */
export function listingHref(
  listing: Listing,
  range: RangeText = {},
  start: PageStart = { kind: 'oldest' },
): string {
  const params = new URLSearchParams();
  switch (listing.kind) {
    case 'conversation':
      params.set('a', listing.userA);
      params.set('b', listing.userB);
      break;
    case 'group':
      params.set('id', listing.groupID);
      break;
    case 'sent':
    case 'received':
      params.set('user', listing.user);
      break;
    case 'day':
      params.set('day', listing.day);
      break;
  }
  if (range.from) params.set('from', range.from);
  if (range.to) params.set('to', range.to);
  if (start.kind === 'newest') params.set('newest', '1');
  else if (start.kind !== 'oldest') params.set(start.kind, formatPosition(start.position));
  return `${TRANSCRIPT_ROOT}/${listing.kind}?${params}`;
}

/** The link to a message's own page. */
export function messageHref(serverMsgID: string): string {
  return `${TRANSCRIPT_ROOT}/message?${new URLSearchParams({ id: serverMsgID })}`;
}

/** A time in ms as `2025-05-09 13:37:28 UTC`, or with milliseconds. */
export function utcDateTime(ms: number, { millis = false } = {}): string {
  if (!Number.isFinite(ms)) return String(ms);
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, millis ? 23 : 19)} UTC`;
}

/** A day heading: `Friday, 9 May 2025`. */
function dayHeading(ms: number): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: 'UTC',
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  }).format(new Date(ms));
}

/** OpenIM's chat content types (its `constant` package), as a reader names them. */
const CONTENT_TYPES: Readonly<Record<number, string>> = {
  101: 'text',
  102: 'picture',
  103: 'voice message',
  104: 'video',
  105: 'file',
  106: 'text with mentions',
  107: 'forwarded messages',
  108: 'contact card',
  109: 'location',
  110: 'custom message',
  111: 'revoke',
  113: 'typing',
  114: 'quote',
  115: 'sticker',
  117: 'formatted text',
  119: 'custom message',
  120: 'custom message',
  121: 'reaction',
  122: 'reaction removed',
};

/** Content types whose content carries text to read: `content` or `text` in its JSON. */
const TEXT_TYPES = new Set([101, 106, 114, 117]);

/** OpenIM's notification types a reconcile may find at a seq, as a reader names them. */
const NOTIFICATION_TYPES: Readonly<Record<number, string>> = {
  1201: 'friend request accepted',
  1202: 'friend request rejected',
  1203: 'friend request',
  1204: 'friend added',
  1205: 'friend deleted',
  1501: 'group created',
  1502: 'group info changed',
  1503: 'request to join',
  1504: 'member left',
  1505: 'join request accepted',
  1506: 'join request rejected',
  1507: 'owner changed',
  1508: 'member removed',
  1509: 'member invited',
  1510: 'member joined',
  1511: 'group dismissed',
  1512: 'member muted',
  1513: 'member unmuted',
  1514: 'group muted',
  1515: 'group unmuted',
  1516: 'member info changed',
  1517: 'member made admin',
  1518: 'admin made member',
  1519: 'announcement changed',
  1520: 'group renamed',
  2101: 'revoke notice',
  2102: 'messages deleted',
};

/** How a message's content reads: its text, or its kind with a detail and the raw JSON. */
export interface ContentView {
  /** What it is: `text`, `picture`, `file`, … or `type 1234`. */
  readonly kind: string;
  /** The text a person wrote, for text messages. */
  readonly text?: string;
  /** A detail of other kinds: a file's name, a location's description. */
  readonly detail?: string;
  /** The content as stored; absent when redacted. */
  readonly raw?: string;
}

/** A JSON object's string field, if it has one. */
function field(value: unknown, name: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const found = (value as Record<string, unknown>)[name];
  return typeof found === 'string' && found !== '' ? found : undefined;
}

/** How a stored message's content reads (see {@link ContentView}). */
export function contentView(message: StoredMessage): ContentView {
  const type = Number(message.contentType);
  const kind = CONTENT_TYPES[type] ?? `type ${message.contentType ?? 'unknown'}`;
  if (typeof message.content !== 'string') return { kind };
  const raw = message.content;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // Not JSON: a text message shows it as it is, any other kind only raw.
    return TEXT_TYPES.has(type) ? { kind, text: raw, raw } : { kind, raw };
  }
  if (TEXT_TYPES.has(type)) {
    const text = field(parsed, 'content') ?? field(parsed, 'text');
    return text === undefined ? { kind, raw } : { kind, text, raw };
  }
  const detail =
    type === 105
      ? field(parsed, 'fileName')
      : type === 109
        ? field(parsed, 'description')
        : type === 108
          ? [field(parsed, 'nickname'), field(parsed, 'userID')].filter(Boolean).join(' · ')
          : type === 107
            ? field(parsed, 'title')
            : type === 110
              ? field(parsed, 'description')
              : undefined;
  return detail ? { kind, detail, raw } : { kind, raw };
}

/** What every page shows of where it reads. */
export interface PageContext {
  /** Where the tables are, in words: the local engine's address, or the stack. */
  readonly source: string;
}

/** A whole page around `body`. */
export function layout(title: string, context: PageContext | undefined, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · OpenIM archive</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<header class="site"><a class="home" href="${TRANSCRIPT_ROOT}">OpenIM archive</a>
<span class="source">${context ? `read-only · ${context.source} · times in UTC` : 'read-only'}</span></header>
<main>
${body}
</main>
</body>
</html>
`;
}

/** The start page: a form for each way to pick messages. */
export function startPage(context: PageContext): Html {
  const range = html`<div class="range"><label>From (UTC) <input type="datetime-local" name="from"></label>
<label>to (UTC) <input type="datetime-local" name="to"></label></div>`;
  return layout(
    'Read the archive',
    context,
    html`<h1>Read the archive</h1>
<p class="lead">Messages in send order, as a transcript. Pick what to read; the time range is optional.</p>
<div class="forms">
<form action="${TRANSCRIPT_ROOT}/conversation" method="get"><fieldset><legend>A one-to-one conversation</legend>
<div class="pair"><label>User ID <input name="a" required autocomplete="off"></label>
<label>and user ID <input name="b" required autocomplete="off"></label></div>
${range}<button>Show the conversation</button></fieldset></form>
<form action="${TRANSCRIPT_ROOT}/group" method="get"><fieldset><legend>A group</legend>
<label>Group ID <input name="id" required autocomplete="off"></label>
${range}<button>Show the group</button></fieldset></form>
<form action="${TRANSCRIPT_ROOT}/sent" method="get"><fieldset><legend>What a user sent</legend>
<label>User ID <input name="user" required autocomplete="off"></label>
${range}<button>Show what they sent</button></fieldset></form>
<form action="${TRANSCRIPT_ROOT}/received" method="get"><fieldset><legend>What a user received (one-to-one)</legend>
<label>User ID <input name="user" required autocomplete="off"></label>
${range}<button>Show what they received</button></fieldset></form>
<form action="${TRANSCRIPT_ROOT}/day" method="get"><fieldset><legend>One day</legend>
<label>Day (UTC) <input type="date" name="day" required></label>
<div class="range"><label>From <input type="time" name="from"></label>
<label>to <input type="time" name="to"></label></div>
<button>Show the day</button></fieldset></form>
<form action="${TRANSCRIPT_ROOT}/message" method="get"><fieldset><legend>One message</legend>
<label>serverMsgID <input name="id" required autocomplete="off"></label>
<button>Show the message</button></fieldset></form>
</div>`,
  );
}

/** A listing's heading, in words. */
function listingTitle(listing: Listing): string {
  switch (listing.kind) {
    case 'conversation':
      return `Conversation of ${listing.userA} and ${listing.userB}`;
    case 'group':
      return `Group ${listing.groupID}`;
    case 'sent':
      return `Sent by ${listing.user}`;
    case 'received':
      return `Received by ${listing.user} (one-to-one)`;
    case 'day':
      return `Messages of ${listing.day} (UTC)`;
  }
}

/** A sender: nickname and ID. */
function sender(message: StoredMessage): Html {
  const id = String(message.sendID ?? '');
  const nickname = typeof message.senderNickname === 'string' ? message.senderNickname : '';
  return html`<span class="sender">${nickname ? html`<b>${nickname}</b> ` : ''}<span class="uid">${id}</span></span>`;
}

/** Where a message went, for listings across conversations: a link to its conversation. */
function destination(message: StoredMessage, position: Position): Html {
  if (typeof message.groupID === 'string' && message.groupID !== '') {
    const href = listingHref(
      { kind: 'group', groupID: message.groupID },
      {},
      {
        kind: 'at',
        position,
      },
    );
    return html`<span class="to">in group <a href="${href}">${message.groupID}</a></span>`;
  }
  const recvID = String(message.recvID ?? '');
  const href = listingHref(
    { kind: 'conversation', userA: String(message.sendID ?? ''), userB: recvID },
    {},
    { kind: 'at', position },
  );
  return html`<span class="to">to <a href="${href}">${recvID}</a></span>`;
}

/** A time attribute in words, when it is one. */
function when(value: unknown): string {
  return typeof value === 'number' ? utcDateTime(value) : 'an unknown time';
}

/** The body of a message: its text, or its kind with the raw content one click away. */
function messageBody(message: StoredMessage): Html {
  const view = contentView(message);
  if (view.raw === undefined) {
    return message.redactedAt !== undefined
      ? html`<p class="kind gone">content redacted</p>`
      : html`<p class="kind gone">${view.kind}, no content</p>`;
  }
  if (view.text !== undefined) {
    return html`<p class="text">${view.text}</p>${
      view.kind === 'text'
        ? ''
        : html`<details><summary>${view.kind}: raw content</summary><pre>${view.raw}</pre></details>`
    }`;
  }
  return html`<p class="kind"><span class="type">${view.kind}</span>${view.detail ? html` <span class="detail">${view.detail}</span>` : ''}</p>
<details><summary>raw content</summary><pre>${view.raw}</pre></details>`;
}

/** The marks of a message: revoked, recovered, redacted, a seq it claimed in vain. */
function marks(message: StoredMessage, claimed: ClaimedSeq | undefined): Html {
  return html`${
    message.revokedBy !== undefined
      ? html`<p class="mark mark-revoked"><strong>Revoked</strong> by ${String(message.revokedBy)} at ${when(message.revokedAt)}.${message.redactedAt === undefined ? ' The archive keeps the original content.' : ''}</p>`
      : ''
  }${
    message.recoveredAt !== undefined
      ? html`<p class="mark mark-recovered"><strong>Recovered</strong> on ${when(message.recoveredAt)} by a reconcile from OpenIM’s API: no callback brought it.</p>`
      : ''
  }${
    message.redactedAt !== undefined
      ? html`<p class="mark mark-redacted"><strong>Redacted</strong> on ${when(message.redactedAt)}: its content was removed from the archive.</p>`
      : ''
  }${
    claimed
      ? html`<p class="mark mark-conflict"><strong>Seq conflict</strong>: seq ${claimed.seq} stays with <a href="${messageHref(claimed.heldBy)}">${claimed.heldBy}</a>, which had it first.</p>`
      : ''
  }`;
}

/** One message as a transcript shows it; `across` adds where it went. */
function messageItem(
  message: StoredMessage,
  { across, claimed }: { across: boolean; claimed: ClaimedSeq | undefined },
): Html {
  const position = positionOf(message);
  const seq = Number(message.seq ?? 0);
  const classes = [
    'msg',
    message.revokedBy !== undefined && 'revoked',
    message.recoveredAt !== undefined && 'recovered',
    message.redactedAt !== undefined && 'redacted',
  ]
    .filter(Boolean)
    .join(' ');
  const iso = Number.isFinite(position.sentAt) ? new Date(position.sentAt).toISOString() : '';
  return html`<li class="${classes}">
<div class="meta"><time datetime="${iso}" title="${utcDateTime(position.sentAt, { millis: true })}">${iso.slice(11, 19)}</time>
${sender(message)}${across ? html` ${destination(message, position)}` : ''}
<span class="seq" title="${seq > 0 ? 'its seq in the conversation' : 'only the after-send callback came: its seq is not known yet'}">${seq > 0 ? `seq ${seq}` : 'no seq yet'}</span>
<a class="record" href="${messageHref(position.serverMsgID)}">record</a></div>
${messageBody(message)}
${marks(message, claimed)}</li>`;
}

/** Seqs as `seq 7` or `seqs 41–44`. */
function seqRange(fromSeq: number, toSeq: number): string {
  return fromSeq === toSeq ? `seq ${fromSeq}` : `seqs ${fromSeq}–${toSeq}`;
}

/** A gap, a notification or a deleted slot, in place. */
function seqItem(event: SeqEvent): Html {
  const range = seqRange(event.fromSeq, event.toSeq);
  const Range = range.charAt(0).toUpperCase() + range.slice(1);
  switch (event.kind) {
    case 'gap':
      return html`<li class="seqs gap"><strong>${Range} never received</strong> · ${
        event.openim === 'openim-no-longer-has'
          ? 'a reconcile asked OpenIM, which no longer has them'
          : 'not asked of OpenIM yet (npm run reconcile asks it)'
      }${event.revokes.map(
        (r) =>
          html`<br>Seq ${r.seq} was revoked by ${r.revokedBy} at ${when(r.revokedAt)}; its message never arrived.`,
      )}</li>`;
    case 'notification': {
      const names = event.contentTypes.map((t) => NOTIFICATION_TYPES[t] ?? `type ${t}`);
      return html`<li class="seqs notification">${Range}: ${
        event.fromSeq === event.toSeq ? 'a notification' : 'notifications'
      }${names.length > 0 ? ` (${names.join(', ')})` : ''}, not a chat message</li>`;
    }
    case 'deleted':
      return html`<li class="seqs deleted">${Range}: deleted in OpenIM</li>`;
  }
}

/** Everything a transcript page shows. */
export interface TranscriptView {
  readonly listing: Listing;
  readonly range: RangeText;
  readonly start: PageStart;
  readonly page: MessagePage;
  /** The page's messages, with seq events in place for a conversation or a group. */
  readonly rows: readonly TranscriptRow[];
  /** Messages that claimed a seq another message holds. */
  readonly claimed: ReadonlyMap<string, ClaimedSeq>;
  /** Set when gaps cannot be shown, with why. */
  readonly seqNotice?: string | undefined;
}

/** The links to the pages beside this one. */
function pageLinks(view: TranscriptView, count: number): Html {
  const { listing, range, page } = view;
  const link = (label: string, start: PageStart | undefined, rel?: string) =>
    start
      ? html`<a href="${listingHref(listing, range, start)}"${rel ? html` rel="${rel}"` : ''}>${label}</a>`
      : html`<span class="off">${label}</span>`;
  return html`<nav class="pages" aria-label="pages">
<span>${link('« Oldest', page.older && { kind: 'oldest' })}
${link('‹ Older', page.older && { kind: 'before', position: page.older }, 'prev')}</span>
<span class="count">${count === 0 ? 'no messages' : count === 1 ? '1 message' : `${count} messages`} on this page</span>
<span>${link('Newer ›', page.newer && { kind: 'after', position: page.newer }, 'next')}
${link('Newest »', page.newer && { kind: 'newest' })}</span></nav>`;
}

/** Rows with a heading wherever the UTC day changes. */
function withDays(rows: readonly TranscriptRow[], item: (row: TranscriptRow) => Html): Html[] {
  const out: Html[] = [];
  let day: string | undefined;
  for (const row of rows) {
    if (row.kind === 'message') {
      const sentAt = Number(row.message.sentAt);
      const today = Number.isFinite(sentAt) ? new Date(sentAt).toISOString().slice(0, 10) : '';
      if (today !== day) {
        day = today;
        out.push(html`<li class="day"><h2>${today ? dayHeading(sentAt) : 'unknown day'}</h2></li>`);
      }
    }
    out.push(item(row));
  }
  return out;
}

/** A page of a transcript. */
export function transcriptPage(view: TranscriptView, context: PageContext): Html {
  const title = listingTitle(view.listing);
  const across = view.listing.kind !== 'conversation' && view.listing.kind !== 'group';
  const count = view.page.messages.length;
  const rangeText =
    view.range.from || view.range.to
      ? `From ${view.range.from ?? 'the start'} to ${view.range.to ?? 'the end'} (UTC).`
      : '';
  const conversation =
    view.listing.kind === 'conversation'
      ? html` <code>${singleConversationId(1, view.listing.userA, view.listing.userB)}</code>`
      : '';
  return layout(
    title,
    context,
    html`<h1>${title}</h1>
<p class="lead">${conversation ? html`Conversation${conversation}. ` : ''}${rangeText ? `${rangeText} ` : ''}In send order, oldest first. <a href="${TRANSCRIPT_ROOT}">Pick other messages</a></p>
${view.seqNotice ? html`<p class="notice">${view.seqNotice}</p>` : ''}
${pageLinks(view, count)}
<ol class="transcript">
${withDays(view.rows, (row) =>
  row.kind === 'message'
    ? messageItem(row.message, {
        across,
        claimed: view.claimed.get(String(row.message.serverMsgID)),
      })
    : seqItem(row.event),
)}
</ol>
${count === 0 ? html`<p class="empty">No messages here${rangeText ? ' in this time range' : ''}.</p>` : ''}
${count > 0 ? pageLinks(view, count) : ''}`,
  );
}

/** Attributes that hold a time in ms. */
const TIME_ATTRIBUTES = new Set([
  'sentAt',
  'receivedAt',
  'revokedAt',
  'recoveredAt',
  'redactedAt',
  'sendTime',
  'createTime',
  'reconciledAt',
  'newestSendTime',
]);

/** An attribute's value as stored: strings as they are, others as JSON, times also in words. */
function attributeValue(name: string, value: unknown): Html {
  if (typeof value === 'string') return html`<pre>${value}</pre>`;
  const json =
    value instanceof Set
      ? JSON.stringify([...value].map(String).sort())
      : JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v), 2);
  const time =
    TIME_ATTRIBUTES.has(name) && typeof value === 'number' && value > 0
      ? html` <span class="when">${utcDateTime(value, { millis: true })}</span>`
      : '';
  return html`<pre>${json ?? String(value)}</pre>${time}`;
}

/** Every attribute of an item, by name, as a table. */
function attributeTable(item: Record<string, unknown>, label: string): Html {
  const names = Object.keys(item).sort();
  return html`<table class="record" aria-label="${label}"><tbody>
${names.map((name) => html`<tr><th scope="row">${name}</th><td>${attributeValue(name, item[name])}</td></tr>`)}
</tbody></table>`;
}

/** What a message's own page shows. */
export interface MessageView {
  readonly message: StoredMessage;
  readonly previous?: StoredMessage | undefined;
  readonly next?: StoredMessage | undefined;
  /** Its item in the seqs table, when it has a seq and the table is known. */
  readonly seqItem?: Record<string, unknown> | undefined;
  /** Set when it claimed a seq another message holds. */
  readonly claimed?: ClaimedSeq | undefined;
}

/** A neighbour as a link, with when, who, and the start of what. */
function neighbourItem(label: string, message: StoredMessage | undefined, rel: string): Html {
  if (!message)
    return html`<li><span class="off">${label}</span> <span class="preview">none</span></li>`;
  const view = contentView(message);
  const what = view.text ?? view.kind;
  const short = what.length > 80 ? `${what.slice(0, 79)}…` : what;
  return html`<li><a rel="${rel}" href="${messageHref(String(message.serverMsgID))}">${label}</a>
<span class="preview">${utcDateTime(Number(message.sentAt))} · ${String(message.sendID ?? '')} · ${short}</span></li>`;
}

/** A message's own page: the message, every attribute, its seq item, its neighbours. */
export function messagePage(view: MessageView, context: PageContext): Html {
  const { message } = view;
  const id = String(message.serverMsgID);
  const position = positionOf(message);
  const listing: Listing | undefined =
    typeof message.groupID === 'string' && message.groupID !== ''
      ? { kind: 'group', groupID: message.groupID }
      : typeof message.recvID === 'string'
        ? { kind: 'conversation', userA: String(message.sendID ?? ''), userB: message.recvID }
        : undefined;
  return layout(
    `Message ${id}`,
    context,
    html`<h1>Message <code>${id}</code></h1>
<nav class="neighbours" aria-label="neighbours in the conversation"><ul>
${neighbourItem('‹ Previous', view.previous, 'prev')}
${neighbourItem('Next ›', view.next, 'next')}
${listing ? html`<li><a href="${listingHref(listing, {}, { kind: 'at', position })}">This message in its transcript</a></li>` : ''}
</ul></nav>
<ol class="transcript">${messageItem(message, { across: true, claimed: view.claimed })}</ol>
<h2>Every attribute, as stored</h2>
${attributeTable(message, 'the stored record')}
${view.seqItem ? html`<h2>Its seq, in the seqs table</h2>${attributeTable(view.seqItem, 'the seq item')}` : ''}`,
  );
}

/** What an error page says: what went wrong, and what to do about it. */
export interface ProblemView {
  readonly status: number;
  readonly title: string;
  /** What went wrong, in one or two sentences. */
  readonly problem: string;
  /** What to start, set or check, one item each. */
  readonly checks?: readonly Html[];
}

/** An error page: no stack trace, no raw error, what to do. */
export function problemPage(view: ProblemView, context: PageContext | undefined): Html {
  return layout(
    view.title,
    context,
    html`<h1>${view.title}</h1>
<p class="problem">${view.problem}</p>
${
  view.checks && view.checks.length > 0
    ? html`<h2>What to check</h2><ul class="checks">${view.checks.map((c) => html`<li>${c}</li>`)}</ul>
<p>Then reload this page.</p>`
    : ''
}
<p><a href="${TRANSCRIPT_ROOT}">Back to the start</a></p>`,
  );
}

/** The stylesheet: readable at 1400 px and on a phone, long content wraps, no horizontal scroll. */
export const TRANSCRIPT_CSS = `:root {
  color-scheme: light;
  --fg: #1d2430; --muted: #5a6472; --line: #d8dde5; --bg: #f4f6f9; --card: #fff;
  --link: #1b58b8; --revoked: #a4262c; --recovered: #1e6b3a; --redacted: #6b4d12;
  --conflict: #6a3fa0; --gap: #8a5300; --gap-bg: #fff6e0;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); overflow-wrap: anywhere; }
a { color: var(--link); }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.875em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-word; margin: 0; }
header.site { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; align-items: baseline; padding: 0.6rem 1rem; background: var(--card); border-bottom: 1px solid var(--line); }
header.site .home { font-weight: 700; text-decoration: none; color: var(--fg); }
header.site .source { color: var(--muted); font-size: 0.875rem; }
main { max-width: 64rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: 0.5rem 0; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 0.5rem; }
.lead { color: var(--muted); margin-top: 0; }
.notice, .problem { background: var(--gap-bg); border: 1px solid #e8c98a; border-radius: 6px; padding: 0.6rem 0.8rem; }
.problem { font-size: 1.05rem; }
.checks li { margin: 0.4rem 0; }
.forms { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 28rem), 1fr)); gap: 1rem; }
fieldset { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 0.75rem 1rem 1rem; margin: 0; min-width: 0; }
legend { font-weight: 600; padding: 0 0.25rem; }
label { display: inline-flex; flex-direction: column; font-size: 0.875rem; color: var(--muted); margin: 0.25rem 0.75rem 0.25rem 0; max-width: 100%; }
input { font: inherit; color: var(--fg); padding: 0.3rem 0.45rem; border: 1px solid #b9c1cd; border-radius: 4px; max-width: 100%; }
.pair, .range { display: flex; flex-wrap: wrap; }
button { font: inherit; margin-top: 0.5rem; padding: 0.35rem 0.9rem; border: 1px solid var(--link); border-radius: 4px; background: var(--link); color: #fff; cursor: pointer; }
nav.pages { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; justify-content: space-between; align-items: baseline; margin: 0.75rem 0; }
nav.pages span { display: inline-flex; gap: 0.75rem; }
.off { color: #9aa3af; }
nav.neighbours ul { list-style: none; margin: 0.75rem 0; padding: 0; }
nav.neighbours li { margin: 0.25rem 0; }
nav.neighbours a { font-weight: 600; }
.preview { color: var(--muted); font-size: 0.875rem; margin-left: 0.4rem; }
.count { color: var(--muted); font-size: 0.875rem; }
ol.transcript { list-style: none; margin: 0; padding: 0; }
li.day h2 { font-size: 0.95rem; color: var(--muted); margin: 1.25rem 0 0.25rem; padding-bottom: 0.2rem; border-bottom: 1px solid var(--line); }
li.msg { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 0.5rem 0.8rem; margin: 0.5rem 0; }
li.msg.revoked { border-left: 4px solid var(--revoked); }
li.msg.recovered { border-left: 4px solid var(--recovered); }
li.msg.redacted { border-left: 4px solid var(--redacted); }
.meta { display: flex; flex-wrap: wrap; gap: 0.15rem 0.75rem; align-items: baseline; font-size: 0.875rem; color: var(--muted); }
.meta time { font-variant-numeric: tabular-nums; color: var(--fg); }
.sender b { color: var(--fg); }
.uid { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.8rem; }
.seq { margin-left: auto; font-variant-numeric: tabular-nums; }
.text { white-space: pre-wrap; margin: 0.3rem 0; font-size: 1rem; }
.kind { margin: 0.3rem 0; }
.kind.gone { color: var(--muted); font-style: italic; }
fieldset > button { display: block; }
.kind .type { display: inline-block; padding: 0 0.45rem; border-radius: 999px; background: #e6ecf5; color: #274a7a; font-size: 0.85rem; }
.kind .detail { font-size: 0.9rem; }
details { margin: 0.25rem 0; font-size: 0.875rem; }
details summary { cursor: pointer; color: var(--link); }
details pre { background: #f0f3f7; border-radius: 4px; padding: 0.4rem 0.6rem; margin-top: 0.25rem; }
.mark { margin: 0.35rem 0 0; padding: 0.15rem 0.5rem; font-size: 0.875rem; border-left: 3px solid; background: #fafbfc; }
.mark-revoked { border-color: var(--revoked); color: var(--revoked); }
.mark-recovered { border-color: var(--recovered); color: var(--recovered); }
.mark-redacted { border-color: var(--redacted); color: var(--redacted); }
.mark-conflict { border-color: var(--conflict); color: var(--conflict); }
li.seqs { margin: 0.5rem 0; padding: 0.4rem 0.8rem; border-radius: 8px; font-size: 0.9rem; }
li.gap { border: 1px dashed var(--gap); color: var(--gap); background: var(--gap-bg); }
li.notification, li.deleted { border: 1px dashed #aab3c0; color: var(--muted); background: #f7f8fa; }
.empty { color: var(--muted); }
table.record { width: 100%; table-layout: fixed; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); }
table.record th, table.record td { text-align: left; vertical-align: top; padding: 0.35rem 0.6rem; border-top: 1px solid var(--line); overflow-wrap: anywhere; }
table.record th { width: 11rem; font-weight: 600; font-size: 0.875rem; }
table.record .when { color: var(--muted); font-size: 0.8rem; }
@media (max-width: 40rem) {
  main { padding: 0.6rem; }
  .seq { margin-left: 0; }
  table.record th, table.record td { display: block; width: auto; }
  table.record td { border-top: 0; padding-top: 0; }
}
`;

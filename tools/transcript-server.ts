/**
 * The transcript's HTTP handler: read-only pages of the archive under `/transcript`, for
 * `npm run console`. It answers GET and HEAD only, sends only reads to DynamoDB (its client
 * refuses anything else), and puts a Content-Security-Policy without any script on every answer,
 * so that a message's content, escaped always, could not run even if an escape were missed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { findBySeq, findMessage, type QueryTarget, type TimeWindow } from './message-queries.ts';
import { describeFailure, errorName, type FailureContext } from './tool-failure.ts';
import {
  type Html,
  messagePage,
  parsePosition,
  problemPage,
  type RangeText,
  STYLESHEET_PATH,
  startPage,
  TRANSCRIPT_CSS,
  TRANSCRIPT_ROOT,
  transcriptPage,
} from './transcript-html.ts';
import {
  conversationsOf,
  type Listing,
  listingOf,
  neighbours,
  PAGE_SIZE,
  type PageStart,
  positionOf,
  readPage,
} from './transcript-pages.ts';
import { type ClaimedSeq, placeSeqEvents, readSeqNotes, type SeqNotes } from './transcript-seqs.ts';

/** The tables the transcript reads, and how to say where they are. */
export interface TranscriptTarget extends QueryTarget {
  /** Where the tables are, in words, for every page's header. */
  readonly source: string;
}

/** What to tell a person whose archive cannot be read: where it looked, and what to check. */
export interface TargetHelp {
  /** The checks to list on the error page, each a line of HTML. */
  readonly checks: readonly Html[];
  /** Explains a failure in words (the tools' own explanations). */
  readonly context: FailureContext;
  /** What a missing table means here, for the tables asked (when known). */
  readonly missingTable: (asked: TranscriptTarget | undefined) => string;
}

/** Answers with a page (or `type`), under {@link SECURITY_HEADERS}. */
export function sendPage(
  response: ServerResponse,
  status: number,
  body: string,
  type = 'text/html; charset=utf-8',
  extra: Record<string, string> = {},
): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    ...extra,
  });
  response.end(body);
}

/** The 503 page for an archive that cannot be read: the problem, and what to check. */
export function unreadablePage(problem: string, help: TargetHelp): Html {
  return problemPage(
    { status: 503, title: 'The archive cannot be read', problem, checks: help.checks },
    undefined,
  );
}

/** Options for {@link createTranscriptHandler}. */
export interface TranscriptOptions {
  /** The tables, resolved when first needed and again after a failure (a stack is read then). */
  readonly target: () => Promise<TranscriptTarget>;
  /** What to say when the tables cannot be read. */
  readonly help: TargetHelp;
  /** Messages per page. @default PAGE_SIZE */
  readonly pageSize?: number;
  /** Where a failure is logged, one line each. @default nothing */
  readonly log?: (line: string) => void;
}

/** The commands the transcript may send: reads, and nothing else. */
const READ_COMMANDS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand']);

/** Clients already guarded, so that a client shared by two handlers is guarded once. */
const guarded = new WeakSet<DynamoDBClient>();

/** Makes `client` refuse every command but a read: this page writes nothing, whatever happens. */
export function readOnly(client: DynamoDBClient): DynamoDBClient {
  if (guarded.has(client)) return client;
  guarded.add(client);
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (!READ_COMMANDS.has(context.commandName ?? '')) {
        throw new Error(`the transcript only reads; it refused ${context.commandName}`);
      }
      return next(args);
    },
    { step: 'initialize', name: 'transcriptReadOnly' },
  );
  return client;
}

/**
 * The headers of every answer. The policy allows the one stylesheet and nothing else: no script
 * at all, inline or remote, no image, no frame, forms only to this server.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'none'; style-src 'self'; form-action 'self'; " +
    "base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  // Message content is personal data: no copy in a browser's or a proxy's cache.
  'cache-control': 'no-store',
};

/** A request the handler refuses, with the page that says why. */
class Refusal extends Error {
  override readonly name = 'Refusal';
  readonly status: number;
  readonly title: string;
  constructor(status: number, title: string, problem: string) {
    super(problem);
    this.status = status;
    this.title = title;
  }
}

/** A required parameter, or a 400 naming it. */
function required(params: URLSearchParams, name: string, what: string): string {
  const value = params.get(name)?.trim();
  if (!value) throw new Refusal(400, 'Something is missing', `Give ${what} (${name}=…).`);
  if (Buffer.byteLength(value) > 512) {
    throw new Refusal(400, 'Not an OpenIM ID', `${name} is longer than any OpenIM ID (512 bytes).`);
  }
  return value;
}

/**
 * A bound of the time range in ms, UTC: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]`, or for a day
 * `HH:MM[:SS]`. An end (`to`) covers its whole day, minute or second.
 */
export function parseBound(
  text: string | undefined,
  { end, day }: { end: boolean; day?: string | undefined },
): number | undefined {
  if (!text) return undefined;
  const time = /^\d{2}:\d{2}(:\d{2})?$/.test(text) && day ? `${day}T${text}` : text;
  const match = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(:\d{2}(?:\.\d{1,3})?)?)?Z?$/.exec(time);
  const ms = match ? Date.parse(`${match[1]}T${match[2] ?? '00:00'}${match[3] ?? ':00'}Z`) : NaN;
  if (!match || Number.isNaN(ms)) {
    throw new Refusal(
      400,
      'Not a time',
      `"${text}" is not a time: give a UTC day like 2025-05-09, a time like 2025-05-09T13:30` +
        `${day ? ', or a time of the day like 13:30' : ''}.`,
    );
  }
  if (!end) return ms;
  const span = match[3] ? 999 : match[2] ? 59_999 : 86_399_999;
  return ms + span;
}

/** The listing a path and its parameters name. */
function listingFrom(kind: string, params: URLSearchParams): Listing | undefined {
  switch (kind) {
    case 'conversation':
      return {
        kind,
        userA: required(params, 'a', 'the first user ID'),
        userB: required(params, 'b', 'the second user ID'),
      };
    case 'group':
      return { kind, groupID: required(params, 'id', 'a group ID') };
    case 'sent':
    case 'received':
      return { kind, user: required(params, 'user', 'a user ID') };
    case 'day': {
      const day = required(params, 'day', 'a day');
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) {
        throw new Refusal(400, 'Not a day', `"${day}" is not a day: give one like 2025-05-09.`);
      }
      return { kind, day };
    }
    default:
      return undefined;
  }
}

/** Where a page starts, from `after`, `at`, `before` or `newest`. */
function startFrom(params: URLSearchParams): PageStart {
  for (const kind of ['after', 'at', 'before'] as const) {
    const text = params.get(kind);
    if (text === null) continue;
    const position = parsePosition(text);
    if (!position) throw new Refusal(400, 'Not a page', `${kind}= does not name a message.`);
    return { kind, position };
  }
  return params.get('newest') ? { kind: 'newest' } : { kind: 'oldest' };
}

/** Whether an error says the table is not there. */
function isMissingTable(error: unknown): boolean {
  return errorName(error) === 'ResourceNotFoundException';
}

/** The handler for `/transcript` and everything under it. */
export function createTranscriptHandler(
  options: TranscriptOptions,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const pageSize = options.pageSize ?? PAGE_SIZE;
  let resolving: Promise<TranscriptTarget> | undefined;
  let asked: TranscriptTarget | undefined;
  const target = async (): Promise<TranscriptTarget> => {
    resolving ??= options.target().then((resolved) => {
      readOnly(resolved.client);
      asked = resolved;
      return resolved;
    });
    try {
      return await resolving;
    } catch (error) {
      // Ask again next time: credentials may be renewed, the engine started, meanwhile.
      resolving = undefined;
      throw error;
    }
  };

  /** Seq notes of the listing's conversations that have a message on the page. */
  const notesFor = async (
    resolved: TranscriptTarget,
    listing: Listing,
    conversationIDs: ReadonlySet<string>,
  ): Promise<Map<string, SeqNotes>> => {
    const notes = new Map<string, SeqNotes>();
    for (const id of conversationsOf(listing)) {
      if (conversationIDs.has(id)) notes.set(id, await readSeqNotes(resolved, id));
    }
    return notes;
  };

  const transcript = async (listing: Listing, params: URLSearchParams): Promise<Html> => {
    const day = listing.kind === 'day' ? listing.day : undefined;
    const range: RangeText = {
      from: params.get('from') || undefined,
      to: params.get('to') || undefined,
    };
    const window: TimeWindow = {
      from: parseBound(range.from, { end: false, day }),
      to: parseBound(range.to, { end: true, day }),
    };
    const start = startFrom(params);
    const resolved = await target();
    const page = await readPage(resolved, listing, window, start, pageSize);
    const seqsKnown = resolved.seqTableName !== undefined;
    const notes =
      seqsKnown && conversationsOf(listing).length > 0
        ? await notesFor(
            resolved,
            listing,
            new Set(page.messages.map((m) => String(m.conversationID))),
          )
        : new Map<string, SeqNotes>();
    const claimed = new Map<string, ClaimedSeq>();
    for (const note of notes.values()) for (const [id, c] of note.claimed) claimed.set(id, c);
    // Gaps belong to the whole conversation: a time range shows only the messages in it.
    const inPlace = !range.from && !range.to;
    return transcriptPage(
      {
        listing,
        range,
        start,
        page,
        rows: placeSeqEvents(page.messages, inPlace ? notes : new Map(), {
          firstPage: page.older === undefined,
          lastPage: page.newer === undefined,
        }),
        claimed,
        seqNotice:
          conversationsOf(listing).length === 0
            ? undefined
            : !seqsKnown
              ? 'Gaps are not shown: the seqs table is unknown (give --seq-table with --table, or use --stack).'
              : inPlace
                ? undefined
                : 'Gaps are shown only without a time range.',
      },
      { source: resolved.source },
    );
  };

  const message = async (params: URLSearchParams): Promise<Html> => {
    const id = required(params, 'id', 'a serverMsgID');
    const resolved = await target();
    const found = await findMessage(resolved, id);
    if (!found) {
      throw new Refusal(404, 'No such message', `The archive has no message ${id}.`);
    }
    const listing = listingOf(found);
    const seq = Number(found.seq ?? 0);
    const conversationID = String(found.conversationID);
    const [around, bySeq] = await Promise.all([
      listing ? neighbours(resolved, listing, positionOf(found)) : Promise.resolve({}),
      seq > 0 && resolved.seqTableName
        ? findBySeq(resolved, conversationID, seq)
        : Promise.resolve(undefined),
    ]);
    const entry = bySeq?.entry;
    // A message whose seq another message holds is listed on that seq's item (a seq conflict).
    const claimed: ClaimedSeq | undefined =
      entry?.serverMsgID !== undefined &&
      entry.serverMsgID !== id &&
      entry.conflictingMsgIDs?.has(id)
        ? { seq, heldBy: entry.serverMsgID }
        : undefined;
    return messagePage(
      {
        message: found,
        ...around,
        seqItem: entry as Record<string, unknown> | undefined,
        claimed,
      },
      { source: resolved.source },
    );
  };

  const problem = (error: unknown): { status: number; page: Html } => {
    if (error instanceof Refusal) {
      return {
        status: error.status,
        page: problemPage(
          { status: error.status, title: error.title, problem: error.message },
          undefined,
        ),
      };
    }
    const explained = isMissingTable(error)
      ? options.help.missingTable(asked)
      : describeFailure(error, options.help.context);
    options.log?.(`transcript: ${explained}`);
    return {
      status: 503,
      page: unreadablePage(explained.charAt(0).toUpperCase() + explained.slice(1), options.help),
    };
  };

  return async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://console.invalid');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const page = problemPage(
        {
          status: 405,
          title: 'Read-only',
          problem: 'This page only reads the archive: it answers GET and HEAD, nothing else.',
        },
        undefined,
      );
      sendPage(response, 405, page.text, undefined, { allow: 'GET, HEAD' });
      return;
    }
    const path = url.pathname.replace(/\/+$/, '') || '/';
    try {
      if (path === STYLESHEET_PATH) {
        sendPage(response, 200, TRANSCRIPT_CSS, 'text/css; charset=utf-8');
        return;
      }
      if (path === TRANSCRIPT_ROOT) {
        const resolved = await target();
        // One read of a key no message has: the start page already says if the table is out of reach.
        await findMessage(resolved, '~reachable');
        sendPage(response, 200, startPage({ source: resolved.source }).text);
        return;
      }
      const kind = path.startsWith(`${TRANSCRIPT_ROOT}/`)
        ? path.slice(TRANSCRIPT_ROOT.length + 1)
        : '';
      if (kind === 'message') {
        sendPage(response, 200, (await message(url.searchParams)).text);
        return;
      }
      const listing = listingFrom(kind, url.searchParams);
      if (!listing) {
        throw new Refusal(404, 'Not found', 'There is no such page here.');
      }
      sendPage(response, 200, (await transcript(listing, url.searchParams)).text);
    } catch (error) {
      const { status, page } = problem(error);
      if (!response.headersSent) sendPage(response, status, page.text);
      else response.destroy();
    }
  };
}

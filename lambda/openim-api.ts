/**
 * A client for the few routes of OpenIM's REST API a reconcile needs, as the v3.8.3 and `main`
 * servers implement them: an admin token, each user's newest seqs, messages by seq, the message
 * search, the users and a group's members. Every call is a POST with an `operationID` header and
 * (but for the token) the admin token; every answer is OpenIM's envelope, HTTP 200 even for an
 * error, with `null` or absent for anything empty. Failures become {@link OpenImApiError}s whose
 * message names the cause and the fix, and never holds the secret or the token.
 */
import { randomUUID } from 'node:crypto';

/** OpenIM's answer envelope. */
interface Envelope<T> {
  readonly errCode: number;
  readonly errMsg: string;
  readonly errDlt: string;
  readonly data?: T;
}

/** A message as `pull_msg_by_seq` returns it (Go's `MsgData`; `content` base64 or null). */
export interface PulledMessage {
  readonly sendID: string;
  readonly recvID: string;
  readonly groupID: string;
  readonly clientMsgID: string;
  readonly serverMsgID: string;
  readonly senderPlatformID: number;
  readonly senderNickname: string;
  readonly senderFaceURL: string;
  readonly sessionType: number;
  readonly msgFrom: number;
  readonly contentType: number;
  readonly content: string | null;
  readonly seq: number;
  readonly sendTime: number;
  readonly createTime: number;
  readonly status: number;
  readonly atUserIDList: readonly string[] | null;
  readonly ex: string;
}

/** A message as `search_msg` returns it: plain content, the original one for a revoked message. */
export interface ChatLog {
  readonly serverMsgID: string;
  readonly clientMsgID: string;
  readonly sendID: string;
  readonly recvID: string;
  readonly groupID: string;
  readonly contentType: number;
  readonly content: string;
  readonly status: number;
  readonly seq: number;
  readonly sendTime: number;
}

/** Why a call to OpenIM's API failed, in words that name the cause and the fix. */
export class OpenImApiError extends Error {
  override readonly name = 'OpenImApiError';
  /** OpenIM's `errCode`, or the HTTP status, or undefined when nothing answered. */
  readonly errCode: number | undefined;
  /** Whether the admin token itself was refused (expired, replaced, malformed). */
  readonly tokenRefused: boolean;

  constructor(message: string, errCode?: number) {
    super(message);
    this.errCode = errCode;
    this.tokenRefused = errCode !== undefined && errCode >= 1501 && errCode <= 1507;
  }
}

/** What the client needs. */
export interface OpenImApiOptions {
  /** The API's base URL, e.g. `http://openim.example.com:10002`. */
  readonly baseUrl: string;
  /** OpenIM's `secret` (config/share.yml). Never logged, never sent but to get_admin_token. */
  readonly secret: string;
  /** An admin user ID (imAdminUserID / imAdminUser.userIDs in share.yml). @default 'imAdmin' */
  readonly adminUserID?: string;
  /** Time for one request, in ms. @default 15000 */
  readonly timeoutMs?: number;
  /** `fetch`, for tests that need to see or break the traffic. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** Codes a connection failure carries in `cause.code`, and what they mean here. */
const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'nothing listens there (connection refused)',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection closed',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate cannot be verified',
};

/** How many times a call that hit a rate limit (HTTP 429) is tried again. */
const RATE_LIMIT_RETRIES = 3;

/** The API, for one reconcile run: one admin token, fetched once and again only when refused. */
export class OpenImApi {
  readonly #base: string;
  readonly #secret: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  /** The admin user the token is for. */
  readonly adminUserID: string;
  #token: Promise<string> | undefined;

  constructor(options: OpenImApiOptions) {
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.#secret = options.secret;
    this.adminUserID = options.adminUserID ?? 'imAdmin';
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /** The base URL, for messages. */
  get baseUrl(): string {
    return this.#base;
  }

  /** Fetches an admin token now: the first call of a run, so a wrong secret fails before anything. */
  async authenticate(): Promise<void> {
    this.#token = undefined;
    await this.#adminToken();
  }

  /** Each user's conversations and the newest seq of each (conversation-wide), `n_` ones included. */
  async newestSeqs(userID: string): Promise<Record<string, number>> {
    const data = await this.#call<{ maxSeqs?: Record<string, number> | null }>('/msg/newest_seq', {
      userID,
    });
    return data?.maxSeqs ?? {};
  }

  /**
   * The messages of `conversationID` from `begin` to `end`, as `userID` sees them, in seq order.
   * The range is asked whole (`num` is its length), since OpenIM returns only the last `num`
   * seqs of a longer one. Nothing comes back for seqs below the user's or the conversation's
   * min seq, past a leave cap, or when `userID` has no record of the conversation.
   */
  async pullBySeq(
    userID: string,
    conversationID: string,
    begin: number,
    end: number,
  ): Promise<PulledMessage[]> {
    const data = await this.#call<{
      msgs?: Record<string, { Msgs?: PulledMessage[] | null } | null> | null;
      notificationMsgs?: Record<string, { Msgs?: PulledMessage[] | null } | null> | null;
    }>('/msg/pull_msg_by_seq', {
      userID,
      seqRanges: [{ conversationID, begin, end, num: end - begin + 1 }],
      order: 0,
    });
    const pulled =
      data?.msgs?.[conversationID]?.Msgs ?? data?.notificationMsgs?.[conversationID]?.Msgs ?? [];
    return [...pulled].sort((a, b) => a.seq - b.seq);
  }

  /**
   * Messages `search_msg` finds for a sender, a receiver (user or group), a session type and one
   * UTC day, page by page: their original content, even when revoked.
   */
  async *search(filter: {
    readonly sendID: string;
    readonly recvID: string;
    readonly sessionType: number;
    readonly day: string;
  }): AsyncGenerator<ChatLog> {
    for (let pageNumber = 1; ; pageNumber += 1) {
      const data = await this.#call<{
        chatLogs?: { chatLog?: ChatLog | null; isRevoked?: boolean }[] | null;
      }>('/msg/search_msg', {
        sendID: filter.sendID,
        recvID: filter.recvID,
        contentType: 0,
        sendTime: filter.day,
        sessionType: filter.sessionType,
        pagination: { pageNumber, showNumber: 100 },
      });
      const logs = data?.chatLogs ?? [];
      for (const { chatLog } of logs) if (chatLog) yield chatLog;
      if (logs.length < 100) return;
    }
  }

  /** Every user ID, a page at a time, and how many there are. */
  async userPage(
    pageNumber: number,
    showNumber: number,
  ): Promise<{ total: number; userIDs: string[] }> {
    const data = await this.#call<{ total?: number; userIDs?: string[] | null }>(
      '/user/get_all_users_uid',
      { pagination: { pageNumber, showNumber } },
    );
    return { total: data?.total ?? 0, userIDs: data?.userIDs ?? [] };
  }

  /** A group's current members. */
  async groupMembers(groupID: string): Promise<string[]> {
    const data = await this.#call<{ userIDs?: string[] | null }>(
      '/group/get_group_member_user_id',
      { groupID },
    );
    return data?.userIDs ?? [];
  }

  /** The admin token, fetched once and shared by every call until OpenIM refuses it. */
  #adminToken(): Promise<string> {
    this.#token ??= this.#post<{ token?: string }>('/auth/get_admin_token', undefined, {
      secret: this.#secret,
      userID: this.adminUserID,
    }).then(
      (data) => {
        if (!data?.token) throw new OpenImApiError('OpenIM gave no admin token');
        return data.token;
      },
      (error: unknown) => {
        this.#token = undefined;
        throw this.#explainTokenFailure(error);
      },
    );
    return this.#token;
  }

  /** A call with the admin token; a refused token is fetched again once. */
  async #call<T>(path: string, body: unknown): Promise<T | undefined> {
    const token = await this.#adminToken();
    try {
      return await this.#post<T>(path, token, body);
    } catch (error) {
      if (!(error instanceof OpenImApiError) || !error.tokenRefused) throw error;
      if ((await this.#token) === token) this.#token = undefined;
      return this.#post<T>(path, await this.#adminToken(), body);
    }
  }

  /** One POST and its envelope; an error envelope, a bad answer or no answer throws. */
  async #post<T>(path: string, token: string | undefined, body: unknown): Promise<T | undefined> {
    const url = `${this.#base}${path}`;
    for (let attempt = 0; ; attempt += 1) {
      let response: Response;
      try {
        response = await this.#fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            operationID: randomUUID(),
            ...(token === undefined ? {} : { token }),
          },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (error) {
        throw this.#unreachable(error);
      }
      if (response.status === 429 && attempt < RATE_LIMIT_RETRIES) {
        const seconds = Number(response.headers.get('retry-after'));
        await new Promise((resolve) =>
          setTimeout(resolve, Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000),
        );
        continue;
      }
      const text = await response.text();
      let envelope: Envelope<T>;
      try {
        envelope = JSON.parse(text) as Envelope<T>;
      } catch {
        throw new OpenImApiError(
          `OpenIM's API at ${this.#base} answered ${path} with HTTP ${response.status} and no ` +
            "JSON. Fix: --openim-api must be OpenIM's API (openim-api, port 10002 by default), " +
            'not its gateway or admin console',
          response.status,
        );
      }
      if (typeof envelope?.errCode !== 'number') {
        throw new OpenImApiError(
          `OpenIM's API at ${this.#base} answered ${path} with JSON that is not OpenIM's ` +
            "envelope. Fix: --openim-api must be OpenIM's API (port 10002 by default)",
          response.status,
        );
      }
      if (envelope.errCode !== 0) {
        throw new OpenImApiError(
          `OpenIM answered ${path} with errCode ${envelope.errCode} (${envelope.errMsg}` +
            `${envelope.errDlt ? `: ${envelope.errDlt}` : ''})`,
          envelope.errCode,
        );
      }
      return envelope.data;
    }
  }

  /** A connection failure, said with the address and what to check. */
  #unreachable(error: unknown): OpenImApiError {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const code = cause?.code ?? (error as { code?: string }).code;
    const name = (error as Error).name;
    const why =
      name === 'TimeoutError' || name === 'AbortError'
        ? `no answer within ${this.#timeoutMs / 1000} s`
        : cause?.message === 'bad port'
          ? 'Node.js refuses to connect to that port (one browsers block too)'
          : (UNREACHABLE[code ?? ''] ?? code ?? cause?.message ?? (error as Error).message);
    return new OpenImApiError(
      `Cannot reach OpenIM's API at ${this.#base}: ${why}. Fix: check --openim-api (OpenIM's ` +
        'API, port 10002 by default) and that this machine can reach it',
    );
  }

  /** A failed get_admin_token, said with the setting to change. */
  #explainTokenFailure(error: unknown): Error {
    if (!(error instanceof OpenImApiError) || error.errCode === undefined) return error as Error;
    if (error.errCode === 1002) {
      return new OpenImApiError(
        "OpenIM refused the secret (errCode 1002). Fix: set OPENIM_SECRET to the 'secret' in " +
          "OpenIM's config/share.yml",
        error.errCode,
      );
    }
    if (error.errCode === 1001 || error.errCode === 1004) {
      return new OpenImApiError(
        `OpenIM does not take ${this.adminUserID} as an admin user (errCode ${error.errCode}). ` +
          'Fix: --admin-user one of the IDs in config/share.yml (imAdminUserID on v3.8, ' +
          'imAdminUser.userIDs on main)',
        error.errCode,
      );
    }
    return error;
  }
}

/**
 * Whose view of a conversation a reconcile pulls. OpenIM returns a conversation's messages only
 * as one of its users sees them: nothing below the history they cleared, nothing past the moment
 * they left a group, nothing at all without their own record of it. So when the user pulled so
 * far sees nothing (or not the oldest seqs asked), the conversation's other users are asked too,
 * and the one who sees furthest back is pulled from then on.
 */
import type { OpenImApi, PulledMessage } from '../openim-api.ts';

/** The users a conversation ID names: both halves of every split of `si_<a>_<b>`. */
function namedUsers(conversationID: string): string[] {
  const single = /^(?:si|sn)_(.+)$/.exec(conversationID);
  if (!single) return [];
  const parts = (single[1] as string).split('_');
  // IDs may hold "_" themselves, so every split is a candidate.
  return parts
    .slice(1)
    .flatMap((_, i) => [parts.slice(0, i + 1).join('_'), parts.slice(i + 1).join('_')]);
}

/** How many other users are tried when the current one sees nothing. */
const MAX_CANDIDATES = 6;

/** A conversation as one of its users sees it, switching user when another sees more. */
export class MemberView {
  readonly #api: OpenImApi;
  readonly #conversationID: string;
  readonly #known: string[];
  #candidates: Promise<string[]> | undefined;
  #current: string | undefined;
  /** Every candidate saw nothing last time: ask only the current one until something shows. */
  #othersSeeNothing = false;

  constructor(api: OpenImApi, conversationID: string, preferred: readonly (string | undefined)[]) {
    this.#api = api;
    this.#conversationID = conversationID;
    this.#known = [...new Set(preferred.filter((u): u is string => Boolean(u)))];
    this.#current = this.#known[0];
  }

  /** The user pulled last. */
  get userID(): string | undefined {
    return this.#current;
  }

  /** Users to try: the ones given, then those the ID names or the group's current members. */
  #others(): Promise<string[]> {
    this.#candidates ??= (async () => {
      const group = /^(?:sg|g)_(.+)$/.exec(this.#conversationID);
      const more = group
        ? await this.#api.groupMembers(group[1] as string)
        : namedUsers(this.#conversationID);
      return [...new Set([...this.#known, ...more])].slice(0, MAX_CANDIDATES + this.#known.length);
    })();
    return this.#candidates;
  }

  /** The conversation's newest seq and a user who has it, from its users' newest seqs. */
  async newestSeq(): Promise<{ maxSeq: number; userID: string } | undefined> {
    for (const userID of await this.#others()) {
      const maxSeq = (await this.#api.newestSeqs(userID))[this.#conversationID];
      if (maxSeq !== undefined && maxSeq > 0) {
        this.#current = userID;
        return { maxSeq, userID };
      }
    }
    return undefined;
  }

  /**
   * Seqs `begin` to `end`, as the user who sees the most of them sees them: another user is asked
   * only when the current one sees none of them, or not the first ones.
   */
  async pull(begin: number, end: number): Promise<PulledMessage[]> {
    const current = this.#current ?? (await this.#others())[0];
    let best = current === undefined ? [] : await this.#pullAs(current, begin, end);
    const missesStart = (messages: PulledMessage[]) => (messages[0]?.seq ?? end + 1) > begin;
    if (!missesStart(best) || this.#othersSeeNothing) {
      if (best.length > 0) this.#othersSeeNothing = false;
      return best;
    }
    for (const other of await this.#others()) {
      if (other === current) continue;
      const messages = await this.#pullAs(other, begin, end);
      if ((messages[0]?.seq ?? end + 1) < (best[0]?.seq ?? end + 1)) {
        best = messages;
        this.#current = other;
        if (!missesStart(best)) break;
      }
    }
    this.#othersSeeNothing = best.length === 0;
    return best;
  }

  /** One pull as `userID`. */
  #pullAs(userID: string, begin: number, end: number): Promise<PulledMessage[]> {
    return this.#api.pullBySeq(userID, this.#conversationID, begin, end);
  }
}

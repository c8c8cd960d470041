/**
 * An OpenIM server's history for reconcile tests: conversations of the fake OpenIM with chat
 * messages, notifications, revokes, deleted slots and a cleared range, and for each chat message
 * the callbacks OpenIM would have posted about it (as `archive-harness.ts` delivers them).
 */
import type { Delivered } from './archive-harness.ts';
import type { OpenImModel, StoredMsg } from './fake-openim-model.ts';
import { COMMANDS, type OpenImGroupMessage, type OpenImMessage } from './openim-wire.ts';

/** A chat message of the scenario, as OpenIM has it and as its callbacks carry it. */
export interface ScenarioMessage {
  readonly conversationID: string;
  readonly seq: number;
  /** What OpenIM stored, original content included. */
  readonly stored: StoredMsg;
  /** The message's callbacks (after-send, save-DB, and the revoke if it was revoked). */
  readonly delivered: Delivered;
  /** Who revoked it in OpenIM and when. */
  readonly revoke?: { readonly by: string; readonly at: number };
  /** Whether OpenIM still returns it: gone with a history cleared for everyone, or deleted. */
  readonly inOpenIM: 'kept' | 'cleared' | 'deleted';
}

/** The callbacks OpenIM posts for a stored message: the after-send, the save-DB with its seq. */
export function callbacksFor(stored: StoredMsg, revokedBy?: string): Delivered {
  const group = stored.groupID !== '';
  const common = {
    sendID: stored.sendID,
    serverMsgID: stored.serverMsgID,
    clientMsgID: stored.clientMsgID,
    operationID: `op-${stored.serverMsgID.slice(0, 12)}`,
    senderPlatformID: stored.senderPlatformID,
    senderNickname: stored.senderNickname,
    sessionType: stored.sessionType,
    msgFrom: stored.msgFrom,
    contentType: stored.contentType,
    // As sent: OpenIM stores a message sent with status 1 with status 2.
    status: 1,
    sendTime: stored.sendTime,
    createTime: stored.createTime,
    content: stored.content,
    seq: 0,
    atUserList: stored.atUserIDList?.length ? [...stored.atUserIDList] : null,
    faceURL: stored.senderFaceURL,
    ex: stored.ex,
  };
  const message: OpenImMessage | OpenImGroupMessage = group
    ? { ...common, callbackCommand: COMMANDS.group, groupID: stored.groupID }
    : { ...common, callbackCommand: COMMANDS.single, recvID: stored.recvID };
  return {
    kind: group ? 'group' : 'single',
    message,
    // The save-DB callback comes from what msg-transfer stored.
    saved: { ...message, status: stored.status },
    seq: stored.seq,
    ...(revokedBy ? { revokedBy } : {}),
  };
}

/** The users, the group and the times of {@link buildScenario}. */
export const SCENARIO = {
  users: ['u1', 'u2', 'u3', 'u4'],
  groupID: '7001',
  /** Every message is sent a minute after the previous one, from here (2025-05-09). */
  start: 1_746_777_600_000,
} as const;

/**
 * Builds the history into `model` and returns its chat messages in send order:
 * - `si_u1_u2`: 12 messages; seq 4 revoked by its sender, seq 7 deleted physically;
 * - `sg_7001` (u1, u2, u3): a group-created notice, 8 messages (one a picture), a member-joined
 *   notice, seq 5 revoked by the owner;
 * - `si_u2_u3`: 3 messages, then history cleared for everyone, then 4 more (seqs 1 to 3 gone);
 * - `si_u3_u4`: 5 messages.
 */
export function buildScenario(model: OpenImModel): ScenarioMessage[] {
  let at: number = SCENARIO.start;
  const next = () => {
    at += 60_000;
    return at;
  };
  for (const userID of SCENARIO.users) {
    model.addUser({
      userID,
      nickname: `User ${userID}`,
      faceURL: `https://faces.example/${userID}`,
    });
  }
  model.createGroup({
    groupID: SCENARIO.groupID,
    ownerUserID: 'u1',
    memberUserIDs: ['u2', 'u3'],
    groupName: 'Team',
    createTime: next(),
  });
  const sent: StoredMsg[] = [];
  const text = (sendID: string, to: { recvID?: string; groupID?: string }, words: string) =>
    sent.push(
      model.sendMessage({
        sendID,
        ...to,
        content: JSON.stringify({ content: words }),
        sendTime: next(),
        createTime: at - 150,
        ...(to.groupID ? { atUserIDList: sent.length % 3 === 0 ? ['u2'] : null } : {}),
      }),
    );

  for (let i = 1; i <= 12; i += 1) {
    text(i % 2 ? 'u1' : 'u2', { recvID: i % 2 ? 'u2' : 'u1' }, `chat ${i} <b>&</b> 😀`);
  }
  model.postGroupNotice(SCENARIO.groupID, { time: next() });
  for (let i = 1; i <= 8; i += 1) {
    if (i === 3) {
      sent.push(
        model.sendMessage({
          sendID: 'u2',
          groupID: SCENARIO.groupID,
          contentType: 102,
          content: JSON.stringify({ sourcePicture: { url: 'https://files.example/p.jpg' } }),
          sendTime: next(),
          createTime: at - 90,
        }),
      );
    } else text(`u${1 + (i % 3)}`, { groupID: SCENARIO.groupID }, `group ${i}`);
  }
  model.postGroupNotice(SCENARIO.groupID, { contentType: 1504, time: next() });
  for (let i = 1; i <= 3; i += 1) text('u2', { recvID: 'u3' }, `before the clear ${i}`);
  model.clearForEveryone('si_u2_u3', 'u2');
  for (let i = 4; i <= 7; i += 1) text('u3', { recvID: 'u2' }, `after the clear ${i}`);
  for (let i = 1; i <= 5; i += 1)
    text(i % 2 ? 'u3' : 'u4', { recvID: i % 2 ? 'u4' : 'u3' }, `quiet ${i}`);

  const revokes = new Map<string, { by: string; at: number }>();
  const revoke = (conversationID: string, seq: number, userID: string) => {
    const time = next();
    model.revoke({ conversationID, seq, userID, time });
    revokes.set(`${conversationID}#${seq}`, { by: userID, at: time });
  };
  revoke('si_u1_u2', 4, 'u2');
  revoke(`sg_${SCENARIO.groupID}`, 5, 'u1');
  model.deletePhysically('si_u1_u2', [7]);

  return model
    .messages()
    .filter(({ msg }) => sent.some((s) => s.serverMsgID === msg.serverMsgID))
    .map(({ conversationID, seq, msg, state }) => {
      const revokedBy = revokes.get(`${conversationID}#${seq}`);
      return {
        conversationID,
        seq,
        stored: msg,
        delivered: callbacksFor(msg, revokedBy?.by),
        ...(revokedBy ? { revoke: revokedBy } : {}),
        inOpenIM:
          conversationID === 'si_u2_u3' && seq <= 3
            ? 'cleared'
            : state === 'stored'
              ? 'kept'
              : 'deleted',
      };
    });
}

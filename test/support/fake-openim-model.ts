/**
 * The fake OpenIM's data, held the way OpenIM holds it: users, groups and members, per-user
 * conversation records, per-conversation min/max seqs, per-user min/max/read seqs, and messages in
 * 100-slot blocks (Mongo's `msg` documents), so that placeholders, physical deletion, retention and
 * search order behave as the server's storage makes them behave. Tests set it up through plain
 * methods and read back everything stored.
 */
import { createHash } from 'node:crypto';
import { encodeStruct, goSorted, type OpenImVariant } from './fake-openim-json.ts';
import {
  CONTENT,
  DeleteMsgsTips,
  GO_ZERO_TIME_MS,
  GroupCreatedTips,
  MSG_FROM,
  NotificationElem,
  RevokeMsgTips,
  ROLE,
  SESSION,
  STATUS,
} from './fake-openim-protocol.ts';

/** A user as the user service stores it. */
export interface OpenImUser {
  userID: string;
  nickname: string;
  faceURL: string;
  ex: string;
  createTime: number;
  appMangerLevel: number;
  globalRecvMsgOpt: number;
}

/** A group as the group service stores it (the owner and member count are derived). */
export interface OpenImGroup {
  groupID: string;
  groupName: string;
  notification: string;
  introduction: string;
  faceURL: string;
  createTime: number;
  ex: string;
  status: number;
  creatorUserID: string;
  groupType: number;
  needVerification: number;
  lookMemberInfo: number;
  applyMemberFriend: number;
  notificationUpdateTime: number;
  notificationUserID: string;
}

/** A group member. */
export interface OpenImGroupMember {
  groupID: string;
  userID: string;
  roleLevel: number;
  joinTime: number;
  nickname: string;
  faceURL: string;
  joinSource: number;
  operatorUserID: string;
  ex: string;
  muteEndTime: number;
  inviterUserID: string;
}

/** One user's record of one conversation (`conversation.Conversation`). */
export interface ConversationRecord {
  ownerUserID: string;
  conversationID: string;
  recvMsgOpt: number;
  conversationType: number;
  userID: string;
  groupID: string;
  isPinned: boolean;
  attachedInfo: string;
  isPrivateChat: boolean;
  groupAtType: number;
  ex: string;
  burnDuration: number;
  minSeq: number;
  /** The leave cap: the conversation's max seq when this user left; 0 = none. */
  maxSeq: number;
  msgDestructTime: number;
  latestMsgDestructTime: number;
  isMsgDestruct: boolean;
}

/** Offline push settings as the message store keeps them (no `signalInfo`). */
export interface StoredOfflinePush {
  title: string;
  desc: string;
  ex: string;
  iOSPushSound: string;
  iOSBadgeCount: boolean;
}

/** A message as the message store keeps it (`MsgDataModel`); `content` is the callback's string. */
export interface StoredMsg {
  sendID: string;
  recvID: string;
  groupID: string;
  clientMsgID: string;
  serverMsgID: string;
  senderPlatformID: number;
  senderNickname: string;
  senderFaceURL: string;
  sessionType: number;
  msgFrom: number;
  contentType: number;
  content: string;
  seq: number;
  sendTime: number;
  createTime: number;
  status: number;
  options: Record<string, boolean> | null;
  offlinePushInfo: StoredOfflinePush | null;
  atUserIDList: string[] | null;
  attachedInfo: string;
  ex: string;
}

/** A stored message with the conversation it went into. */
export type SentMessage = StoredMsg & { conversationID: string };

/** The revoke sub-document OpenIM adds to a revoked message's slot. */
export interface RevokeRecord {
  role: number;
  userID: string;
  nickname: string;
  time: number;
}

/** One of the 100 slots of a message block. */
export interface MsgSlot {
  msg: StoredMsg | null;
  revoke: RevokeRecord | null;
  delList: string[];
  isRead: boolean;
  /** Physically deleted: Mongo holds `{msg: null}` and nothing else. */
  cleared: boolean;
}

/** A 100-slot block of one conversation; `id` orders blocks by creation, as Mongo's `_id`. */
export interface MsgBlock {
  readonly id: number;
  readonly conversationID: string;
  readonly index: number;
  readonly slots: MsgSlot[];
}

/** Everything known about one seq of one conversation, for tests to compare an archive with. */
export interface ArchivedMessage {
  conversationID: string;
  seq: number;
  /** The message as it was stored, original content even if revoked or deleted since. */
  msg: StoredMsg;
  /** `stored`, or gone from OpenIM's store by a physical delete or a retention cut. */
  state: 'stored' | 'physicallyDeleted' | 'retentionDeleted';
  revoke: RevokeRecord | null;
  /** Users for whom it is deleted (status 4, no content in their pulls). */
  deletedFor: string[];
  isRead: boolean;
}

/** Messages per block, as OpenIM's `singleGocMsgNum`. */
export const BLOCK_SIZE = 100;

/** Go's integer division and remainder, which truncate toward zero. */
function goDiv(a: number, b: number): number {
  return Math.trunc(a / b);
}

/** The block index and slot index OpenIM's `GetDocID`/`GetMsgIndex` give a seq. */
export function blockOf(seq: number): { index: number; slot: number } {
  return { index: goDiv(seq - 1, BLOCK_SIZE), slot: (seq - 1) % BLOCK_SIZE };
}

/** A 32-hex id, deterministic in its inputs (OpenIM makes its ids with md5 too). */
export function md5Hex(...parts: (string | number)[]): string {
  return createHash('md5').update(parts.join('\u0000')).digest('hex');
}

/** `si_<a>_<b>` with the two IDs in byte order, as Go's `sort.Strings` puts them. */
export function singleConversationID(a: string, b: string, prefix = 'si_'): string {
  return `${prefix}${goSorted([a, b]).join('_')}`;
}

/** The `n_` twin of a conversation ID: its first `_`-segment replaced by `n`, "" without one. */
export function notificationTwin(conversationID: string): string {
  const parts = conversationID.split('_');
  if (parts.length <= 1) return '';
  parts[0] = 'n';
  return parts.join('_');
}

/** The options map of every stored server notification (`IsSendMsg` false, reliable). */
export function reliableNotificationOptions(): Record<string, boolean> {
  return {
    isNotNotification: false,
    isSendMsg: false,
    history: true,
    persistent: true,
    offlinePush: false,
    unreadCount: false,
    conversationUpdate: false,
    senderSync: true,
    notPrivate: false,
    senderConversationUpdate: false,
    reactionFromCache: false,
  };
}

function emptySlot(): MsgSlot {
  return { msg: null, revoke: null, delList: [], isRead: false, cleared: false };
}

function emptyOfflinePush(): StoredOfflinePush {
  return { title: '', desc: '', ex: '', iOSPushSound: '', iOSBadgeCount: false };
}

/** What a test passes to send a message; every field of the stored message can be set. */
export interface SendMessageInput {
  sendID: string;
  /** The peer of a one-to-one (or notification-chat) message. */
  recvID?: string;
  /** The group of a group message. */
  groupID?: string;
  /** The content as the callback carries it, e.g. `{"content":"hi"}`. */
  content: string;
  contentType?: number;
  /** 1 one-to-one (default without groupID), 3 group (default with groupID), 4 notification chat. */
  sessionType?: number;
  senderPlatformID?: number;
  senderNickname?: string;
  senderFaceURL?: string;
  msgFrom?: number;
  /** As sent; a message sent with 1 (sending) is stored with 2 (sent). Default 1. */
  status?: number;
  sendTime?: number;
  createTime?: number;
  serverMsgID?: string;
  clientMsgID?: string;
  options?: Record<string, boolean> | null;
  offlinePushInfo?: StoredOfflinePush | null;
  atUserIDList?: string[] | null;
  attachedInfo?: string;
  ex?: string;
}

/** A server notification; `detail` becomes the `NotificationElem` content, unless `content` is given. */
export interface NotificationInput {
  sendID: string;
  recvID?: string;
  groupID?: string;
  contentType: number;
  sessionType?: number;
  detail?: string;
  content?: string;
  time?: number;
  senderNickname?: string;
  senderFaceURL?: string;
  options?: Record<string, boolean> | null;
  offlinePushInfo?: StoredOfflinePush | null;
  serverMsgID?: string;
  clientMsgID?: string;
}

/** Options of the model; the server passes its own. */
export interface OpenImModelOptions {
  variant: OpenImVariant;
  adminUserIDs: readonly string[];
  now: () => number;
}

/** The fake server's data and what tests do to it. */
export class OpenImModel {
  readonly variant: OpenImVariant;
  readonly adminUserIDs: readonly string[];
  readonly now: () => number;
  readonly #users = new Map<string, OpenImUser>();
  readonly #groups = new Map<string, OpenImGroup>();
  readonly #members = new Map<string, OpenImGroupMember[]>();
  readonly #records = new Map<string, Map<string, ConversationRecord>>();
  readonly #recordVersions = new Map<string, number>();
  readonly #seqs = new Map<string, { minSeq: number; maxSeq: number; maxSeqTime: number }>();
  readonly #userMinSeqs = new Map<string, number>();
  readonly #userMaxSeqs = new Map<string, number>();
  readonly #hasReadSeqs = new Map<string, number>();
  readonly #blocks = new Map<string, MsgBlock>();
  readonly #ledger = new Map<string, Map<number, { msg: StoredMsg; gone?: 'retentionDeleted' }>>();
  #blockIds = 0;

  constructor(options: OpenImModelOptions) {
    this.variant = options.variant;
    this.adminUserIDs = [...options.adminUserIDs];
    this.now = options.now;
    // The user service creates the admin users when it starts: level 3 on v3.8.3, level 2 with
    // the configured nickname (default superAdmin) on main; no create time is set.
    options.adminUserIDs.forEach((userID, i) => {
      this.#users.set(userID, {
        userID,
        nickname: this.variant === 'main' && i === 0 ? 'superAdmin' : userID,
        faceURL: '',
        ex: '',
        createTime: GO_ZERO_TIME_MS,
        appMangerLevel: this.variant === 'main' ? 2 : 3,
        globalRecvMsgOpt: 0,
      });
    });
  }

  // ---- users --------------------------------------------------------------------------------

  /** Registers a user; `appMangerLevel` defaults to 0 (what `user_register` stores when unset). */
  addUser(user: { userID: string } & Partial<Omit<OpenImUser, 'userID'>>): OpenImUser {
    if (user.userID === '') throw new Error('addUser: userID is empty');
    if (this.#users.has(user.userID)) throw new Error(`addUser: ${user.userID} exists`);
    const stored: OpenImUser = {
      nickname: '',
      faceURL: '',
      ex: '',
      createTime: this.now(),
      appMangerLevel: 0,
      globalRecvMsgOpt: 0,
      ...user,
    };
    this.#users.set(user.userID, stored);
    return { ...stored };
  }

  /** The user, or undefined. */
  user(userID: string): OpenImUser | undefined {
    const user = this.#users.get(userID);
    return user && { ...user };
  }

  /** Every user in insertion order (Mongo's natural order, admins first). */
  users(): OpenImUser[] {
    return [...this.#users.values()].map((user) => ({ ...user }));
  }

  // ---- groups -------------------------------------------------------------------------------

  /**
   * Creates a group with its owner (role 100) and members (role 20, or 60 for `adminIDs`); every
   * member gets a conversation record for `sg_<groupID>`, as `CreateGroupChatConversations` does.
   */
  createGroup(
    input: {
      groupID: string;
      ownerUserID: string;
      memberUserIDs?: string[];
      adminIDs?: string[];
      createTime?: number;
      joinTime?: number;
    } & Partial<Omit<OpenImGroup, 'groupID' | 'createTime'>>,
  ): OpenImGroup {
    const { groupID, ownerUserID, memberUserIDs = [], adminIDs = [], joinTime, ...rest } = input;
    if (this.#groups.has(groupID)) throw new Error(`createGroup: ${groupID} exists`);
    const createTime = input.createTime ?? this.now();
    const group: OpenImGroup = {
      groupName: '',
      notification: '',
      introduction: '',
      faceURL: '',
      ex: '',
      status: 0,
      creatorUserID: ownerUserID,
      groupType: 2,
      needVerification: 0,
      lookMemberInfo: 0,
      applyMemberFriend: 0,
      notificationUpdateTime: GO_ZERO_TIME_MS,
      notificationUserID: '',
      ...rest,
      groupID,
      createTime,
    };
    this.#groups.set(groupID, group);
    this.#members.set(groupID, []);
    const userIDs = [ownerUserID, ...memberUserIDs.filter((id) => id !== ownerUserID)];
    for (const userID of [...new Set(userIDs)]) {
      const roleLevel =
        userID === ownerUserID ? ROLE.owner : adminIDs.includes(userID) ? ROLE.admin : ROLE.member;
      this.#join(groupID, userID, roleLevel, joinTime ?? createTime, ownerUserID);
    }
    return { ...group };
  }

  #join(groupID: string, userID: string, roleLevel: number, joinTime: number, by: string): void {
    const members = this.#requireMembers(groupID);
    if (members.some((m) => m.userID === userID)) throw new Error(`${userID} is in ${groupID}`);
    members.push({
      groupID,
      userID,
      roleLevel,
      joinTime,
      nickname: '',
      faceURL: '',
      joinSource: 2,
      operatorUserID: by,
      ex: '',
      muteEndTime: 0,
      inviterUserID: by,
    });
    this.#createGroupRecords(groupID, [userID]);
  }

  /** `CreateGroupChatConversations`: new records, and a reset leave cap on existing ones. */
  #createGroupRecords(groupID: string, userIDs: string[]): void {
    const conversationID = `sg_${groupID}`;
    for (const userID of userIDs) {
      const existing = this.#records.get(userID)?.get(conversationID);
      if (existing) {
        existing.maxSeq = 0;
        this.#bumpVersion(userID);
      } else {
        this.#createRecord(userID, conversationID, SESSION.group, '', groupID);
      }
      this.#userMaxSeqs.set(`${conversationID}\u0000${userID}`, 0);
    }
  }

  /**
   * Adds a member (role 20 unless given). With `history: false` (OpenIM's
   * `enableHistoryForNewMembers: false`) their min seq starts after the current max seq.
   */
  addMember(
    groupID: string,
    userID: string,
    options: { roleLevel?: number; history?: boolean; joinTime?: number; by?: string } = {},
  ): void {
    const group = this.#requireGroup(groupID);
    const conversationID = `sg_${groupID}`;
    if (options.history === false) {
      this.#userMinSeqs.set(
        `${conversationID}\u0000${userID}`,
        this.conversationSeqs(conversationID).maxSeq + 1,
      );
    }
    this.#join(
      groupID,
      userID,
      options.roleLevel ?? ROLE.member,
      options.joinTime ?? this.now(),
      options.by ?? group.creatorUserID,
    );
  }

  /** A member leaves (or is kicked): their record is capped at the group's current max seq. */
  leaveGroup(groupID: string, userID: string): void {
    const members = this.#requireMembers(groupID);
    const at = members.findIndex((m) => m.userID === userID);
    if (at < 0) throw new Error(`${userID} is not in ${groupID}`);
    members.splice(at, 1);
    const conversationID = `sg_${groupID}`;
    const maxSeq = this.conversationSeqs(conversationID).maxSeq;
    this.#userMaxSeqs.set(`${conversationID}\u0000${userID}`, maxSeq);
    const record = this.#records.get(userID)?.get(conversationID);
    if (record) {
      record.maxSeq = maxSeq;
      this.#bumpVersion(userID);
    }
  }

  /** Dismisses a group: status 2 and no members, as `DismissGroup` leaves it. */
  dismissGroup(groupID: string): void {
    this.#requireGroup(groupID).status = 2;
    this.#members.set(groupID, []);
  }

  /** The group, or undefined. */
  group(groupID: string): OpenImGroup | undefined {
    const group = this.#groups.get(groupID);
    return group && { ...group };
  }

  /** Every group in creation order. */
  groups(): OpenImGroup[] {
    return [...this.#groups.values()].map((group) => ({ ...group }));
  }

  /** A group's members in join order. */
  members(groupID: string): OpenImGroupMember[] {
    return (this.#members.get(groupID) ?? []).map((member) => ({ ...member }));
  }

  #requireGroup(groupID: string): OpenImGroup {
    const group = this.#groups.get(groupID);
    if (!group) throw new Error(`no group ${groupID}`);
    return group;
  }

  #requireMembers(groupID: string): OpenImGroupMember[] {
    this.#requireGroup(groupID);
    return this.#members.get(groupID) as OpenImGroupMember[];
  }

  // ---- conversation records -----------------------------------------------------------------

  #createRecord(
    ownerUserID: string,
    conversationID: string,
    conversationType: number,
    userID: string,
    groupID: string,
  ): void {
    let records = this.#records.get(ownerUserID);
    if (!records) {
      records = new Map();
      this.#records.set(ownerUserID, records);
    }
    if (records.has(conversationID)) return; // the insert fails on the unique index
    records.set(conversationID, {
      ownerUserID,
      conversationID,
      recvMsgOpt: 0,
      conversationType,
      userID,
      groupID,
      isPinned: false,
      attachedInfo: '',
      isPrivateChat: false,
      groupAtType: 0,
      ex: '',
      burnDuration: 0,
      minSeq: 0,
      maxSeq: 0,
      msgDestructTime: 0,
      latestMsgDestructTime: GO_ZERO_TIME_MS,
      isMsgDestruct: false,
    });
    this.#bumpVersion(ownerUserID);
  }

  #bumpVersion(ownerUserID: string): void {
    this.#recordVersions.set(ownerUserID, (this.#recordVersions.get(ownerUserID) ?? 0) + 1);
  }

  /** Changes fields of a user's conversation record (pinning, a private chat …). */
  updateRecord(
    ownerUserID: string,
    conversationID: string,
    fields: Partial<Omit<ConversationRecord, 'ownerUserID' | 'conversationID'>>,
  ): void {
    const record = this.#records.get(ownerUserID)?.get(conversationID);
    if (!record) throw new Error(`${ownerUserID} has no record of ${conversationID}`);
    Object.assign(record, fields);
    this.#bumpVersion(ownerUserID);
  }

  /** A user's conversation records in creation order. */
  records(ownerUserID: string): ConversationRecord[] {
    return [...(this.#records.get(ownerUserID)?.values() ?? [])].map((r) => ({ ...r }));
  }

  /** One record, or undefined. */
  record(ownerUserID: string, conversationID: string): ConversationRecord | undefined {
    const record = this.#records.get(ownerUserID)?.get(conversationID);
    return record && { ...record };
  }

  /** How many times the user's records changed (the conversation version log's version). */
  recordVersion(ownerUserID: string): number {
    return this.#recordVersions.get(ownerUserID) ?? 0;
  }

  // ---- seqs ---------------------------------------------------------------------------------

  /** The conversation-wide min and max seq (0 and 0 for a conversation never written). */
  conversationSeqs(conversationID: string): { minSeq: number; maxSeq: number; maxSeqTime: number } {
    return { ...(this.#seqs.get(conversationID) ?? { minSeq: 0, maxSeq: 0, maxSeqTime: 0 }) };
  }

  /** Every conversation that has seqs (including `n_` ones), in first-write order. */
  conversationIDs(): string[] {
    return [...this.#seqs.keys()];
  }

  /** The user's own min seq in a conversation (set by clearing history, or joining without history). */
  userMinSeq(conversationID: string, userID: string): number {
    return this.#userMinSeqs.get(`${conversationID}\u0000${userID}`) ?? 0;
  }

  /** The user's own max seq in a conversation (set when leaving a group). */
  userMaxSeq(conversationID: string, userID: string): number {
    return this.#userMaxSeqs.get(`${conversationID}\u0000${userID}`) ?? 0;
  }

  /** The user's has-read seq. */
  hasReadSeq(userID: string, conversationID: string): number {
    return this.#hasReadSeqs.get(`${conversationID}\u0000${userID}`) ?? 0;
  }

  /** Sets the user's has-read seq. */
  setHasReadSeq(userID: string, conversationID: string, seq: number): void {
    this.#hasReadSeqs.set(`${conversationID}\u0000${userID}`, seq);
  }

  // ---- messages -----------------------------------------------------------------------------

  /** Sends a one-to-one, group or notification-chat message; returns it as stored, with its seq. */
  sendMessage(input: SendMessageInput): SentMessage {
    const { sendID, recvID = '', groupID = '' } = input;
    const sessionType = input.sessionType ?? (groupID === '' ? SESSION.single : SESSION.group);
    const sender = this.#users.get(sendID);
    let conversationID: string;
    if (sessionType === SESSION.group || sessionType === SESSION.writeGroup) {
      this.#requireGroup(groupID);
      conversationID = `${sessionType === SESSION.group ? 'sg_' : 'g_'}${groupID}`;
    } else if (sessionType === SESSION.single || sessionType === SESSION.notification) {
      if (recvID === '') throw new Error('sendMessage: a one-to-one message needs recvID');
      conversationID = singleConversationID(
        sendID,
        recvID,
        sessionType === SESSION.single ? 'si_' : 'sn_',
      );
    } else {
      throw new Error(`sendMessage: sessionType ${sessionType}`);
    }
    const sendTime = input.sendTime ?? this.now();
    const status = input.status ?? STATUS.sending;
    return this.#store(conversationID, (seq) => ({
      sendID,
      recvID,
      groupID,
      clientMsgID: input.clientMsgID ?? md5Hex('client', conversationID, seq),
      serverMsgID: input.serverMsgID ?? md5Hex('server', conversationID, seq),
      senderPlatformID: input.senderPlatformID ?? 5,
      senderNickname: input.senderNickname ?? sender?.nickname ?? '',
      senderFaceURL: input.senderFaceURL ?? sender?.faceURL ?? '',
      sessionType,
      msgFrom: input.msgFrom ?? MSG_FROM.user,
      contentType: input.contentType ?? CONTENT.text,
      content: input.content,
      seq,
      sendTime,
      createTime: input.createTime ?? sendTime,
      // msg-transfer stores "sending" as "sent" and keeps every other status.
      status: status === STATUS.sending ? STATUS.sent : status,
      options: input.options ?? null,
      offlinePushInfo: input.offlinePushInfo ?? null,
      atUserIDList: input.atUserIDList ?? null,
      attachedInfo: input.attachedInfo ?? '',
      ex: input.ex ?? '',
    }));
  }

  /**
   * Posts a server notification into `conversationID`, taking the next seq there: `n_…` for
   * notifications kept only as notifications, `sg_<groupID>` for group notices sent as messages.
   */
  postNotification(conversationID: string, input: NotificationInput): SentMessage {
    const time = input.time ?? this.now();
    const sessionType = input.sessionType ?? (input.groupID ? SESSION.group : SESSION.single);
    const recvID = input.recvID ?? input.groupID ?? '';
    const content =
      input.content ?? encodeStruct(NotificationElem, { detail: input.detail ?? '' }, this.variant);
    return this.#store(conversationID, (seq) => ({
      sendID: input.sendID,
      recvID,
      groupID: sessionType === SESSION.group ? (input.groupID ?? recvID) : '',
      clientMsgID: input.clientMsgID ?? md5Hex('client', conversationID, seq),
      serverMsgID: input.serverMsgID ?? md5Hex('server', conversationID, seq),
      senderPlatformID: 0,
      senderNickname: input.senderNickname ?? '',
      senderFaceURL: input.senderFaceURL ?? '',
      sessionType,
      msgFrom: MSG_FROM.system,
      contentType: input.contentType,
      content,
      seq,
      sendTime: time,
      createTime: time,
      status: 0,
      options: input.options === undefined ? reliableNotificationOptions() : input.options,
      offlinePushInfo:
        input.offlinePushInfo === undefined ? emptyOfflinePush() : input.offlinePushInfo,
      atUserIDList: null,
      attachedInfo: '',
      ex: '',
    }));
  }

  /**
   * A group notice sent as a message into `sg_<groupID>` (by default 1501 GroupCreated, whose
   * `GroupCreatedTips` detail is built from the group), as the notification sender's
   * `isSendMsg` clone stores it.
   */
  postGroupNotice(
    groupID: string,
    options: { contentType?: number; opUserID?: string; time?: number; detail?: string } = {},
  ): SentMessage {
    const group = this.#requireGroup(groupID);
    const contentType = options.contentType ?? CONTENT.groupCreated;
    const time = options.time ?? this.now();
    const members = this.#members.get(groupID) ?? [];
    const owner = members.find((m) => m.roleLevel === ROLE.owner);
    const opUserID = options.opUserID ?? owner?.userID ?? group.creatorUserID;
    const fullInfo = (member: OpenImGroupMember | undefined) => {
      if (!member) return null;
      const user = this.#users.get(member.userID);
      return {
        ...member,
        nickname: member.nickname || user?.nickname || '',
        faceURL: member.faceURL || user?.faceURL || '',
        appMangerLevel: user?.appMangerLevel ?? 0,
      };
    };
    const detail =
      options.detail ??
      encodeStruct(
        GroupCreatedTips,
        {
          group: { ...group, ownerUserID: owner?.userID ?? '', memberCount: members.length },
          opUser: fullInfo(members.find((m) => m.userID === opUserID)),
          memberList: members.map(fullInfo),
          operationTime: time,
          groupOwnerUser: fullInfo(owner),
          groupMemberVersion: members.length,
          groupMemberVersionID: md5Hex('group-members', groupID).slice(0, 24),
        },
        this.variant,
      );
    const configured = contentType === CONTENT.groupCreated;
    return this.postNotification(`sg_${groupID}`, {
      sendID: opUserID,
      groupID,
      contentType,
      sessionType: SESSION.group,
      detail,
      time,
      options: { offlinePush: false, unreadCount: true },
      offlinePushInfo: {
        title: configured ? 'create group title' : '',
        desc: configured ? 'create group desc' : '',
        ex: configured ? 'create group ext' : '',
        iOSPushSound: '',
        iOSBadgeCount: false,
      },
    });
  }

  /** Allocates the next seq, creates records for a new chat, and writes the message's slot. */
  #store(conversationID: string, build: (seq: number) => StoredMsg): SentMessage {
    const seqs = this.#seqs.get(conversationID) ?? { minSeq: 0, maxSeq: 0, maxSeqTime: 0 };
    const isNew = seqs.maxSeq === 0;
    const msg = build(seqs.maxSeq + 1);
    seqs.maxSeq = msg.seq;
    // The seq cache stamps the allocation time; the fake uses the message's send time.
    seqs.maxSeqTime = msg.sendTime;
    this.#seqs.set(conversationID, seqs);
    if (isNew && !conversationID.startsWith('n_')) this.#createChatRecords(conversationID, msg);
    this.#slotFor(conversationID, msg.seq, true).msg = msg;
    let ledger = this.#ledger.get(conversationID);
    if (!ledger) {
      ledger = new Map();
      this.#ledger.set(conversationID, ledger);
    }
    ledger.set(msg.seq, { msg });
    return { ...structuredClone(msg), conversationID };
  }

  /** msg-transfer's first-message hook: records for both users, or for every group member. */
  #createChatRecords(conversationID: string, msg: StoredMsg): void {
    if (msg.sessionType === SESSION.single) {
      this.#createRecord(msg.sendID, conversationID, SESSION.single, msg.recvID, '');
      this.#createRecord(msg.recvID, conversationID, SESSION.single, msg.sendID, '');
    } else if (msg.sessionType === SESSION.notification) {
      this.#createRecord(msg.recvID, conversationID, SESSION.notification, msg.sendID, '');
    } else if (msg.sessionType === SESSION.group && conversationID.startsWith('sg_')) {
      const members = this.#members.get(msg.groupID) ?? [];
      this.#createGroupRecords(
        msg.groupID,
        members.map((m) => m.userID),
      );
    }
  }

  #slotFor(conversationID: string, seq: number, create: true): MsgSlot;
  #slotFor(conversationID: string, seq: number, create: false): MsgSlot | undefined;
  #slotFor(conversationID: string, seq: number, create: boolean): MsgSlot | undefined {
    const { index, slot } = blockOf(seq);
    const key = `${conversationID}:${index}`;
    let block = this.#blocks.get(key);
    if (!block) {
      if (!create) return undefined;
      block = {
        id: ++this.#blockIds,
        conversationID,
        index,
        slots: Array.from({ length: BLOCK_SIZE }, emptySlot),
      };
      this.#blocks.set(key, block);
    }
    return block.slots[slot];
  }

  #existingMessage(conversationID: string, seq: number): { slot: MsgSlot; msg: StoredMsg } {
    const slot = this.#slotFor(conversationID, seq, false);
    if (!slot?.msg) throw new Error(`no message ${conversationID} seq ${seq}`);
    return { slot, msg: slot.msg };
  }

  /**
   * Revokes a message in place, as `/msg/revoke_msg` does for `userID`, and posts the 2101
   * notification into the chat's `n_` conversation. `adminUserID` is the admin whose token made
   * the call (revoker role 0, `isAdminRevoke`); without it the user revoked it themselves.
   */
  revoke(input: {
    conversationID: string;
    seq: number;
    userID: string;
    adminUserID?: string;
    time?: number;
  }): { revoke: RevokeRecord; notification: SentMessage } {
    const { conversationID, seq, userID } = input;
    const { slot, msg } = this.#existingMessage(conversationID, seq);
    if (slot.revoke) throw new Error(`${conversationID} seq ${seq} is already revoked (1404)`);
    const user = this.#users.get(userID);
    if (!user) throw new Error(`revoke: no user ${userID}`);
    const opUserID = input.adminUserID ?? userID;
    const byAdmin = this.adminUserIDs.includes(opUserID);
    let role = 0;
    if (!byAdmin) {
      role =
        msg.sessionType === SESSION.group
          ? (this.#members.get(msg.groupID)?.find((m) => m.userID === userID)?.roleLevel ?? 0)
          : user.appMangerLevel;
    }
    const time = input.time ?? this.now();
    slot.revoke = { role, userID, nickname: user.nickname, time };
    const recvID = msg.sessionType === SESSION.group ? msg.groupID : msg.recvID;
    const notificationConversationID =
      msg.sessionType === SESSION.group || msg.sessionType === SESSION.writeGroup
        ? `n_${msg.groupID}`
        : singleConversationID(userID, recvID, 'n_');
    const notification = this.postNotification(notificationConversationID, {
      sendID: userID,
      recvID,
      sessionType: msg.sessionType,
      ...(msg.sessionType === SESSION.group ? { groupID: msg.groupID } : {}),
      contentType: CONTENT.revoke,
      time,
      detail: encodeStruct(
        RevokeMsgTips,
        {
          revokerUserID: opUserID,
          clientMsgID: msg.clientMsgID,
          revokeTime: time,
          sesstionType: msg.sessionType,
          seq,
          conversationID,
          isAdminRevoke: byAdmin,
        },
        this.variant,
      ),
    });
    return { revoke: { ...slot.revoke }, notification };
  }

  /**
   * Deletes messages for one user (`/msg/delete_msgs` without `isSyncOther`): their pulls show
   * status 4 and no content. With `syncSelf`, the 2102 notification goes to `n_<user>_<user>`.
   */
  deleteForUser(
    conversationID: string,
    userID: string,
    seqs: number[],
    options: { syncSelf?: boolean; time?: number } = {},
  ): void {
    for (const seq of seqs) {
      const slot = this.#slotFor(conversationID, seq, false);
      if (slot && !slot.cleared && !slot.delList.includes(userID)) slot.delList.push(userID);
    }
    if (options.syncSelf) {
      this.#postDeleteTips(singleConversationID(userID, userID, 'n_'), userID, userID, {
        userID,
        conversationID,
        seqs,
        sessionType: SESSION.single,
        time: options.time,
      });
    }
  }

  /**
   * Deletes messages physically: each slot becomes `{msg: null}` and pulls return a placeholder.
   * `byUserID` means `/msg/delete_msgs` with `isSyncOther`, which also posts the 2102
   * notification into the chat's `n_` conversation; without it, `delete_msg_phsical_by_seq`.
   */
  deletePhysically(
    conversationID: string,
    seqs: number[],
    options: { byUserID?: string; time?: number } = {},
  ): void {
    for (const seq of seqs) {
      const slot = this.#slotFor(conversationID, seq, false);
      if (slot) Object.assign(slot, { ...emptySlot(), delList: [], cleared: true });
    }
    const { byUserID } = options;
    if (byUserID === undefined) return;
    if (conversationID.startsWith('sg_')) {
      const groupID = conversationID.slice(3);
      this.#postDeleteTips(`n_${groupID}`, byUserID, groupID, {
        userID: byUserID,
        conversationID,
        seqs,
        sessionType: SESSION.group,
        time: options.time,
      });
    } else {
      const [a = '', b = ''] = conversationID.slice(conversationID.indexOf('_') + 1).split('_');
      const peer = a === byUserID ? b : a;
      this.#postDeleteTips(singleConversationID(byUserID, peer, 'n_'), byUserID, peer, {
        userID: byUserID,
        conversationID,
        seqs,
        sessionType: SESSION.single,
        time: options.time,
      });
    }
  }

  #postDeleteTips(
    target: string,
    sendID: string,
    recvID: string,
    tips: {
      userID: string;
      conversationID: string;
      seqs: number[];
      sessionType: number;
      time: number | undefined;
    },
  ): void {
    this.postNotification(target, {
      sendID,
      recvID,
      sessionType: tips.sessionType,
      ...(tips.sessionType === SESSION.group ? { groupID: recvID } : {}),
      contentType: CONTENT.deleteMsgs,
      ...(tips.time === undefined ? {} : { time: tips.time }),
      detail: encodeStruct(
        DeleteMsgsTips,
        { userID: tips.userID, conversationID: tips.conversationID, seqs: tips.seqs },
        this.variant,
      ),
    });
  }

  /** One user clears their history: their min seq (and their record's) becomes max seq + 1. */
  clearHistory(conversationID: string, userID: string): void {
    const { maxSeq } = this.conversationSeqs(conversationID);
    this.#userMinSeqs.set(`${conversationID}\u0000${userID}`, maxSeq + 1);
    const record = this.#records.get(userID)?.get(conversationID);
    if (record) {
      record.minSeq = maxSeq + 1;
      this.#bumpVersion(userID);
    }
    this.setHasReadSeq(userID, conversationID, maxSeq);
  }

  /** History cleared for everyone (`isSyncOther`): the conversation's min seq becomes max seq + 1. */
  clearForEveryone(conversationID: string, userID?: string): void {
    const seqs = this.#seqs.get(conversationID);
    if (!seqs) return;
    seqs.minSeq = seqs.maxSeq + 1;
    if (userID !== undefined) this.setHasReadSeq(userID, conversationID, seqs.maxSeq);
  }

  /**
   * The retention cron: deletes the oldest `blocks` 100-seq blocks of the conversation and raises
   * its min seq past the last message each held.
   */
  cutRetention(conversationID: string, blocks = 1): void {
    const doomed = [...this.#blocks.values()]
      .filter((block) => block.conversationID === conversationID)
      .sort((x, y) => x.index - y.index)
      .slice(0, blocks);
    const seqs = this.#seqs.get(conversationID);
    for (const block of doomed) {
      this.#blocks.delete(`${conversationID}:${block.index}`);
      let last = 0;
      for (const slot of block.slots) {
        if (!slot.msg) continue;
        last = Math.max(last, slot.msg.seq);
        const entry = this.#ledger.get(conversationID)?.get(slot.msg.seq);
        if (entry) entry.gone = 'retentionDeleted';
      }
      if (seqs && last > 0 && seqs.minSeq < last + 1) seqs.minSeq = last + 1;
    }
  }

  /** Marks one-to-one messages as read (the slot's `is_read`, shown as `isRead` in pulls). */
  markRead(conversationID: string, seqs: number[]): void {
    for (const seq of seqs) {
      const slot = this.#slotFor(conversationID, seq, false);
      if (slot?.msg) slot.isRead = true;
    }
  }

  // ---- the store, as the server reads it ----------------------------------------------------

  /** The slot holding a seq, or undefined when its block does not exist. */
  slot(conversationID: string, seq: number): Readonly<MsgSlot> | undefined {
    return this.#slotFor(conversationID, seq, false);
  }

  /** Every block of the `si_`/`sg_`… store, in creation (`_id`) order. */
  blocks(): readonly MsgBlock[] {
    return [...this.#blocks.values()].sort((x, y) => x.id - y.id);
  }

  /** The block with that index, or undefined. */
  block(conversationID: string, index: number): MsgBlock | undefined {
    return this.#blocks.get(`${conversationID}:${index}`);
  }

  // ---- reading back -------------------------------------------------------------------------

  /** Every message ever stored (in a conversation, or everywhere), in conversation then seq order. */
  messages(conversationID?: string): ArchivedMessage[] {
    const ids = conversationID === undefined ? [...this.#ledger.keys()] : [conversationID];
    const out: ArchivedMessage[] = [];
    for (const id of ids) {
      const ledger = this.#ledger.get(id);
      if (!ledger) continue;
      for (const [seq, entry] of [...ledger].sort(([a], [b]) => a - b)) {
        const slot = entry.gone ? undefined : this.#slotFor(id, seq, false);
        out.push({
          conversationID: id,
          seq,
          msg: structuredClone(entry.msg),
          state: entry.gone ?? (slot?.cleared ? 'physicallyDeleted' : 'stored'),
          revoke: slot?.revoke ? { ...slot.revoke } : null,
          deletedFor: [...(slot?.delList ?? [])],
          isRead: slot?.isRead ?? false,
        });
      }
    }
    return out;
  }

  /** The message stored at a seq (original content), or undefined. */
  message(conversationID: string, seq: number): ArchivedMessage | undefined {
    return this.messages(conversationID).find((m) => m.seq === seq);
  }
}

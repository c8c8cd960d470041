/**
 * The generated structs the fake's routes read and write, field for field in struct order, as
 * `openimsdk/protocol` v0.0.73-alpha.12 (v3.8.3-patch.16) and alpha.18 (main's stand-in) define
 * them, and the constants the server uses with them.
 */
import { K, map, message, messages, type Schema } from './fake-openim-json.ts';

/** `sdkws.RequestPagination`. */
export const RequestPagination: Schema = {
  go: 'sdkws.RequestPagination',
  fields: [
    ['pageNumber', K.int32],
    ['showNumber', K.int32],
  ],
};

/** `sdkws.OfflinePushInfo`. */
export const OfflinePushInfo: Schema = {
  go: 'sdkws.OfflinePushInfo',
  fields: [
    ['title', K.string],
    ['desc', K.string],
    ['ex', K.string],
    ['iOSPushSound', K.string],
    ['iOSBadgeCount', K.bool],
    ['signalInfo', K.string],
  ],
};

/** `sdkws.MsgData`: `content` is bytes (base64 on the wire), `options` a map. */
export const MsgData: Schema = {
  go: 'sdkws.MsgData',
  fields: [
    ['sendID', K.string],
    ['recvID', K.string],
    ['groupID', K.string],
    ['clientMsgID', K.string],
    ['serverMsgID', K.string],
    ['senderPlatformID', K.int32],
    ['senderNickname', K.string],
    ['senderFaceURL', K.string],
    ['sessionType', K.int32],
    ['msgFrom', K.int32],
    ['contentType', K.int32],
    ['content', K.bytes],
    ['seq', K.int64],
    ['sendTime', K.int64],
    ['createTime', K.int64],
    ['status', K.int32],
    ['isRead', K.bool],
    ['options', map(K.bool)],
    ['offlinePushInfo', message(OfflinePushInfo)],
    ['atUserIDList', K.strings],
    ['attachedInfo', K.string],
    ['ex', K.string],
  ],
};

/** `sdkws.PullMsgs`: note the capital `Msgs` tag. */
export const PullMsgs: Schema = {
  go: 'sdkws.PullMsgs',
  fields: [
    ['Msgs', messages(MsgData)],
    ['isEnd', K.bool],
    ['endSeq', K.int64],
  ],
};

/** `sdkws.SeqRange`. */
export const SeqRange: Schema = {
  go: 'sdkws.SeqRange',
  fields: [
    ['conversationID', K.string],
    ['begin', K.int64],
    ['end', K.int64],
    ['num', K.int64],
  ],
};

/** `sdkws.PullMessageBySeqsReq`. */
export const PullMessageBySeqsReq: Schema = {
  go: 'sdkws.PullMessageBySeqsReq',
  fields: [
    ['userID', K.string],
    ['seqRanges', messages(SeqRange)],
    ['order', { t: 'enum', go: 'sdkws.PullOrder' }],
  ],
};

/** `sdkws.PullMessageBySeqsResp`. */
export const PullMessageBySeqsResp: Schema = {
  go: 'sdkws.PullMessageBySeqsResp',
  fields: [
    ['msgs', map(message(PullMsgs))],
    ['notificationMsgs', map(message(PullMsgs))],
  ],
};

/** `sdkws.GetMaxSeqReq`. */
export const GetMaxSeqReq: Schema = { go: 'sdkws.GetMaxSeqReq', fields: [['userID', K.string]] };

/** `sdkws.GetMaxSeqResp`. */
export const GetMaxSeqResp: Schema = {
  go: 'sdkws.GetMaxSeqResp',
  fields: [
    ['maxSeqs', map(K.int64)],
    ['minSeqs', map(K.int64)],
  ],
};

/** `sdkws.UserInfo`. */
export const UserInfo: Schema = {
  go: 'sdkws.UserInfo',
  fields: [
    ['userID', K.string],
    ['nickname', K.string],
    ['faceURL', K.string],
    ['ex', K.string],
    ['createTime', K.int64],
    ['appMangerLevel', K.int32],
    ['globalRecvMsgOpt', K.int32],
  ],
};

/** `sdkws.GroupInfo`. */
export const GroupInfo: Schema = {
  go: 'sdkws.GroupInfo',
  fields: [
    ['groupID', K.string],
    ['groupName', K.string],
    ['notification', K.string],
    ['introduction', K.string],
    ['faceURL', K.string],
    ['ownerUserID', K.string],
    ['createTime', K.int64],
    ['memberCount', K.uint32],
    ['ex', K.string],
    ['status', K.int32],
    ['creatorUserID', K.string],
    ['groupType', K.int32],
    ['needVerification', K.int32],
    ['lookMemberInfo', K.int32],
    ['applyMemberFriend', K.int32],
    ['notificationUpdateTime', K.int64],
    ['notificationUserID', K.string],
  ],
};

/** `sdkws.GroupMemberFullInfo`. */
export const GroupMemberFullInfo: Schema = {
  go: 'sdkws.GroupMemberFullInfo',
  fields: [
    ['groupID', K.string],
    ['userID', K.string],
    ['roleLevel', K.int32],
    ['joinTime', K.int64],
    ['nickname', K.string],
    ['faceURL', K.string],
    ['appMangerLevel', K.int32],
    ['joinSource', K.int32],
    ['operatorUserID', K.string],
    ['ex', K.string],
    ['muteEndTime', K.int64],
    ['inviterUserID', K.string],
  ],
};

/** `sdkws.GroupCreatedTips`, the detail of a 1501 notice. */
export const GroupCreatedTips: Schema = {
  go: 'sdkws.GroupCreatedTips',
  fields: [
    ['group', message(GroupInfo)],
    ['opUser', message(GroupMemberFullInfo)],
    ['memberList', messages(GroupMemberFullInfo)],
    ['operationTime', K.int64],
    ['groupOwnerUser', message(GroupMemberFullInfo)],
    ['groupMemberVersion', K.uint64],
    ['groupMemberVersionID', K.string],
  ],
};

/** `sdkws.NotificationElem`: every notification's content. */
export const NotificationElem: Schema = {
  go: 'sdkws.NotificationElem',
  fields: [['detail', K.string]],
};

/** `sdkws.MessageRevokedContent`: what a revoked message's content becomes on every read. */
export const MessageRevokedContent: Schema = {
  go: 'sdkws.MessageRevokedContent',
  fields: [
    ['revokerID', K.string],
    ['revokerRole', K.int32],
    ['clientMsgID', K.string],
    ['revokerNickname', K.string],
    ['revokeTime', K.int64],
    ['sourceMessageSendTime', K.int64],
    ['sourceMessageSendID', K.string],
    ['sourceMessageSenderNickname', K.string],
    ['sessionType', K.int32],
    ['seq', K.int64],
    ['ex', K.string],
  ],
};

/** `sdkws.RevokeMsgTips` (sic `sesstionType`), the detail of the 2101 notification. */
export const RevokeMsgTips: Schema = {
  go: 'sdkws.RevokeMsgTips',
  fields: [
    ['revokerUserID', K.string],
    ['clientMsgID', K.string],
    ['revokeTime', K.int64],
    ['sesstionType', K.int32],
    ['seq', K.int64],
    ['conversationID', K.string],
    ['isAdminRevoke', K.bool],
  ],
};

/** `sdkws.DeleteMsgsTips`, the detail of the 2102 notification. */
export const DeleteMsgsTips: Schema = {
  go: 'sdkws.DeleteMsgsTips',
  fields: [
    ['userID', K.string],
    ['conversationID', K.string],
    ['seqs', K.int64s],
  ],
};

/** `auth.getAdminTokenReq`. */
export const GetAdminTokenReq: Schema = {
  go: 'auth.GetAdminTokenReq',
  fields: [
    ['secret', K.string],
    ['userID', K.string],
  ],
};

/** `auth.getAdminTokenResp`. */
export const GetAdminTokenResp: Schema = {
  go: 'auth.GetAdminTokenResp',
  fields: [
    ['token', K.string],
    ['expireTimeSeconds', K.int64],
  ],
};

/** `auth.parseTokenReq`. */
export const ParseTokenReq: Schema = { go: 'auth.ParseTokenReq', fields: [['token', K.string]] };

/** `auth.parseTokenResp`. */
export const ParseTokenResp: Schema = {
  go: 'auth.ParseTokenResp',
  fields: [
    ['userID', K.string],
    ['platformID', K.int32],
    ['expireTimeSeconds', K.int64],
  ],
};

/** `msg.SearchMessageReq`. */
export const SearchMessageReq: Schema = {
  go: 'msg.SearchMessageReq',
  fields: [
    ['sendID', K.string],
    ['recvID', K.string],
    ['contentType', K.int32],
    ['sendTime', K.string],
    ['sessionType', K.int32],
    ['pagination', message(RequestPagination)],
  ],
};

/** `msg.ChatLog`: `content` is a plain string here. */
export const ChatLog: Schema = {
  go: 'msg.ChatLog',
  fields: [
    ['serverMsgID', K.string],
    ['clientMsgID', K.string],
    ['sendID', K.string],
    ['recvID', K.string],
    ['groupID', K.string],
    ['recvNickname', K.string],
    ['senderPlatformID', K.int32],
    ['senderNickname', K.string],
    ['senderFaceURL', K.string],
    ['groupName', K.string],
    ['sessionType', K.int32],
    ['msgFrom', K.int32],
    ['contentType', K.int32],
    ['content', K.string],
    ['status', K.int32],
    ['sendTime', K.int64],
    ['createTime', K.int64],
    ['ex', K.string],
    ['groupFaceURL', K.string],
    ['groupMemberCount', K.uint32],
    ['seq', K.int64],
    ['groupOwner', K.string],
    ['groupType', K.int32],
  ],
};

/** `msg.SearchChatLog`. */
export const SearchChatLog: Schema = {
  go: 'msg.SearchChatLog',
  fields: [
    ['chatLog', message(ChatLog)],
    ['isRevoked', K.bool],
  ],
};

/** `msg.SearchMessageResp`. */
export const SearchMessageResp: Schema = {
  go: 'msg.SearchMessageResp',
  fields: [
    ['chatLogs', messages(SearchChatLog)],
    ['chatLogsNum', K.int32],
  ],
};

/** `msg.GetConversationsHasReadAndMaxSeqReq`. */
export const GetConversationsHasReadAndMaxSeqReq: Schema = {
  go: 'msg.GetConversationsHasReadAndMaxSeqReq',
  fields: [
    ['userID', K.string],
    ['conversationIDs', K.strings],
    ['returnPinned', K.bool],
  ],
};

/** `msg.Seqs`. */
export const Seqs: Schema = {
  go: 'msg.Seqs',
  fields: [
    ['maxSeq', K.int64],
    ['hasReadSeq', K.int64],
    ['maxSeqTime', K.int64],
  ],
};

/** `msg.GetConversationsHasReadAndMaxSeqResp`. */
export const GetConversationsHasReadAndMaxSeqResp: Schema = {
  go: 'msg.GetConversationsHasReadAndMaxSeqResp',
  fields: [
    ['seqs', map(message(Seqs))],
    ['pinnedConversationIDs', K.strings],
  ],
};

/** `user.GetAllUserIDReq`. */
export const GetAllUserIDReq: Schema = {
  go: 'user.GetAllUserIDReq',
  fields: [['pagination', message(RequestPagination)]],
};

/** `user.GetAllUserIDResp`. */
export const GetAllUserIDResp: Schema = {
  go: 'user.GetAllUserIDResp',
  fields: [
    ['total', K.int32],
    ['userIDs', K.strings],
  ],
};

/** `user.GetPaginationUsersReq`. */
export const GetPaginationUsersReq: Schema = {
  go: 'user.GetPaginationUsersReq',
  fields: [
    ['pagination', message(RequestPagination)],
    ['userID', K.string],
    ['nickName', K.string],
  ],
};

/** `user.GetPaginationUsersResp`. */
export const GetPaginationUsersResp: Schema = {
  go: 'user.GetPaginationUsersResp',
  fields: [
    ['total', K.int32],
    ['users', messages(UserInfo)],
  ],
};

/** `conversation.Conversation`. */
export const Conversation: Schema = {
  go: 'conversation.Conversation',
  fields: [
    ['ownerUserID', K.string],
    ['conversationID', K.string],
    ['recvMsgOpt', K.int32],
    ['conversationType', K.int32],
    ['userID', K.string],
    ['groupID', K.string],
    ['isPinned', K.bool],
    ['attachedInfo', K.string],
    ['isPrivateChat', K.bool],
    ['groupAtType', K.int32],
    ['ex', K.string],
    ['burnDuration', K.int32],
    ['minSeq', K.int64],
    ['maxSeq', K.int64],
    ['msgDestructTime', K.int64],
    ['latestMsgDestructTime', K.int64],
    ['isMsgDestruct', K.bool],
  ],
};

/** `conversation.GetOwnerConversationReq`. */
export const GetOwnerConversationReq: Schema = {
  go: 'conversation.GetOwnerConversationReq',
  fields: [
    ['userID', K.string],
    ['pagination', message(RequestPagination)],
  ],
};

/** `conversation.GetOwnerConversationResp`. */
export const GetOwnerConversationResp: Schema = {
  go: 'conversation.GetOwnerConversationResp',
  fields: [
    ['total', K.int64],
    ['conversations', messages(Conversation)],
  ],
};

/** `conversation.GetAllConversationsReq`. */
export const GetAllConversationsReq: Schema = {
  go: 'conversation.GetAllConversationsReq',
  fields: [['ownerUserID', K.string]],
};

/** `conversation.GetAllConversationsResp` (and `GetConversationsResp`, of the same shape). */
export const ConversationsResp: Schema = {
  go: 'conversation.GetAllConversationsResp',
  fields: [['conversations', messages(Conversation)]],
};

/** `conversation.GetConversationsReq`. */
export const GetConversationsReq: Schema = {
  go: 'conversation.GetConversationsReq',
  fields: [
    ['ownerUserID', K.string],
    ['conversationIDs', K.strings],
  ],
};

/** `conversation.GetFullOwnerConversationIDsReq`. */
export const GetFullOwnerConversationIDsReq: Schema = {
  go: 'conversation.GetFullOwnerConversationIDsReq',
  fields: [
    ['idHash', K.uint64],
    ['userID', K.string],
  ],
};

/** `conversation.GetFullOwnerConversationIDsResp`. */
export const GetFullOwnerConversationIDsResp: Schema = {
  go: 'conversation.GetFullOwnerConversationIDsResp',
  fields: [
    ['version', K.uint64],
    ['versionID', K.string],
    ['equal', K.bool],
    ['conversationIDs', K.strings],
  ],
};

/** `group.GetGroupsReq`. */
export const GetGroupsReq: Schema = {
  go: 'group.GetGroupsReq',
  fields: [
    ['pagination', message(RequestPagination)],
    ['groupName', K.string],
    ['groupID', K.string],
  ],
};

/** `group.CMSGroup`. */
export const CMSGroup: Schema = {
  go: 'group.CMSGroup',
  fields: [
    ['groupInfo', message(GroupInfo)],
    ['groupOwnerUserName', K.string],
    ['groupOwnerUserID', K.string],
  ],
};

/** `group.GetGroupsResp`. */
export const GetGroupsResp: Schema = {
  go: 'group.GetGroupsResp',
  fields: [
    ['total', K.uint32],
    ['groups', messages(CMSGroup)],
  ],
};

/** `group.GetGroupMemberUserIDsReq`. */
export const GetGroupMemberUserIDsReq: Schema = {
  go: 'group.GetGroupMemberUserIDsReq',
  fields: [['groupID', K.string]],
};

/** `group.GetGroupMemberUserIDsResp`. */
export const GetGroupMemberUserIDsResp: Schema = {
  go: 'group.GetGroupMemberUserIDsResp',
  fields: [['userIDs', K.strings]],
};

/** Session types (`constant.SingleChatType` …). */
export const SESSION = { single: 1, writeGroup: 2, group: 3, notification: 4 } as const;

/** Content types the fake creates itself. */
export const CONTENT = {
  text: 101,
  picture: 102,
  groupCreated: 1501,
  revoke: 2101,
  deleteMsgs: 2102,
} as const;

/** Message status values (`constant.MsgStatusSending` …). */
export const STATUS = { sending: 1, sent: 2, failed: 3, deleted: 4, filtered: 5 } as const;

/** `msgFrom`: a user's message or a system one. */
export const MSG_FROM = { user: 100, system: 200 } as const;

/** Group member role levels. */
export const ROLE = { owner: 100, admin: 60, member: 20 } as const;

/** `constant.AdminPlatformID`: the platform an admin token carries. */
export const ADMIN_PLATFORM_ID = 10;

/** OpenIM's error codes (`tools/errs`, `servererrs`) with the message each carries. */
export const ERR = {
  internal: [500, 'ServerInternalError'],
  args: [1001, 'ArgsError'],
  noPermission: [1002, 'NoPermissionError'],
  recordNotFound: [1004, 'RecordNotFoundError'],
  tokenExpired: [1501, 'TokenExpiredError'],
  tokenInvalid: [1502, 'TokenInvalidError'],
  tokenMalformed: [1503, 'TokenMalformedError'],
  tokenNotValidYet: [1504, 'TokenNotValidYetError'],
  tokenUnknown: [1505, 'TokenUnknownError'],
  tokenKicked: [1506, 'TokenKickedError'],
  tokenNotExist: [1507, 'TokenNotExistError'],
} as const satisfies Record<string, readonly [number, string]>;

/** Go's zero `time.Time` in Unix milliseconds: what unset time fields come out as. */
export const GO_ZERO_TIME_MS = -62_135_596_800_000;

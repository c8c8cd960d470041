/**
 * The fake's demo data: three users, their chats and one group around 2025-05-09, fixed down to
 * the millisecond so documentation can show exact output. Seq 1 of `si_user_a_user_b` is the
 * message in the project's README.
 */
import type { OpenImModel } from './fake-openim-model.ts';

const A = 'user_a';
const B = 'user_b';
const C = 'user_c';

/** The demo group. */
export const DEMO_GROUP_ID = '3069284561';

/** A picture message's content as the SDK builds a `PictureElem`. */
const PICTURE = JSON.stringify({
  sourcePath: '',
  sourcePicture: {
    uuid: '9c2f0e3a-6b1d-4f58-a7d2-3e5b1c0f8a41.jpg',
    type: 'image/jpeg',
    size: 248713,
    width: 1920,
    height: 1440,
    url: 'https://files.example.com/openim/3069284561/9c2f0e3a-6b1d-4f58-a7d2-3e5b1c0f8a41.jpg',
  },
  bigPicture: {
    uuid: '9c2f0e3a-6b1d-4f58-a7d2-3e5b1c0f8a41.jpg',
    type: 'image/jpeg',
    size: 248713,
    width: 1920,
    height: 1440,
    url: 'https://files.example.com/openim/3069284561/9c2f0e3a-6b1d-4f58-a7d2-3e5b1c0f8a41.jpg',
  },
  snapshotPicture: {
    uuid: '9c2f0e3a-6b1d-4f58-a7d2-3e5b1c0f8a41.jpg',
    type: 'image/jpeg',
    size: 15840,
    width: 320,
    height: 240,
    url: 'https://files.example.com/openim/3069284561/9c2f0e3a-6b1d-4f58-a7d2-3e5b1c0f8a41.jpg?type=image&width=320&height=240',
  },
});

const text = (content: string) => JSON.stringify({ content });

/**
 * Seeds the demo: users `user_a` (Alice), `user_b` (Bob), `user_c` (Carol) beside the admin;
 * `si_user_a_user_b` (the README message, then 8 more; seq 5 revoked by its sender, seq 7
 * physically deleted); group 3069284561 (a 1501 notice, then 6 messages, a picture at seq 4,
 * seq 6 revoked); and `si_user_b_user_c` (3 messages).
 */
export function seedDemo(model: OpenImModel): void {
  const created = 1_746_781_200_000; // 2025-05-09T09:00:00Z
  model.addUser({ userID: A, nickname: 'Alice', createTime: created });
  model.addUser({ userID: B, nickname: 'Bob', createTime: created + 60_000 });
  model.addUser({ userID: C, nickname: 'Carol', createTime: created + 120_000 });

  const ab = { [A]: B, [B]: A } as Record<string, string>;
  const say = (sendID: string, content: string, sendTime: number, lag = 713) =>
    model.sendMessage({
      sendID,
      recvID: ab[sendID] as string,
      content: text(content),
      sendTime,
      createTime: sendTime - lag,
    });
  model.sendMessage({
    sendID: A,
    recvID: B,
    serverMsgID: '0b2676769e9eceb4983cb12966586f48',
    clientMsgID: 'f4ff79f97195113e3048bbfedb5748b6',
    senderNickname: 'Alice',
    senderPlatformID: 5,
    senderFaceURL: '',
    sessionType: 1,
    msgFrom: 100,
    contentType: 101,
    content: '{"content":"hi"}',
    sendTime: 1_746_797_848_316,
    createTime: 1_746_797_847_589,
    atUserIDList: null,
    ex: '',
  });
  say(B, 'Hi Alice! <3 & welcome back', 1_746_797_861_204);
  say(A, 'Lunch at 12:30?', 1_746_797_893_517);
  say(B, 'Sure, the usual place?', 1_746_797_920_046);
  say(A, 'Oops, wrong chat', 1_746_797_951_880);
  say(A, 'Yes, the ramen bar 🍜', 1_746_797_975_309);
  say(B, 'Great, booking a table', 1_746_798_004_771);
  say(A, 'Running 5 min late', 1_746_798_037_650);
  say(B, 'No worries, see you there', 1_746_798_069_988);
  model.revoke({ conversationID: 'si_user_a_user_b', seq: 5, userID: A, time: 1_746_797_958_112 });
  model.deletePhysically('si_user_a_user_b', [7]);

  const groupCreated = 1_746_798_100_000;
  model.createGroup({
    groupID: DEMO_GROUP_ID,
    ownerUserID: A,
    memberUserIDs: [B, C],
    groupName: 'Weekend hike',
    faceURL: 'https://files.example.com/openim/groups/3069284561.png',
    createTime: groupCreated,
  });
  model.postGroupNotice(DEMO_GROUP_ID, { opUserID: A, time: groupCreated });
  const post = (sendID: string, content: string, sendTime: number, contentType = 101) =>
    model.sendMessage({
      sendID,
      groupID: DEMO_GROUP_ID,
      content,
      contentType,
      sendTime,
      createTime: sendTime - 402,
    });
  post(A, text('Who is in for Saturday?'), 1_746_798_130_114);
  post(B, text('Me! Which trail?'), 1_746_798_152_870);
  post(A, PICTURE, 1_746_798_190_402, 102);
  post(C, text('Count me in <3'), 1_746_798_221_663);
  post(C, text('Wait, I have a dentist appointment'), 1_746_798_240_021);
  post(C, text("Never mind, it's on Sunday. I'm in!"), 1_746_798_263_580);
  model.revoke({
    conversationID: `sg_${DEMO_GROUP_ID}`,
    seq: 6,
    userID: C,
    time: 1_746_798_251_337,
  });

  const bc = (sendID: string, recvID: string, content: string, sendTime: number) =>
    model.sendMessage({
      sendID,
      recvID,
      content: text(content),
      sendTime,
      createTime: sendTime - 388,
    });
  bc(B, C, 'Are you driving on Saturday?', 1_746_798_301_442);
  bc(C, B, 'Yes, I can pick you up at 7', 1_746_798_322_918);
  bc(B, C, 'Perfect, thanks!', 1_746_798_340_075);
}

/**
 * What the scheduled reconcile counts, per run, in the receiver's CloudWatch namespace and
 * `service` dimension: the stack's alarms and dashboard read these names.
 */

/** The reconcile's metric names. */
export const ReconcileMetricName = {
  /** Chat messages the callbacks had lost, stored from OpenIM's API: above 0, callbacks were lost. */
  recovered: 'MessagesRecovered',
  /** Archived messages that got their real seq or its link. */
  linked: 'SeqsLinked',
  /** Messages newly marked revoked from OpenIM's own record of the revoke. */
  revoked: 'RevokesMarked',
  /** Seqs OpenIM no longer has and the archive does not account for. */
  gaps: 'SeqGaps',
  /** A run that failed, or could not pull a conversation or store a message: 1, else 0. */
  runsFailed: 'ReconcileRunsFailed',
} as const;

/** The words of the policy that configuration, engine and notices share. */

/** What the relay may do with a message, from mildest to most severe. */
export const ACTIONS = ['pass', 'warn', 'hold', 'reject'] as const;
export type Action = (typeof ACTIONS)[number];

export type Mode = 'enforce' | 'monitor';

/** What a sender can be emailed about: the relay's verdicts, and the DPO's later decisions. */
export const NOTICE_OUTCOMES = ['warn', 'hold', 'reject', 'released', 'rejected'] as const;
export type NoticeOutcome = (typeof NOTICE_OUTCOMES)[number];

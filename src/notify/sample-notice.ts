/**
 * A notice with every field filled in: the configuration loader renders each trust template
 * with it, so that a template that fails on real data is refused at start-up.
 */
import type { NoticeModel } from './notice-model.js';

export const SAMPLE_NOTICE: Omit<NoticeModel, 'outcome'> = {
  reference: 'DLP-SAMPL-E0000',
  organisation: { name: 'Example Academy Trust', dpoContact: 'dpo@example-trust.org.uk', policyUrl: 'https://example-trust.org.uk/policies/ict' },
  sender: 's.jones@example-trust.org.uk',
  recipients: ['parent.smith@gmail.com'],
  subject: 'J*** S**** - EHCP review',
  sentAt: '23 Nov 2026, 09:12',
  rules: [
    {
      id: 'sensitive-subject',
      action: 'reject',
      reason: 'The subject line names a pupil together with sensitive information.',
      clause: "The trust's data protection policy: do not refer to the information in the subject of the email",
      guidance: 'Keep the subject line general and use the pupil\'s initials.',
      suggestedSubject: 'J.S. - EHCP review',
      attachments: ['report.xlsx'],
      recipients: [{ address: 'parent.smith@gmail.com', class: 'personal', knownContact: true }],
    },
  ],
  found: [{ where: 'the subject line', items: ["a pupil's name (J*** S****)", 'sensitive information (send)'] }],
  moreFound: 1,
  reviewWithinHours: 24,
  dpoReason: 'Please send this through the secure portal.',
};

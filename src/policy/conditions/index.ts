import type { RuleCondition } from '../types.js';
import { passwordWithAttachment, unencryptedSensitiveAttachment } from './attachment-rules.js';
import { forwardToPersonalAddress } from './forward-to-personal-address.js';
import { unscannableAttachment } from './unscannable-attachment.js';
import {
  bulkPersonalData,
  personalDataToPersonalAddress,
  pupilNameInSubject,
  sensitiveSubject,
  specialCategoryInBody,
} from './personal-data-rules.js';

/** The code behind each rule id in rules/rules.yaml. */
export const RULE_CONDITIONS: Readonly<Record<string, RuleCondition>> = {
  'forward-to-personal-address': forwardToPersonalAddress,
  'personal-data-to-personal-address': personalDataToPersonalAddress,
  'sensitive-subject': sensitiveSubject,
  'pupil-name-in-subject': pupilNameInSubject,
  'bulk-personal-data': bulkPersonalData,
  'special-category-in-body': specialCategoryInBody,
  'unscannable-attachment': unscannableAttachment,
  'unencrypted-sensitive-attachment': unencryptedSensitiveAttachment,
  'password-with-attachment': passwordWithAttachment,
};

import { domainOfAddress, normaliseDomain } from '../config/domain-list.js';
import type { RecipientLists } from '../config/settings.js';
import type { ClassifiedRecipient, RecipientClass } from './types.js';

export type { RecipientLists };

/** Who the roster lists as a parent/carer contact. The roster itself comes from its own module. */
export interface ContactDirectory {
  /** The roster pupils whose contact this (lower-case) address is; empty for everyone else. */
  pupilsOf(address: string): readonly string[];
}

export const NO_CONTACTS: ContactDirectory = { pupilsOf: () => [] };

/**
 * Puts an envelope recipient in exactly one class. Internal is checked first, then personal,
 * then trusted: configuration validation refuses a trusted entry that covers a personal
 * domain, so the order only matters for a trust's own domains.
 */
export function classifyRecipient(
  address: string,
  lists: RecipientLists,
  contacts: ContactDirectory = NO_CONTACTS,
): ClassifiedRecipient {
  const lower = address.trim().toLowerCase();
  const rawDomain = domainOfAddress(lower);
  const domain = normaliseDomain(rawDomain) ?? rawDomain;
  const contactOf = [...contacts.pupilsOf(lower)];
  const result = (cls: RecipientClass, because: string): ClassifiedRecipient => ({
    address: lower,
    domain,
    class: cls,
    because,
    knownContact: contactOf.length > 0,
    contactOf,
  });

  const via = (entry: string): string => (entry === domain ? '' : ` (${entry})`);
  let entry = lists.internal.match(domain);
  if (entry) return result('internal', `${domain} is one of the trust's own domains${via(entry)}`);
  entry = lists.personal.match(domain);
  if (entry) return result('personal', `${domain} is a personal mailbox provider${via(entry)}`);
  entry = lists.trusted.match(domain);
  if (entry) return result('trusted', `${domain} is a trusted partner domain${via(entry)}`);
  return result('external', `${domain || 'this address'} is not on the internal, personal or trusted lists`);
}

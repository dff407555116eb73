/**
 * Which column of an MIS export holds what. Header names vary by MIS and by report
 * (docs/research/mis-exports.md): they are matched case-insensitively, ignoring spaces and
 * punctuation, against the aliases below.
 */
export type RosterField =
  | 'upn'
  | 'misId'
  | 'legalForename'
  | 'preferredForename'
  | 'forename'
  | 'legalSurname'
  | 'preferredSurname'
  | 'surname'
  | 'middleNames'
  | 'dateOfBirth'
  | 'yearGroup';

const ALIASES: Record<RosterField, string[]> = {
  upn: ['upn', 'uniquepupilnumber', 'currupn', 'pupilupn'],
  misId: ['adno', 'admissionnumber', 'misid', 'studentid', 'pupilid', 'sourcedid', 'studentnumber', 'personid'],
  legalForename: ['legalforename', 'legalfirstname', 'studentforename', 'pupilforename', 'givenname', 'firstname'],
  preferredForename: ['preferredforename', 'preferredfirstname', 'preferredname', 'knownasfirstname', 'knownas', 'chosenforename'],
  forename: ['forename', 'forenames'],
  legalSurname: ['legalsurname', 'legallastname', 'studentsurname', 'pupilsurname', 'familyname', 'lastname'],
  preferredSurname: ['preferredsurname', 'preferredlastname', 'knownaslastname'],
  surname: ['surname'],
  middleNames: ['middlenames', 'middlename', 'othernames'],
  dateOfBirth: ['dob', 'dateofbirth', 'birthdate', 'birthday'],
  yearGroup: ['year', 'yeargroup', 'ncyear', 'ncyearactual', 'grade'],
};

const FIELD_BY_ALIAS = new Map<string, RosterField>(
  Object.entries(ALIASES).flatMap(([field, aliases]) => aliases.map((alias) => [alias, field as RosterField] as const)),
);

// Parent/carer addresses: "Contact Emails", "Contact 1 Email", "Parent Email", "Primary Email",
// "(Contact) Home Email", "Email"... A pupil's own address ("Pupil Email") is not a contact.
const CONTACT_EMAIL = /^(?:(?:contact|parent|guardian|carer|primary|home|main|priority)[a-z]*\d*)?e?mails?(?:address(?:es)?)?\d*$/;

export function normaliseHeader(header: string): string {
  return header.replace(/^\uFEFF/, '').normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
}

export interface ColumnMap {
  fields: Partial<Record<RosterField, number>>;
  contactEmails: number[];
}

/** Maps a header row to column indexes; the first column with a given meaning wins (later ones are often the contact's). */
export function mapColumns(header: readonly string[]): ColumnMap {
  const fields: ColumnMap['fields'] = {};
  const contactEmails: number[] = [];
  header.forEach((name, index) => {
    const key = normaliseHeader(name);
    const field = FIELD_BY_ALIAS.get(key);
    if (field && fields[field] === undefined) fields[field] = index;
    else if (!field && CONTACT_EMAIL.test(key)) contactEmails.push(index);
  });
  return { fields, contactEmails };
}

/** A header row that names pupils: some forename column and some surname column. */
export function hasNameColumns(columns: ColumnMap): boolean {
  const { fields } = columns;
  const forename = fields.legalForename ?? fields.forename ?? fields.preferredForename;
  const surname = fields.legalSurname ?? fields.surname ?? fields.preferredSurname;
  return forename !== undefined && surname !== undefined;
}

export const NAME_COLUMNS_HELP =
  'a forename column (Legal Forename, Forename, First Name or Preferred Forename) and a surname column (Legal Surname, Surname or Last Name)';

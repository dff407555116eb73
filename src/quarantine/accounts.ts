/** Reviewer accounts and their sign-in sessions, for the quarantine store. */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { checkPasswordStrength, hashPassword, passwordMatches } from './passwords.js';
import type { QuarantineTables, ReviewersTable } from './tables.js';
import { REVIEWER_ROLES } from './types.js';
import type { Reviewer, ReviewerRole, Session } from './types.js';

/** Reviewers and sessions over one database; see `QuarantineStore` for each method's contract. */
export class ReviewerAccounts {
  constructor(private readonly db: Kysely<QuarantineTables>) {}

  async addReviewer(reviewer: { username: string; displayName: string; role: ReviewerRole; password: string }): Promise<void> {
    const username = normaliseUsername(reviewer.username);
    if (!username) throw new Error("a reviewer's username must not be empty");
    if (!(REVIEWER_ROLES as readonly string[]).includes(reviewer.role)) {
      throw new Error(`a reviewer's role must be one of ${REVIEWER_ROLES.join(', ')}, not '${reviewer.role}'`);
    }
    checkPasswordStrength(reviewer.password);
    const result = await this.db
      .insertInto('reviewers')
      .values({
        username,
        display_name: reviewer.displayName.trim() || username,
        role: reviewer.role,
        password_hash: await hashPassword(reviewer.password),
        created_at: new Date().toISOString(),
        disabled: 0,
      })
      .onConflict((conflict) => conflict.column('username').doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) throw new Error(`a reviewer called '${username}' already exists`);
  }

  async setPassword(username: string, password: string): Promise<boolean> {
    checkPasswordStrength(password);
    const result = await this.db
      .updateTable('reviewers')
      .set({ password_hash: await hashPassword(password) })
      .where('username', '=', normaliseUsername(username))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async setDisabled(username: string, disabled: boolean): Promise<boolean> {
    const result = await this.db
      .updateTable('reviewers')
      .set({ disabled: disabled ? 1 : 0 })
      .where('username', '=', normaliseUsername(username))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Removes the reviewer and (by cascade) their sessions; the audit trail keeps their name. */
  async removeReviewer(username: string): Promise<boolean> {
    const result = await this.db.deleteFrom('reviewers').where('username', '=', normaliseUsername(username)).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async reviewers(): Promise<Reviewer[]> {
    const rows = await this.db.selectFrom('reviewers').selectAll().orderBy('username').execute();
    return rows.map(toReviewer);
  }

  async reviewer(username: string): Promise<Reviewer | undefined> {
    const row = await this.db.selectFrom('reviewers').selectAll().where('username', '=', normaliseUsername(username)).executeTakeFirst();
    return row && toReviewer(row);
  }

  async verifyPassword(username: string, password: string): Promise<Reviewer | undefined> {
    const row = await this.db.selectFrom('reviewers').selectAll().where('username', '=', normaliseUsername(username)).executeTakeFirst();
    const matches = await passwordMatches(password, row?.password_hash);
    return row && matches && row.disabled === 0 ? toReviewer(row) : undefined;
  }

  async createSession(username: string, ttlMs: number): Promise<{ token: string; session: Session }> {
    const reviewer = await this.reviewer(username);
    if (!reviewer || reviewer.disabled) throw new Error(`cannot start a session for '${username}': no such enabled reviewer`);
    const now = new Date();
    await this.db.deleteFrom('sessions').where('expires_at', '<=', now.toISOString()).execute();

    const token = randomBytes(32).toString('base64url');
    const session: Session = {
      username: reviewer.username,
      role: reviewer.role,
      displayName: reviewer.displayName,
      csrfToken: randomBytes(32).toString('base64url'),
      expiresAt: new Date(now.getTime() + ttlMs),
    };
    await this.db
      .insertInto('sessions')
      .values({
        token_hash: hashToken(token),
        username: session.username,
        csrf_token: session.csrfToken,
        created_at: now.toISOString(),
        expires_at: session.expiresAt.toISOString(),
      })
      .execute();
    return { token, session };
  }

  /** The live session for a cookie token: not expired, and its reviewer still there and enabled. */
  async session(token: string): Promise<Session | undefined> {
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('reviewers', 'reviewers.username', 'sessions.username')
      .select(['sessions.username', 'sessions.csrf_token', 'sessions.expires_at', 'reviewers.role', 'reviewers.display_name'])
      .where('sessions.token_hash', '=', hashToken(token))
      .where('sessions.expires_at', '>', new Date().toISOString())
      .where('reviewers.disabled', '=', 0)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      username: row.username,
      role: row.role as ReviewerRole,
      displayName: row.display_name,
      csrfToken: row.csrf_token,
      expiresAt: new Date(row.expires_at),
    };
  }

  async endSession(token: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('token_hash', '=', hashToken(token)).execute();
  }
}

/** Usernames compare trimmed and case-insensitively. */
export function normaliseUsername(username: string): string {
  return username.trim().toLowerCase();
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function toReviewer(row: Selectable<ReviewersTable>): Reviewer {
  return {
    username: row.username,
    displayName: row.display_name,
    role: row.role as ReviewerRole,
    createdAt: new Date(row.created_at),
    disabled: row.disabled !== 0,
  };
}

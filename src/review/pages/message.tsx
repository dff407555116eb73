import type { FC } from 'hono/jsx';
import type { MarkedText, QueueItem, Session } from '../../quarantine/types.js';
import { Csrf, Flash, Layout, STATUS_LABELS, when } from './layout.js';

const FINDING_LABELS: Record<string, string> = {
  'pupil-name': 'Pupil name',
  upn: 'UPN',
  uln: 'ULN',
  'nhs-number': 'NHS number',
  'ni-number': 'NI number',
  'date-of-birth': 'Date of birth',
  'special-category': 'Special-category data',
  'contact-details': 'Contact details',
  'encrypted-attachment': 'Encrypted attachment',
  'unscannable-attachment': 'Attachment not inspected',
  'attachment-type-mismatch': 'Attachment disguised',
  'password-in-message': 'Password in the message',
  forwarded: 'Forwarded mail',
  'auto-forwarded': 'Automatic forward',
};

/** Text with the findings marked; every piece is text, escaped by JSX, never HTML. */
const Marked: FC<{ value: MarkedText }> = ({ value }) => {
  const pieces = [];
  let at = 0;
  for (const mark of value.marks) {
    if (mark.start > at) pieces.push(value.text.slice(at, mark.start));
    pieces.push(<mark title={FINDING_LABELS[mark.kind] ?? mark.kind}>{value.text.slice(mark.start, mark.end)}</mark>);
    at = mark.end;
  }
  pieces.push(value.text.slice(at));
  return <>{pieces}</>;
};

export interface MessagePageProps {
  organisation: string;
  session: Session;
  item: QueueItem;
  overdue: boolean;
  flash?: string | undefined;
  error?: string | undefined;
}

export const MessagePage: FC<MessagePageProps> = ({ organisation, session, item, overdue, flash, error }) => {
  const review = item.review;
  const canDecide = session.role === 'dpo' && item.status === 'held';
  const ref = encodeURIComponent(item.reference);
  return (
    <Layout title={item.reference} organisation={organisation} session={session}>
      <p>
        <a href="/">← Back to the queue</a>
      </p>
      <h1>{review ? <Marked value={review.subject} /> : '(content removed after the retention period)'}</h1>
      <Flash message={flash} />
      <Flash message={error} kind="error" />
      {item.monitor ? <p class="banner">Monitor mode: this message was delivered. It is shown because it would have been held.</p> : null}
      <table class="facts">
        <tbody>
          <tr>
            <th scope="row">Reference</th>
            <td>{item.reference}</td>
          </tr>
          <tr>
            <th scope="row">Status</th>
            <td>
              <span class={`badge ${item.status}`}>{STATUS_LABELS[item.status]}</span>
              {overdue ? <span class="badge overdue">overdue</span> : null}
              {item.decidedBy ? ` by ${item.decidedBy} at ${when(item.decidedAt)}` : ''}
              {item.decisionReason ? <div>Reason given: {item.decisionReason}</div> : null}
            </td>
          </tr>
          <tr>
            <th scope="row">Received</th>
            <td>
              {when(item.receivedAt)} by relay {item.relay}
            </td>
          </tr>
          <tr>
            <th scope="row">Sender (envelope)</th>
            <td>{item.mailFrom || '<>'}</td>
          </tr>
          <tr>
            <th scope="row">People exposed</th>
            <td>
              <strong class="people">{review?.people ?? item.people}</strong> distinct pupils or people identified
            </td>
          </tr>
        </tbody>
      </table>

      {canDecide ? (
        <section class="decide" aria-label="Decision">
          <form method="post" action={`/messages/${ref}/release`}>
            <Csrf session={session} />
            <p>Deliver it to every recipient exactly as it was sent.</p>
            <button type="submit" class="primary">
              Release
            </button>
          </form>
          <form method="post" action={`/messages/${ref}/reject`}>
            <Csrf session={session} />
            <label>
              Reason for rejecting (the sender is told)
              <textarea name="reason" required maxlength={1000}></textarea>
            </label>
            <button type="submit" class="danger">
              Reject
            </button>
          </form>
        </section>
      ) : null}

      <section>
        <h2>Why it was held</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Action</th>
              <th scope="col">Reason</th>
              <th scope="col">Policy</th>
            </tr>
          </thead>
          <tbody>
            {item.ruleDetails.map((r) => (
              <tr>
                <td>{r.id}</td>
                <td>{r.action}</td>
                <td>{r.reason}</td>
                <td>{r.clause}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section>
        <h2>Recipients</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Address</th>
              <th scope="col">Class</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {item.recipients.map((r) => (
              <tr>
                <td>{r.address}</td>
                <td>
                  <span class={`badge ${r.class}`}>{r.class}</span>
                  {r.knownContact ? <span class="badge">parent/carer on the school's records</span> : null}
                </td>
                <td>{r.because}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      {review ? (
        <>
          <section>
            <h2>What was found</h2>
            <table class="findings">
              <thead>
                <tr>
                  <th scope="col">Finding</th>
                  <th scope="col">Where</th>
                  <th scope="col">In context</th>
                </tr>
              </thead>
              <tbody>
                {review.findings.map((f) => (
                  <tr>
                    <td>
                      {FINDING_LABELS[f.kind] ?? f.kind}
                      <div class="muted">{f.excerpt}</div>
                    </td>
                    <td>{f.location}</td>
                    <td>
                      {f.context ? (
                        <>
                          …{f.context.before}
                          <mark>{f.context.match}</mark>
                          {f.context.after}…
                        </>
                      ) : (
                        <span class="muted">{f.excerpt}</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>

          <section>
            <h2>Attachments</h2>
            {review.attachments.length === 0 ? <p class="muted">None.</p> : null}
            {review.attachments.length > 0 ? (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Type</th>
                    <th scope="col">Size</th>
                    <th scope="col">Encrypted</th>
                  </tr>
                </thead>
                <tbody>
                  {review.attachments.map((a) => (
                    <tr>
                      <td>{a.path}</td>
                      <td>
                        {a.trueType}
                        {a.declaredType ? <span class="muted"> (declared {a.declaredType})</span> : null}
                        {a.typeMismatch ? <div class="muted">{a.typeMismatch}</div> : null}
                      </td>
                      <td>{formatSize(a.size)}</td>
                      <td>{a.encrypted ? `yes: ${a.encrypted}` : a.unscannable ? `not inspected: ${a.unscannable}` : 'no'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
          </section>

          <section>
            <h2>Message</h2>
            <table>
              <tbody>
                {review.headers.map((h) => (
                  <tr>
                    <th scope="row">{h.name}</th>
                    <td>{h.value}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p class="muted">
              {review.body.from === 'html'
                ? 'The message has only an HTML part; it is shown here as text, never rendered.'
                : review.body.from === 'none'
                  ? 'The message has no text.'
                  : 'The text part of the message.'}
              {review.body.truncated ? ' Cut short here: download the original for the rest.' : ''}
            </p>
            <pre class="body">
              <Marked value={review.body} />
            </pre>
            {session.role === 'dpo' ? (
              <p>
                <a href={`/messages/${ref}/eml`}>Download the original (.eml)</a> – open it only on a trusted device.
              </p>
            ) : null}
          </section>
        </>
      ) : null}

      <section>
        <h2>Notes</h2>
        {item.notes.length === 0 ? <p class="muted">No notes.</p> : null}
        {item.notes.map((n) => (
          <div class="note">
            <strong>{n.author}</strong> <span class="muted">{when(n.at)}</span>
            <p>{n.text}</p>
          </div>
        ))}
        {session.role === 'dpo' && item.status !== 'expired' ? (
          <form method="post" action={`/messages/${ref}/note`}>
            <Csrf session={session} />
            <label>
              Add a note (seen by reviewers only)
              <textarea name="text" required maxlength={2000}></textarea>
            </label>
            <button type="submit">Add note</button>
          </form>
        ) : null}
      </section>
    </Layout>
  );
};

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

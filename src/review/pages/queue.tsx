import type { FC } from 'hono/jsx';
import { QUEUE_STATUSES, type QueueEntry, type QueueFilter, type QueueStatus, type Session } from '../../quarantine/types.js';
import { age, Csrf, Flash, Layout, STATUS_LABELS, when } from './layout.js';

export interface QueuePageProps {
  organisation: string;
  session: Session;
  entries: QueueEntry[];
  total: number;
  counts: Record<QueueStatus, number> & { overdue: number };
  filter: QueueFilter & { overdue?: boolean };
  rules: string[];
  page: number;
  pageSize: number;
  overdueBefore: Date;
  now: Date;
  flash?: string | undefined;
  error?: string | undefined;
}

export const QueuePage: FC<QueuePageProps> = (p) => {
  const canDecide = p.session.role === 'dpo';
  const query = (extra: Record<string, string | number | undefined>): string => {
    const params = new URLSearchParams();
    const all = { status: p.filter.status, rule: p.filter.rule, sender: p.filter.sender, overdue: p.filter.overdue ? '1' : undefined, ...extra };
    for (const [k, v] of Object.entries(all)) if (v !== undefined && v !== '') params.set(k, String(v));
    const text = params.toString();
    return text ? `/?${text}` : '/';
  };
  const pages = Math.max(1, Math.ceil(p.total / p.pageSize));
  return (
    <Layout title="Queue" organisation={p.organisation} session={p.session}>
      <h1>Held email</h1>
      <Flash message={p.flash} />
      <Flash message={p.error} kind="error" />
      <p class="counts">
        <a href="/?status=held">
          Held: <strong>{p.counts.held}</strong>
        </a>
        <a href="/?overdue=1">
          Overdue: <strong>{p.counts.overdue}</strong>
        </a>
        {QUEUE_STATUSES.filter((s) => s !== 'held').map((s) => (
          <a href={`/?status=${s}`}>
            {STATUS_LABELS[s]}: {p.counts[s]}
          </a>
        ))}
        <a href="/?status=all">All</a>
      </p>
      <form method="get" action="/" class="filters">
        <label>
          Status
          <select name="status">
            <option value="held" selected={p.filter.status === 'held'}>
              Held
            </option>
            <option value="all" selected={p.filter.status === undefined}>
              All
            </option>
            {QUEUE_STATUSES.filter((s) => s !== 'held').map((s) => (
              <option value={s} selected={p.filter.status === s}>
                {STATUS_LABELS[s]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Rule
          <select name="rule">
            <option value="">Any rule</option>
            {p.rules.map((r) => (
              <option value={r} selected={p.filter.rule === r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label>
          Sender contains
          <input type="search" name="sender" value={p.filter.sender ?? ''} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <form method="post" action="/bulk">
        <Csrf session={p.session} />
        <table>
          <thead>
            <tr>
              {canDecide ? <th scope="col">Select</th> : null}
              <th scope="col">Waiting</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Subject</th>
              <th scope="col">Rules</th>
              <th scope="col">People</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {p.entries.length === 0 ? (
              <tr>
                <td colspan={8} class="muted">
                  Nothing here.
                </td>
              </tr>
            ) : null}
            {p.entries.map((e) => {
              const overdue = e.status === 'held' && e.receivedAt < p.overdueBefore;
              return (
                <tr class={overdue ? 'overdue' : ''} data-ref={e.reference}>
                  {canDecide ? (
                    <td>{e.status === 'held' ? <input type="checkbox" name="ref" value={e.reference} aria-label={`Select ${e.reference}`} /> : null}</td>
                  ) : null}
                  <td title={when(e.receivedAt)}>
                    {age(e.receivedAt, p.now)}
                    {overdue ? <span class="badge overdue">overdue</span> : null}
                  </td>
                  <td>{e.mailFrom || '<>'}</td>
                  <td>
                    {e.rcptTo.map((address, i) => (
                      <div>
                        {address} <span class={`badge ${e.recipientClasses[i] ?? ''}`}>{e.recipientClasses[i] ?? ''}</span>
                      </div>
                    ))}
                  </td>
                  <td>
                    <a href={`/messages/${encodeURIComponent(e.reference)}`}>{e.subject || '(no subject)'}</a>
                    <div class="muted">{e.reference}</div>
                  </td>
                  <td>
                    {e.rules.map((r) => (
                      <span class="badge">{r}</span>
                    ))}
                  </td>
                  <td>{e.people}</td>
                  <td>
                    <span class={`badge ${e.status}`}>{STATUS_LABELS[e.status]}</span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {pages > 1 ? (
          <p>
            Page {p.page} of {pages}. {p.page > 1 ? <a href={query({ page: p.page - 1 })}>Newer</a> : null}{' '}
            {p.page < pages ? <a href={query({ page: p.page + 1 })}>Older</a> : null}
          </p>
        ) : null}
        {canDecide ? (
          <section class="decide">
            <div>
              <button type="submit" name="action" value="release" class="primary">
                Release selected
              </button>
            </div>
            <div>
              <label>
                Reason for rejecting (the senders are told)
                <textarea name="reason" maxlength={1000}></textarea>
              </label>
              <button type="submit" name="action" value="reject" class="danger">
                Reject selected
              </button>
            </div>
          </section>
        ) : null}
      </form>
    </Layout>
  );
};

import type { FC } from 'hono/jsx';
import type { AuditEntry, Session } from '../../quarantine/types.js';
import { Layout, when } from './layout.js';

export const AuditPage: FC<{
  organisation: string;
  session: Session;
  entries: AuditEntry[];
  total: number;
  filter: { reference?: string | undefined; actor?: string | undefined };
  page: number;
  pageSize: number;
}> = (p) => {
  const params = new URLSearchParams();
  if (p.filter.reference) params.set('reference', p.filter.reference);
  if (p.filter.actor) params.set('actor', p.filter.actor);
  const pageLink = (page: number): string => `/audit?${new URLSearchParams([...params, ['page', String(page)]]).toString()}`;
  const pages = Math.max(1, Math.ceil(p.total / p.pageSize));
  return (
    <Layout title="Audit log" organisation={p.organisation} session={p.session}>
      <h1>Audit log</h1>
      <p>Every view, download and decision, newest first. Entries cannot be changed or deleted.</p>
      <form method="get" action="/audit" class="filters">
        <label>
          Reference
          <input type="search" name="reference" value={p.filter.reference ?? ''} />
        </label>
        <label>
          Reviewer
          <input type="search" name="actor" value={p.filter.actor ?? ''} />
        </label>
        <button type="submit">Filter</button>
        <a href={`/audit.csv?${params.toString()}`}>Export as CSV</a>
      </form>
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">From</th>
            <th scope="col">What</th>
            <th scope="col">Message</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {p.entries.map((e) => (
            <tr>
              <td>{when(e.at)}</td>
              <td>{e.actor}</td>
              <td>{e.ip}</td>
              <td>{e.action}</td>
              <td>{e.reference ? <a href={`/messages/${encodeURIComponent(e.reference)}`}>{e.reference}</a> : ''}</td>
              <td>{e.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {pages > 1 ? (
        <p>
          Page {p.page} of {pages}. {p.page > 1 ? <a href={pageLink(p.page - 1)}>Newer</a> : null}{' '}
          {p.page < pages ? <a href={pageLink(p.page + 1)}>Older</a> : null}
        </p>
      ) : null}
    </Layout>
  );
};

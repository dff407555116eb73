import type { FC } from 'hono/jsx';
import { Flash, Layout } from './layout.js';

export const SignInPage: FC<{ organisation: string; csrf: string; next: string; error?: string | undefined; username?: string }> = (p) => (
  <Layout title="Sign in" organisation={p.organisation}>
    <form method="post" action="/sign-in" class="signin">
      <h1>Sign in</h1>
      <Flash message={p.error} kind="error" />
      <input type="hidden" name="csrf" value={p.csrf} />
      <input type="hidden" name="next" value={p.next} />
      <label>
        Email address
        <input type="email" name="username" autocomplete="username" required value={p.username ?? ''} />
      </label>
      <label>
        Password
        <input type="password" name="password" autocomplete="current-password" required />
      </label>
      <button type="submit" class="primary">
        Sign in
      </button>
      <p class="muted">Reviewer accounts are made by the IT team with <code>dlp reviewer add</code>.</p>
    </form>
  </Layout>
);

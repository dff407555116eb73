/**
 * Something to put right, in two parts: what is wrong, and what to do about it. The relay
 * logs the two as one sentence; `dlp doctor` shows them apart ("Fix: ...").
 */
export interface Issue {
  finding: string;
  fix: string;
}

export function issueSentence(issue: Issue): string {
  return `${issue.finding}: ${issue.fix}`;
}

/** An error for the log: its kind and first line, capped, so that no message content can ride along at length. */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const firstLine = text.split('\n')[0]!;
  return firstLine.length > 200 ? `${firstLine.slice(0, 200)}...` : firstLine;
}

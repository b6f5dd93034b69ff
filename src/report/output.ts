/** Where reports are written: process.stdout and process.stderr in the binary, strings in tests. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** How wide a table may be on this stream: the terminal's width, or undefined (no limit) when it is not one. */
export function terminalWidth(stream: OutputStream): number | undefined {
  return stream.isTTY ? (stream.columns ?? 120) : undefined;
}

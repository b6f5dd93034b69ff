/** Where reports are written: process.stdout and process.stderr in the binary, strings in tests. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

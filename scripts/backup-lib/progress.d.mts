export interface ProgressStream {
  isTTY?: boolean;
  write(chunk: string): unknown;
}
export function progress(
  tool: string,
  label: string,
  totalBytes?: number,
  stream?: ProgressStream,
): { update(doneBytes: number): void; done(doneBytes?: number): void };
export function elapsed(tool: string, label: string, stream?: ProgressStream, started?: number): { stop(): void };

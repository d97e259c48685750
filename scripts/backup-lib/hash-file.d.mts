export function sha256File(file: string, onProgress?: (bytes: number) => void): Promise<string>;
export function copyAndSha256(from: string, to: string, onProgress?: (bytes: number) => void): Promise<string>;
export function writeFully(handle: import('node:fs').promises.FileHandle, chunk: Buffer, position: number, to: string): Promise<void>;
export function isNoSpace(error: unknown): boolean;

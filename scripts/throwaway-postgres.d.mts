export const HOW_TO_GET_POSTGRES: string;
export function findPgBin(): string | undefined;
export function startThrowawayPostgres(
  bin: string,
  say?: (line: string) => void,
): Promise<{ url: string; pause(): void; resume(): void; stop(): void }>;

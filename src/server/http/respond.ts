import { NextResponse } from 'next/server';

export interface ErrorBody {
  error: { code: string; message: string; [extra: string]: unknown };
}

export function json<T>(body: T, status = 200, headers?: Record<string, string>): NextResponse<T> {
  return NextResponse.json(body, { status, headers });
}

export function errorResponse(
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers?: Record<string, string>,
): NextResponse<ErrorBody> {
  return NextResponse.json({ error: { code, message, ...extra } }, { status, headers });
}

export const noContent = () => new NextResponse(null, { status: 204 });

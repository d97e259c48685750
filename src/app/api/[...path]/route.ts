import { noEndpoint } from '@/server/http/methods';

export const dynamic = 'force-dynamic';

export const { GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE } = noEndpoint();

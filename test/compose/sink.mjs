// A tiny HTTP receiver for the compose test, run in the stack on the node image: it keeps every POST (gunzipped) and
// lists them at GET /received. It plays Slack's incoming webhook and the operator's OTLP/HTTP backend.
import http from 'node:http';
import zlib from 'node:zlib';

const received = [];

http
  .createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method === 'GET') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(received));
        return;
      }
      let body = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
      received.push({
        path: request.url,
        authorization: request.headers.authorization ?? null,
        sentryAuth: request.headers['x-sentry-auth'] ?? null,
        contentType: request.headers['content-type'] ?? null,
        body: body.toString('base64'),
      });
      // Slack answers "ok"; an OTLP/HTTP backend an empty protobuf message.
      if (request.url?.startsWith('/v1/')) {
        response.writeHead(200, { 'content-type': 'application/x-protobuf' });
        response.end();
      } else {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end('ok');
      }
    });
  })
  .listen(8080, '0.0.0.0');

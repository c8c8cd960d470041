/**
 * A stand-in DynamoDB endpoint for the warm benchmarks: it reads each request and answers `{}`,
 * which is a successful `PutItem`. Only the caller's own work (our code and the SDK's request
 * building, signing and parsing) is left to measure. Prints `listening <port>` once ready.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': '2',
      'x-amzn-requestid': 'bench',
    });
    response.end('{}');
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
// The benchmark holds this pipe open; if it dies without stopping the stub, the stub goes too.
process.stdin.on('end', () => process.exit(0)).resume();

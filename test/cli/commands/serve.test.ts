import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { test } from 'node:test';
import { serveCommand } from '../../../src/cli/commands/serve.js';
import { TunnelbotError } from '../../../src/errors.js';
import { captureIo } from '../../helpers/io.js';
import { stalledRequest } from '../../helpers/raw-http.js';
import { eventually, serviceEnvironment } from '../../helpers/service.js';
import { startWorld } from '../../helpers/world.js';

async function occupiedPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

async function freePort(): Promise<number> {
  const { server, port } = await occupiedPort();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('serve on a port in use fails with TB_ERR_PORT_IN_USE and its fix', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const taken = await occupiedPort();
  t.after(() => new Promise((resolve) => taken.server.close(resolve)));
  const io = captureIo();
  io.env = serviceEnvironment(world, { PORT: String(taken.port) });
  await assert.rejects(serveCommand.run(['--without-slack'], io), (error: unknown) => {
    assert.ok(error instanceof TunnelbotError);
    assert.equal(error.code, 'TB_ERR_PORT_IN_USE');
    assert.equal(error.kind, 'config');
    assert.match(error.message, new RegExp(`^Port ${taken.port} is already in use`));
    assert.match(error.fix, /set PORT to a free port/);
    return true;
  });
});

test(
  'SIGTERM: serve stops accepting, closes a stalled connection and exits 0',
  { timeout: 20_000 },
  async (t) => {
    const world = await startWorld();
    t.after(() => world.close());
    const port = await freePort();
    const io = captureIo();
    io.env = serviceEnvironment(world, { PORT: String(port), LOG_LEVEL: 'info' });
    const exited = serveCommand.run(['--without-slack'], io);
    let healthy = false;
    const probe = () =>
      fetch(`http://127.0.0.1:${port}/healthz`).then(
        (response) => (healthy = response.ok),
        () => undefined,
      );
    await eventually(() => {
      void probe();
      return healthy;
    }, 'serve listening');
    // Headers never finished: only the shutdown's bound or the headers timeout ends this connection.
    const stalled = stalledRequest(port, 'POST /webhooks/github HTTP/1.1\r\nHost: x\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    process.emit('SIGTERM', 'SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(await stalled, '');
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'nothing listens any more');
    assert.match(io.err, /"signal":"SIGTERM".*"msg":"shutting down"/);
    assert.match(io.err, /"msg":"stopped"/);
  },
);

/**
 * Slack's side of bench/slack-ack.ts in a process of its own: the Slack fake, which also times each ack as Slack's
 * side sees it. GitHub and Cloudflare live in another process (slack-ack-upstreams.ts): Slack's servers do not run
 * our GitHub, so the git work the fakes do for earlier commands must not delay the reading of later acks.
 *
 * Socket Mode: the fake sends each envelope over the app's WebSocket and the time runs to its ack. HTTP mode: the
 * fake builds every signed request of a burst first (Slack signs before it sends), then writes each to a kept-alive
 * connection of its own and the time runs from that write to the last byte of the answer. A fleet of Slack servers
 * sends the fifty commands of fifty people; one event loop building and sending them one after another would time
 * its own queue, not the app's.
 *
 * Argv: mode (socket | http), the app's port (http), bot token, app token, signing secret.
 * Protocol (IPC): sends `{ready, apiUrl}` once listening; on `{burst: {count, warmup, rounds, texts, settle}}` sends
 * `{latencies}` (ms, of the rounds after the `warmup` first ones; with `settle`, each round waits for the app's work
 * to end before the next); on `{stop: true}` exits.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { FakeSlack } from '../../src/sandbox/slack/index.js';

const [mode, appPort, botToken, appToken, signingSecret] = process.argv.slice(2) as [
  'socket' | 'http',
  string,
  string,
  string,
  string,
];
const slack = new FakeSlack({
  botToken,
  appToken,
  ...(mode === 'http' && {
    delivery: { mode: 'http' as const, url: `http://127.0.0.1:${appPort}/slack/events`, signingSecret },
  }),
});
const { apiUrl } = await slack.start();

const HEADER_END = Buffer.from('\r\n\r\n');

/** One kept-alive HTTP/1.1 connection to the app: writes a request, times its answer to the last byte. */
class Connection {
  private socket: Socket | undefined;
  private received: Buffer = Buffer.alloc(0);
  private waiting:
    { started: number; resolve: (ms: number) => void; reject: (error: Error) => void } | undefined;

  async open(): Promise<void> {
    if (this.socket && !this.socket.destroyed) return;
    const socket = connect(Number(appPort), '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.socket = undefined;
      this.received = Buffer.alloc(0);
      this.waiting?.reject(new Error('the app closed the connection before answering'));
      this.waiting = undefined;
    });
    this.socket = socket;
  }

  /** Resolves with the milliseconds from the write to the answer's last byte. */
  send(request: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      this.waiting = { started: performance.now(), resolve, reject };
      this.socket!.write(request);
    });
  }

  private read(chunk: Buffer): void {
    this.received = this.received.length ? Buffer.concat([this.received, chunk]) : chunk;
    const end = this.received.indexOf(HEADER_END);
    if (end < 0 || !this.waiting) return;
    const head = this.received.subarray(0, end).toString('latin1');
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    let total: number;
    if (length) total = end + 4 + Number(length[1]);
    else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const last = this.received.indexOf('\r\n0\r\n\r\n', end);
      if (last < 0) return;
      total = last + 7;
    } else total = end + 4;
    if (this.received.length < total) return;
    const ms = performance.now() - this.waiting.started;
    const { resolve, reject } = this.waiting;
    this.waiting = undefined;
    this.received = this.received.subarray(total);
    const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
    if (status === '200') resolve(ms);
    else reject(new Error(`the app answered HTTP ${status ?? '?'} to a slash command`));
    if (/\r\nconnection: *close/i.test(head)) this.socket?.destroy();
  }

  close(): void {
    this.socket?.destroy();
  }
}

const connections: Connection[] = [];

function serialize(prepared: { body: string; headers: Record<string, string> }): Buffer {
  const headers = Object.entries({
    host: `127.0.0.1:${appPort}`,
    ...prepared.headers,
    'content-length': String(Buffer.byteLength(prepared.body)),
  })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return Buffer.from(`POST /slack/events HTTP/1.1\r\n${headers}\r\n${prepared.body}`);
}

async function httpRound(count: number, texts: string[]): Promise<number[]> {
  while (connections.length < count) connections.push(new Connection());
  await Promise.all(connections.map((connection) => connection.open()));
  const requests = Array.from({ length: count }, (_, i) =>
    serialize(
      slack.prepareSlashCommand({
        command: '/expose',
        text: texts[i % texts.length]!,
        user_id: `U0BENCH${i}`,
      }),
    ),
  );
  return Promise.all(requests.map((request, i) => connections[i]!.send(request)));
}

function socketRound(count: number, texts: string[]): Promise<number[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const started = performance.now();
      await slack.sendSlashCommand({
        command: '/expose',
        text: texts[i % texts.length]!,
        user_id: `U0BENCH${i}`,
      });
      return performance.now() - started;
    }),
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long the app must make no Web API call and post to no response_url for its work to count as ended. */
const QUIET_MS = 300;
const QUIET_CAP_MS = 60_000;

/**
 * Resolves once the app has gone quiet towards Slack: the work the commands of the last burst started (a PR, the
 * "already requested" answers, which the service runs one request at a time) has ended, so the next burst meets an
 * app with nothing queued, as fifty people typing at once would.
 */
async function quiet(): Promise<void> {
  const started = performance.now();
  let seen = -1;
  let since = started;
  while (performance.now() - started < QUIET_CAP_MS) {
    const activity = slack.calls.length + slack.responseUrlPosts.length;
    if (activity !== seen) {
      seen = activity;
      since = performance.now();
    } else if (performance.now() - since >= QUIET_MS) return;
    await sleep(20);
  }
}

process.on(
  'message',
  (message: {
    burst?: { count: number; warmup: number; rounds: number; texts: string[]; settle: boolean };
    stop?: boolean;
  }) => {
    if (message.stop) {
      for (const connection of connections) connection.close();
      void slack.stop().finally(() => process.exit(0));
      return;
    }
    const burst = message.burst;
    if (!burst) return;
    void (async () => {
      const latencies: number[] = [];
      for (let round = 0; round < burst.warmup + burst.rounds; round += 1) {
        const times = await (mode === 'http' ? httpRound : socketRound)(burst.count, burst.texts);
        if (round >= burst.warmup) latencies.push(...times);
        if (burst.settle) await quiet();
        await sleep(200);
      }
      process.send!({ latencies });
    })();
  },
);

process.send!({ ready: true, apiUrl });

import { connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** Every socket the server accepted, so a test can ask how many bytes the server read from each. */
export function serverSockets(app: FastifyInstance): Socket[] {
  const sockets: Socket[] = [];
  app.server.on('connection', (socket: Socket) => sockets.push(socket));
  return sockets;
}

export interface SlowPostResult {
  /** What the server sent back, as text (status line, headers, body). */
  response: string;
  /** Body bytes this client had written when the server answered or closed the connection. */
  bodyBytesSent: number;
  /** Whether the server closed (or half-closed) the connection. */
  closed: boolean;
}

/**
 * Sends `head` (request line and headers, CRLF-terminated, blank line included), then a body of `bodyBytes` in 64 KiB
 * chunks (HTTP chunks with `chunked` framing; the head must say which), each only after the previous one left this process, and stops at the first byte of an answer. Which comes
 * first is decided by what the server reads, not by a clock: a server that reads the whole body before answering
 * lets every chunk through.
 */
export function slowPost(
  port: number,
  head: string,
  bodyBytes: number,
  framing: 'content-length' | 'chunked' = 'content-length',
): Promise<SlowPostResult> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    let response = '';
    let answered = false;
    let closed = false;
    const finish = () => resolve({ response, bodyBytesSent: sent, closed });
    const pump = () => {
      if (answered || closed || sent >= bodyBytes) return;
      const size = Math.min(chunk.length, bodyBytes - sent);
      const data = chunk.subarray(0, size);
      const framed =
        framing === 'chunked'
          ? Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), data, Buffer.from('\r\n')])
          : data;
      socket.write(framed, (error) => {
        if (error) return;
        sent += size;
        setImmediate(pump);
      });
    };
    socket.on('connect', () => {
      socket.write(head);
      pump();
    });
    socket.on('data', (data) => {
      answered = true;
      response += data.toString('latin1');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server closing on a client still writing is the outcome some tests wait for.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return;
      reject(error);
    });
    // The server's FIN: it will read nothing more.
    socket.on('end', () => socket.destroy());
    socket.on('close', () => {
      closed = true;
      finish();
    });
  });
}

/** Opens a connection, sends `text` and nothing more; resolves with what the server sent when it closes it. */
export function stalledRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let response = '';
    socket.on('data', (data) => (response += data.toString('latin1')));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET') reject(error);
    });
    socket.on('close', () => resolve(response));
  });
}

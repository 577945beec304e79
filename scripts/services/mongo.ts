import { MongoInstance } from 'mongodb-memory-server-core';
import { MongoInstanceEvents } from 'mongodb-memory-server-core/lib/util/MongoInstance';
import { MongoClient } from 'mongodb';
import fs from 'node:fs';
import path from 'node:path';
import { findFreePort } from './free-port';
import { resolveMongodBinary, type MongodKind } from './mongod-binary';
import { guardChildProcess } from './orphan-guard';

/**
 * A real mongod for `npm start` and the tests, started through mongodb-memory-server's MongoInstance
 * (binary lookup, readiness detection, a watchdog that stops mongod if we die). Unlike the usual
 * in-memory use, the data directory is the caller's and is KEPT: stop() never deletes it.
 */

/**
 * mongodb-memory-server 11.3 parses each stdout CHUNK as if it were one line, and JSON.parse()s it
 * when it sees "DBException in initAndListen" (e.g. the dbPath is in use). When mongod writes that
 * line together with the next one, JSON.parse throws inside a stream handler: an uncaught exception
 * that would take the whole app down. Feeding it whole lines, one at a time, avoids that.
 */
class LineByLineMongoInstance extends MongoInstance {
  private partial: Record<'out' | 'err', string> = { out: '', err: '' };

  override stdoutHandler(message: string | Buffer): void {
    this.eachLine('out', message, (line) => super.stdoutHandler(line));
  }

  override stderrHandler(message: string | Buffer): void {
    this.eachLine('err', message, (line) => super.stderrHandler(line));
  }

  private eachLine(stream: 'out' | 'err', message: string | Buffer, handle: (line: string) => void): void {
    const lines = (this.partial[stream] + message.toString()).split('\n');
    this.partial[stream] = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        handle(line);
      } catch (err) {
        // never let a log line we cannot interpret throw out of a stream handler
        this.emit(MongoInstanceEvents.instanceSTDERR, `(unparsed mongod output: ${(err as Error).message})`);
      }
    }
  }
}

export interface EmbeddedMongoOptions {
  /** data directory (created if missing); start again on the same path to get the same data */
  dbPath: string;
  /** default: a free port */
  port?: number;
  /** receives progress messages and mongod's log lines */
  log?: (line: string) => void;
  /** default 60 s: under Wine a first start on a busy machine takes ~10 s */
  launchTimeoutMs?: number;
}

export interface EmbeddedMongo {
  uri: string;
  /** which route gave the binary: 'system' | 'download' | 'wine' */
  kind: MongodKind;
  version: string;
  binary: string;
  port: number;
  dbPath: string;
  pid: number;
  /** clean shutdown (SIGINT, SIGKILL after 10 s); the data directory stays */
  stop(): Promise<void>;
}

export async function startEmbeddedMongo(opts: EmbeddedMongoOptions): Promise<EmbeddedMongo> {
  const log = opts.log ?? (() => {});
  // absolute: the Wine wrapper runs mongod from /, and a relative path would silently mean another folder
  const dbPath = path.resolve(opts.dbPath);
  fs.mkdirSync(dbPath, { recursive: true });
  const binary = await resolveMongodBinary({ log });

  const attempts = opts.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await findFreePort());
    const instance = new LineByLineMongoInstance({
      instance: {
        port,
        dbPath,
        ip: '127.0.0.1',
        storageEngine: 'wiredTiger',
        launchTimeout: opts.launchTimeoutMs ?? 60_000,
      },
      binary: { systemBinary: binary.path, version: binary.version },
      spawn: {},
    });
    instance.on(MongoInstanceEvents.instanceSTDOUT, (line: string) => log(line));
    instance.on(MongoInstanceEvents.instanceSTDERR, (line: string) => log(line));
    // errors after the start (e.g. the process died) must not become unhandled; start() reports start errors
    let stopping = false;
    instance.on(MongoInstanceEvents.instanceError, (err: unknown) => {
      // mongod exits with code 12 after SIGINT under Wine (as on Windows): expected when we asked it to stop
      if (!stopping) log(`mongod: ${err instanceof Error ? err.message : String(err)}`);
    });
    try {
      await instance.start();
    } catch (err) {
      await instance.stop().catch(() => {});
      const portTaken = err instanceof Error && /already in use/i.test(err.message);
      if (portTaken && attempt < attempts) continue;
      throw new Error(`MongoDB (${binary.kind}: ${binary.path}) did not start on port ${port} with --dbpath ${dbPath}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const pid = instance.mongodProcess?.pid ?? -1;
    // mongodb-memory-server's "mongo_killer" covers a hard death of this process; this covers process.exit()
    const guard = guardChildProcess(pid, 'SIGINT', { watchdog: false });
    return {
      uri: `mongodb://127.0.0.1:${port}/`,
      kind: binary.kind,
      version: binary.version,
      binary: binary.path,
      port,
      dbPath,
      pid,
      async stop() {
        stopping = true;
        await instance.stop();
        guard.release();
      },
    };
  }
}

/**
 * mongod under Wine (the last-resort server on machines with no Linux mongod) sometimes dies, or stays
 * alive but stops answering, after an access violation in Wine's thread shutdown when many connections
 * end at once (a test file's process exiting). One such failure would otherwise take the app (or every
 * later test file) down, so the supervisor pings it every 2 s over one kept connection; when the process
 * is gone, or has not answered three pings in a row (about 20 s), it is killed and started again on the
 * same port and data folder (clients reconnect by themselves). What was in flight fails, and the restart
 * is printed. Used by `npm start` and the test harness.
 */
export interface MongoSupervisor {
  stop(): Promise<void>;
}

export function superviseMongo(
  get: () => EmbeddedMongo | null,
  set: (m: EmbeddedMongo) => void,
  log?: (line: string) => void,
  say: (line: string) => void = (line) => console.log(`[services] ${line}`),
): MongoSupervisor {
  let busy = false;
  let stopped = false;
  let unanswered = 0;
  let client: MongoClient | null = null;
  const timer = setInterval(async () => {
    const current = get();
    if (!current || busy || stopped) return;
    busy = true;
    try {
      const alive = isAlive(current.pid);
      if (alive) {
        client ??= new MongoClient(current.uri, { serverSelectionTimeoutMS: 5000, socketTimeoutMS: 5000, connectTimeoutMS: 5000, maxPoolSize: 1, directConnection: true });
        const ok = await client.db('admin').command({ ping: 1 }).then(() => true, () => false);
        unanswered = ok ? 0 : unanswered + 1;
        if (unanswered < 3 || stopped) return;
      }
      unanswered = 0;
      say(`embedded MongoDB (pid ${current.pid}, ${current.kind}) ${alive ? 'stopped answering' : 'died'}; restarting it on port ${current.port}`);
      try {
        process.kill(current.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      for (let i = 0; i < 50 && isAlive(current.pid); i++) await new Promise((r) => setTimeout(r, 200));
      try {
        set(await startEmbeddedMongo({ dbPath: current.dbPath, port: current.port, log }));
        say(`embedded MongoDB restarted on port ${current.port}`);
      } catch (err) {
        say(`embedded MongoDB restart failed: ${(err as Error).message}`);
      }
    } finally {
      busy = false;
    }
  }, 2000);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await client?.close(true).catch(() => {});
    },
  };
}

function isAlive(pid: number): boolean {
  if (pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

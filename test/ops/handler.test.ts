import { expect } from 'chai';
import express from 'express';
import { cleanupLocksHandler } from '../../src/index.js';
import { datastoreFor } from '../support/targets.js';
import { emulators } from './support/emulators.js';
import { storedIdentifiers, uniqueKind, writeAbandonedRecords } from './support/records.js';
import { call, listening, serveHandler } from './support/serve.js';

const [emulator] = emulators();

describe('the App Engine cron handler', function () {
  this.timeout(60_000);
  if (!emulator) return;
  const datastore = datastoreFor(emulator[1]);

  it('answers 403 to a request without X-Appengine-Cron, and deletes nothing', async () => {
    const kindName = uniqueKind('Cron');
    await writeAbandonedRecords(datastore, kindName, 5);
    const served = await serveHandler(cleanupLocksHandler({ datastore, kindName, graceMs: 0 }));
    try {
      for (const headers of [
        {} as Record<string, string>,
        { 'X-Appengine-Cron': 'false' },
        { 'X-Appengine-Cron': '1' },
      ]) {
        const { status, body } = await call(served.url, headers, 'GET');
        expect(status, JSON.stringify(headers)).to.equal(403);
        expect(body.error).to.match(/Only App Engine cron/);
      }
      expect(await storedIdentifiers(datastore, kindName)).to.have.length(5);
    } finally {
      await served.stop();
    }
  });

  it('sweeps on a cron request from a plain node:http server', async () => {
    const kindName = uniqueKind('Cron');
    await writeAbandonedRecords(datastore, kindName, 5);
    const served = await serveHandler(cleanupLocksHandler({ datastore, kindName, graceMs: 0 }));
    try {
      const { status, body } = await call(served.url, { 'X-Appengine-Cron': 'true' }, 'GET');
      expect(status, JSON.stringify(body)).to.equal(200);
      expect(body).to.deep.equal({ scanned: 5, deleted: 5, skipped: 0, complete: true });
      expect(await storedIdentifiers(datastore, kindName)).to.deep.equal([]);
    } finally {
      await served.stop();
    }
  });

  it('mounts on an Express route', async () => {
    const kindName = uniqueKind('Cron');
    await writeAbandonedRecords(datastore, kindName, 2);
    const app = express();
    app.get('/_cron/gcp-locking/cleanup', cleanupLocksHandler({ datastore, kindName, graceMs: 0 }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const served = listening(server);
    try {
      const path = `${served.url}_cron/gcp-locking/cleanup`;
      expect((await call(path, {}, 'GET')).status).to.equal(403);
      const { status, body } = await call(path, { 'X-Appengine-Cron': 'true' }, 'GET');
      expect(status).to.equal(200);
      expect(body.deleted).to.equal(2);
    } finally {
      await served.stop();
    }
  });

  it('answers 500 with the reason when the sweep fails', async () => {
    const served = await serveHandler(
      cleanupLocksHandler({
        datastore: datastoreFor('127.0.0.1:9'),
        kindName: 'Nowhere',
        graceMs: 0,
      }),
    );
    try {
      const { status, body } = await call(served.url, { 'X-Appengine-Cron': 'true' }, 'GET');
      expect(status).to.equal(500);
      expect(body.error).to.match(/^Lock cleanup failed: .*Datastore is reachable/);
    } finally {
      await served.stop();
    }
  });
});

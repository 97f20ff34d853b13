import { expect } from 'chai';
import sinon from 'sinon';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { cleanupLocksHandler } from '../../src/index.js';
import { TEST_PROJECT } from '../support/env.js';
import { datastoreFor } from '../support/targets.js';
import { emulators } from './support/emulators.js';
import { storedIdentifiers, uniqueKind, writeAbandonedRecords } from './support/records.js';
import { call, listening, serveFunction, type Served } from './support/serve.js';

const [emulator] = emulators();

describe('the cleanupLocks Cloud Function under the Functions Framework', function () {
  this.timeout(120_000);
  if (!emulator) return;
  const [, host] = emulator;
  const datastore = datastoreFor(host);
  const kindName = uniqueKind('Function');
  const library = { DATASTORE_EMULATOR_HOST: host, DATASTORE_PROJECT_ID: TEST_PROJECT };
  let open: Served;
  let guarded: Served;
  let broken: Served;

  before(async () => {
    [open, guarded, broken] = await Promise.all([
      serveFunction({ ...library, GCP_LOCKING_KIND_NAME: kindName, CLEANUP_GRACE_MS: '0' }),
      serveFunction({
        ...library,
        GCP_LOCKING_KIND_NAME: kindName,
        CLEANUP_EXPECTED_AUDIENCE: 'https://cleanup.example.test',
      }),
      // Nothing listens on the discard port: the sweep itself fails.
      serveFunction({
        ...library,
        DATASTORE_EMULATOR_HOST: '127.0.0.1:9',
        GCP_LOCKING_KIND_NAME: 'Nowhere',
      }),
    ]);
  });
  after(() => Promise.all([open, guarded, broken].map((served) => served?.stop())));

  it('answers 200 with the counts, having swept the expired records', async () => {
    await writeAbandonedRecords(datastore, kindName, 30);
    const { status, headers, body } = await call(open.url);
    expect(status, JSON.stringify(body)).to.equal(200);
    expect(headers.get('content-type')).to.match(/application\/json/);
    expect(body).to.deep.equal({ scanned: 30, deleted: 30, skipped: 0, complete: true });
    expect(await storedIdentifiers(datastore, kindName)).to.deep.equal([]);
  });

  it('answers 500 with a clear message when the sweep fails', async () => {
    const { status, body } = await call(broken.url);
    expect(status).to.equal(500);
    expect(body.error).to.match(
      /^Lock cleanup failed: Lock cleanup of kind "Nowhere" stopped.*check that Datastore is reachable/,
    );
  });

  it('answers 401 without a bearer token when an audience is expected, and sweeps nothing', async () => {
    await writeAbandonedRecords(datastore, kindName, 3, { prefix: 'unswept' });
    const { status, headers, body } = await call(guarded.url);
    expect(status).to.equal(401);
    expect(headers.get('www-authenticate')).to.equal('Bearer');
    expect(body.error).to.match(/Missing bearer token/);
    expect(await storedIdentifiers(datastore, kindName)).to.have.length(3);
  });
});

describe('the cleanup endpoint verifying OIDC tokens (stubbed verifier)', function () {
  this.timeout(60_000);
  if (!emulator) return;
  const [, host] = emulator;
  const datastore = datastoreFor(host);
  const audience = 'https://cleanup.example.test';
  const scheduler = 'cleanup-scheduler@my-project.iam.gserviceaccount.com';
  const verifier = sinon.stub();
  let served: Served;

  before(async () => {
    const kindName = uniqueKind('Oidc');
    functions.http(
      'cleanupLocksVerified',
      cleanupLocksHandler({
        caller: 'oidc',
        oidc: { audience, allowedInvokers: [scheduler], verifier },
        datastore,
        kindName,
        graceMs: 0,
      }),
    );
    const server = getTestServer('cleanupLocksVerified');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    served = listening(server);
  });
  after(() => served?.stop());
  beforeEach(() => verifier.reset());

  it('runs for a valid token from an allowed invoker, checking it against the audience', async () => {
    verifier.resolves({ email: scheduler, email_verified: true });
    const { status, body } = await call(served.url, { Authorization: 'Bearer good-token' });
    expect(status, JSON.stringify(body)).to.equal(200);
    expect(body).to.include({ complete: true });
    expect(verifier.calledOnceWithExactly('good-token', audience)).to.equal(true);
  });

  it('answers 401 when the token does not verify', async () => {
    verifier.rejects(new Error('Token used too late'));
    const { status, body } = await call(served.url, { Authorization: 'Bearer stale-token' });
    expect(status).to.equal(401);
    expect(body.error).to.match(/Invalid ID token .*Token used too late/);
  });

  it('answers 403 for a valid token from someone else', async () => {
    verifier.resolves({ email: 'intruder@example.com', email_verified: true });
    const { status, body } = await call(served.url, { Authorization: 'Bearer other-token' });
    expect(status).to.equal(403);
    expect(body.error).to.match(/intruder@example.com is not an allowed invoker/);
  });

  it('answers 403 when the email is not verified', async () => {
    verifier.resolves({ email: scheduler, email_verified: false });
    const { status } = await call(served.url, { Authorization: 'Bearer unverified-token' });
    expect(status).to.equal(403);
  });
});

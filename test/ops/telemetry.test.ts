import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { createLocking, MemoryBackend } from '../../src/index.js';
import { lockKeyFor } from '../../src/identifier.js';

describe('OpenTelemetry spans', () => {
  const exporter = new InMemorySpanExporter();
  before(() => {
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    expect(trace.setGlobalTracerProvider(provider), 'registered').to.equal(true);
  });
  after(() => trace.disable());
  beforeEach(() => exporter.reset());

  it('records lock.acquire and lock.release with kind, hashed key, waited ms, attempts and outcome', async () => {
    const shared = new MemoryBackend();
    const backoff = { initialMs: 5, maxMs: 20 };
    const other = createLocking({ backend: { strong: shared }, backoff });
    const locking = createLocking({ backend: { strong: shared }, backoff });
    const held = await other.acquireOrThrow('invoice:7');
    expect(await locking.acquire('invoice:7', { waitForMs: 50 })).to.equal(null);
    await held.release();

    const spans = exporter
      .getFinishedSpans()
      .map((span) => ({ name: span.name, attributes: span.attributes }));
    expect(spans.map((span) => span.name)).to.deep.equal([
      'lock.acquire',
      'lock.acquire',
      'lock.release',
    ]);
    const [acquired, bailed, released] = spans;
    const key = lockKeyFor('invoice:7');
    expect(acquired!.attributes).to.include({
      'lock.kind': 'strong',
      'lock.key': key,
      'lock.outcome': 'acquired',
      'lock.attempts': 1,
    });
    expect(acquired!.attributes['lock.waited_ms']).to.be.a('number');
    expect(bailed!.attributes).to.include({ 'lock.key': key, 'lock.outcome': 'bailed' });
    expect(bailed!.attributes['lock.attempts']).to.be.at.least(2);
    expect(bailed!.attributes['lock.waited_ms']).to.be.at.least(50);
    expect(released!.attributes).to.include({
      'lock.kind': 'strong',
      'lock.key': key,
      'lock.outcome': 'released',
    });
    // The raw identifier is the user's data; spans carry only its hash.
    expect(JSON.stringify(spans)).to.not.include('invoice:7');
  });

  it('marks a failed acquisition as an error span', async () => {
    const broken = {
      name: 'broken',
      fenced: true,
      tryAcquire: () => Promise.reject(new Error('connection refused')),
      renew: () => Promise.resolve(null),
      release: () => Promise.resolve(false),
    };
    const locking = createLocking({ backend: { strong: broken } });
    let failure: unknown;
    try {
      await locking.acquire('payroll');
    } catch (error) {
      failure = error;
    }
    expect(failure).to.have.property('name', 'LockBackendError');
    const [span] = exporter.getFinishedSpans();
    expect(span!.name).to.equal('lock.acquire');
    expect(span!.attributes).to.include({ 'lock.outcome': 'error', 'lock.attempts': 1 });
    expect(span!.status.code).to.equal(2); // SpanStatusCode.ERROR
    expect(span!.events.map((event) => event.name)).to.include('exception');
  });
});

import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';

type Attributes = Record<string, string | number | boolean>;

/** An open span; `end` is safe to call once whatever happened. */
export interface SpanHandle {
  end(attributes: Attributes, error?: unknown): void;
}

const NO_SPAN: SpanHandle = { end: () => undefined };

// @opentelemetry/api is an optional peer: loaded synchronously once if installed, else spans are
// no-ops. Without an SDK registered the API itself is a no-op too, so this costs nothing unused.
const otel: typeof OtelApi | undefined = (() => {
  try {
    return createRequire(import.meta.url)('@opentelemetry/api') as typeof OtelApi;
  } catch {
    return undefined;
  }
})();

const TRACER_NAME = 'gcp-locking';

/** Starts a span named `lock.acquire` / `lock.release` with the given attributes. */
export function startSpan(name: string, attributes: Attributes): SpanHandle {
  if (!otel) return NO_SPAN;
  const span = otel.trace.getTracer(TRACER_NAME).startSpan(name, { attributes });
  return {
    end(more, error) {
      span.setAttributes(more);
      if (error !== undefined) {
        span.recordException(error instanceof Error ? error : describeError(error));
        span.setStatus({ code: otel.SpanStatusCode.ERROR, message: describeError(error) });
      }
      span.end();
    },
  };
}

function describeError(error: unknown): string {
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : (JSON.stringify(error) ?? 'unknown');
}

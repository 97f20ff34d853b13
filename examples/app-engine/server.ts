/**
 * A minimal App Engine service that mounts the lock cleanup for cron.yaml. In your own app,
 * import from 'gcp-locking' and mount the handler on your router (Express:
 * `app.get('/_cron/gcp-locking/cleanup', cleanupLocksHandler())`).
 */
import { createServer } from 'node:http';
import { cleanupLocksHandler } from '../../src/index.js';

const CLEANUP_PATH = '/_cron/gcp-locking/cleanup';
// Answers 403 unless App Engine's cron service sent the request (X-Appengine-Cron: true).
const cleanup = cleanupLocksHandler();

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path === CLEANUP_PATH) return cleanup(req, res);
  res.statusCode = 404;
  res.end('Not found\n');
});

// App Engine tells the app which port to listen on.
const port = Number(process.env.PORT ?? 8080);
server.listen(port, () => console.log(`Listening on ${port}; cron calls ${CLEANUP_PATH}`));

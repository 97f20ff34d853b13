/**
 * The Cloud Function (Functions Framework HTTP target `cleanupLocks`) that sweeps expired STRONG
 * lock records. Deploy it without unauthenticated access and call it from Cloud Scheduler with an
 * OIDC token; set CLEANUP_EXPECTED_AUDIENCE to also verify that token here. See
 * the README (Operations).
 */
import * as functions from '@google-cloud/functions-framework';
import { cleanupLocksHandler } from '../src/cleanup-handler.js';

functions.http('cleanupLocks', cleanupLocksHandler({ caller: 'oidc' }));

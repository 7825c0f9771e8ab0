import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainFluxFailure } from '../../src/core/flux-failure.js';

test('a cloudflared health check failure gets the kubectl command for the Deployment Flux names', () => {
  const hint = explainFluxFailure(
    'HealthCheckFailed',
    'health check failed after 5m0.03s: timeout waiting for: [Deployment/tunnels/cloudflared-linkding status: InProgress]',
  );
  assert.equal(
    hint?.fix,
    'Look at the pod logs: `kubectl logs -n tunnels deploy/cloudflared-linkding`; the tunnel stays closed until it connects.',
  );
});

test('the age key fixes give a command that runs as written, no placeholder', () => {
  for (const message of [
    'decryption failed: failed to load age identities: open /root/.config/sops/age/keys.txt',
    'decryption secret error: secrets "sops-age" not found',
  ]) {
    const hint = explainFluxFailure('ReconciliationFailed', message);
    assert.match(hint?.fix ?? '', /--from-file=age\.agekey=\.\/age\.agekey`/);
    assert.doesNotMatch(hint?.fix ?? '', /<[a-z ]+>/);
  }
});

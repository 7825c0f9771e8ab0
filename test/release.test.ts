import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import { dockerfileStages, stageEnvironment, type Stage } from './helpers/dockerfile.js';

/** The build artefacts of a release: the Dockerfile and the GitHub Actions workflows, read as the tools read them. */

test('the Dockerfile runtime stage holds production dependencies and no sandbox, and runs as non-root', () => {
  const all = dockerfileStages(readFileSync('Dockerfile', 'utf8'));
  assert.equal(all.length, 2);
  const [build, runtime] = all as [Stage, Stage];
  assert.match(build.from, /^node:22/);
  assert.match(runtime.from, /^node:22/);
  assert.ok(
    build.instructions.some((line) => /^RUN .*rm -rf dist\/sandbox/.test(line)),
    'the build stage drops dist/sandbox',
  );

  const runs = runtime.instructions.filter((line) => line.startsWith('RUN '));
  assert.ok(runs.some((line) => /npm ci --omit=dev --ignore-scripts/.test(line)));
  assert.ok(
    !runs.some((line) => /npm (ci|install)(?!.*--omit=dev)/.test(line)),
    'every install omits dev dependencies',
  );
  const copies = runtime.instructions.filter((line) => line.startsWith('COPY '));
  assert.deepEqual(copies, [
    'COPY package.json package-lock.json ./',
    'COPY --from=build /app/dist ./dist',
    'COPY bin ./bin',
  ]);
  assert.ok(!runtime.instructions.some((line) => /sandbox|src\/|test\//.test(line.replace(/^#.*/, ''))));

  const user = runtime.instructions.filter((line) => line.startsWith('USER '));
  assert.equal(user.length, 1);
  const [uid] = user[0]!.slice('USER '.length).split(':');
  assert.ok(uid !== 'root' && uid !== '0', 'not root');
  const deployment = parseDocument(readFileSync('deploy/deployment.yaml', 'utf8')).toJS();
  assert.equal(
    String(deployment.spec.template.spec.securityContext.runAsUser),
    uid,
    'deploy/ runs as the same user',
  );
  assert.ok(runtime.instructions.includes('USER 1000:1000'));
  // The image's idle memory, set where the benchmark reads it (bench/cli-startup.ts): small V8 semi-spaces, and
  // glibc thresholds fixed so that the memory start-up frees goes back to the system.
  const environment = stageEnvironment(runtime);
  assert.match(environment['NODE_OPTIONS'] ?? '', /^--max-semi-space-size=\d+$/);
  assert.equal(environment['MALLOC_MMAP_THRESHOLD_'], '32768');
  assert.equal(environment['MALLOC_TRIM_THRESHOLD_'], '32768');
  assert.equal(environment['NODE_ENV'], 'production');
  assert.equal(runtime.instructions.at(-1), 'CMD ["serve"]');
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- workflow YAML is untyped
type Workflow = any;

function workflow(name: string): Workflow {
  const document = parseDocument(readFileSync(`.github/workflows/${name}`, 'utf8'));
  assert.deepEqual(document.errors, []);
  return document.toJS();
}

function steps(job: Workflow): Workflow[] {
  assert.ok(Array.isArray(job.steps) && job.steps.length > 0);
  return job.steps;
}

test('the CI workflow checks out, sets up Node 22 and runs .ci/run', () => {
  const ci = workflow('ci.yml');
  assert.ok('pull_request' in ci.on && ci.on.push.branches.includes('main'));
  const test = steps(ci.jobs.test);
  assert.match(test[0].uses, /^actions\/checkout@v\d+$/);
  const node = test.find((step: Workflow) => /^actions\/setup-node@v\d+$/.test(step.uses ?? ''));
  assert.equal(node.with['node-version'], 22);
  assert.ok(test.some((step: Workflow) => step.run === '.ci/run'));
  assert.equal(ci.permissions.contents, 'read');
});

test('the release workflow builds and pushes the linux/amd64 and linux/arm64 image to ghcr.io on v* tags', () => {
  const release = workflow('release.yml');
  assert.deepEqual(release.on, { push: { tags: ['v*'] } });
  assert.equal(release.permissions.packages, 'write');
  const image = steps(release.jobs.image);
  const uses = image.map((step: Workflow) => String(step.uses ?? '').replace(/@v\d+$/, ''));
  for (const action of [
    'actions/checkout',
    'docker/setup-qemu-action',
    'docker/setup-buildx-action',
    'docker/login-action',
    'docker/build-push-action',
  ]) {
    assert.ok(uses.includes(action), `${action} is missing`);
  }
  assert.ok(uses.indexOf('docker/setup-qemu-action') < uses.indexOf('docker/build-push-action'));
  const login = image.find((step: Workflow) => String(step.uses).startsWith('docker/login-action'));
  assert.equal(login.with.registry, 'ghcr.io');
  const push = image.find((step: Workflow) => String(step.uses).startsWith('docker/build-push-action'));
  assert.deepEqual(push.with.platforms.split(','), ['linux/amd64', 'linux/arm64']);
  assert.equal(push.with.push, true);
  const meta = image.find((step: Workflow) => String(step.uses).startsWith('docker/metadata-action'));
  assert.equal(meta.with.images, 'ghcr.io/${{ github.repository }}');
});

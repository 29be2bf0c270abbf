// The Kustomize overlays, rendered by `kubectl kustomize`: every service deployed with probes and resources, signers
// as a StatefulSet with a volume each, anti-affinity and a disruption budget, network policies, secrets only by
// reference in production, migrations as a Job, and every container's environment accepted by the service's own
// config loader (as the image's entry points would start it).
import { addressToOutputScript, outputScriptToAddress } from '@tapbridge/bitcoin';
import { ConfigError, loadConfig } from '@tapbridge/config';
import { beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from './support/config-schemas.js';
import { containerEnv, Lookup, mountedSecretFile, renderOverlay, selects, signerWrapperEnv, workloads, type K8sObject, type Provided, type Workload } from './support/kubernetes.js';
import { serviceApps } from './support/paths.js';
import { requireTool } from './support/tools.js';

const kubectl = requireTool('kubectl', 'kubectl with its built-in kustomize (v5); Debian bookworm only has kubernetes-client 1.20, whose kustomize v2 cannot render these overlays', false);

const hostKey = (i: number) => `02${String(i).repeat(64)}`;
const mainnetCustody = outputScriptToAddress(addressToOutputScript('bcrt1p8h5fh3dp0t0yqrv7z7p9jehjargja35al299vtut97v2ct527zmsh9e7y2', 'regtest'), 'mainnet')!;

/** What infra/README.md and the production overlay tell the operator to create (values of the right shape). */
const OPERATOR_PROVIDED: Provided = {
  'Secret/tapbridge-database': {
    DATABASE_URL: 'postgresql://tapbridge:s3cret@db.internal:5432/tapbridge?sslmode=verify-full',
    SIGNER_DATABASE_URL_TEMPLATE: 'postgresql://tapbridge:s3cret@db.internal:5432/tapbridge_signer_{index}?sslmode=verify-full',
    ADMIN_DATABASE_URL: 'postgresql://admin:s3cret@db.internal:5432/postgres?sslmode=verify-full',
  },
  'Secret/tapbridge-btc-sources': { BTC_SOURCES: 'core+http://tapbridge:s3cret@bitcoind-a.internal:8332,esplora+https://esplora.internal/api' },
  'Secret/tapbridge-signer-passphrases': Object.fromEntries([1, 2, 3, 4, 5].map((i) => [`passphrase-${i}`, `operator passphrase ${i}`])),
  'Secret/tapbridge-coordinator-key': { passphrase: 'operator coordinator passphrase' },
  'Secret/tapbridge-channel-secrets': { CHANNEL_SEED_SECRET: '11'.repeat(32), CHANNEL_REVOCATION_SECRET: '22'.repeat(32) },
  'Secret/tapbridge-price-sources': { PRICE_SOURCES: ['a', 'b', 'c'].map((h) => `https://price-${h}.example/v1/btc#data.sats`).join(',') },
  'Secret/tapbridge-nats-users': Object.fromEntries(['header-watcher', 'deposit-indexer', 'evm-gateway', 'signing-coordinator', 'sweep-coordinator', 'stake-accounting', 'api-gateway', 'channel-service', 'signer-1', 'signer-2', 'signer-3', 'signer-4', 'signer-5'].map((u) => [`${u}.password`, `nats password of ${u}`])),
  'ConfigMap/tapbridge-signing-trust': { COORDINATOR_PUBKEY: hostKey(9), SIGNER_HOST_PUBKEYS: [1, 2, 3, 4, 5].map(hostKey).join(',') },
  'ConfigMap/tapbridge-custody': { CUSTODY_GROUP_KEY: '79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798', CUSTODY_ADDRESS: mainnetCustody },
};

/** The app a workload runs: its name is the app's folder name. */
const appOf = (w: Workload): string | undefined => (serviceApps().includes(w.metadata.name) ? w.metadata.name : undefined);
const podName = (w: Workload) => (w.kind === 'StatefulSet' ? `${w.metadata.name}-0` : `${w.metadata.name}-5d9c7b8f6-abcde`);

const SECRET_NAME = /PASSWORD|PASSPHRASE|SECRET|PRIVATE|_KEY$|DATABASE_URL|BTC_SOURCES|TOKEN|CREDENTIALS$/;
const NOT_SECRET = /_FILE$|_DIR$/;

describe.skipIf(!kubectl).each(['devnet', 'production'])('Kubernetes overlay %s (needs kubectl)', (overlay) => {
  let objects: K8sObject[] = [];
  let lookup: Lookup;
  beforeAll(() => {
    objects = renderOverlay(overlay, kubectl!);
    lookup = new Lookup(objects, overlay === 'production' ? OPERATOR_PROVIDED : {});
  });
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

  it('deploys every service, and the migrations as a Job', () => {
    for (const app of serviceApps()) expect(find(app === 'signer' ? 'StatefulSet' : 'Deployment', app), app).toBeDefined();
    for (const app of serviceApps()) expect(find('Service', app), `Service ${app}`).toBeDefined();
    const job = find('Job', 'tapbridge-migrate') as Workload | undefined;
    expect(job?.spec.template.spec.containers[0]?.args).toEqual(['tapbridge-migrate']);
  });

  it('gives every service container probes, resource requests and a memory limit, on its HTTP_PORT', () => {
    for (const w of workloads(objects).filter(appOf)) {
      for (const c of w.spec.template.spec.containers) {
        const where = `${w.kind}/${w.metadata.name} ${c.name}`;
        expect(c.startupProbe, where).toBeDefined();
        expect(c.livenessProbe, where).toBeDefined();
        expect(c.readinessProbe?.httpGet?.path, where).toBe('/health/ready');
        expect(c.resources?.requests?.cpu, where).toBeDefined();
        expect(c.resources?.requests?.memory, where).toBeDefined();
        expect(c.resources?.limits?.memory, where).toBeDefined();
        const http = c.ports?.find((p) => p.name === 'http')?.containerPort;
        expect(containerEnv(c, lookup, podName(w)).HTTP_PORT, `${where}: HTTP_PORT is the probed port`).toBe(String(http));
      }
    }
  });

  it('runs the signers as a StatefulSet: a volume each, spread over nodes, one voluntary disruption at a time', () => {
    const signer = find('StatefulSet', 'signer') as Workload;
    expect(signer.spec.replicas).toBe(5);
    expect(signer.spec.volumeClaimTemplates?.length).toBe(1);
    expect(signer.spec.template.spec.affinity?.podAntiAffinity).toBeDefined();
    const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget' && selects((o.spec as { selector: object }).selector, signer.spec.template.metadata.labels));
    expect(pdbs.map((p) => (p.spec as { maxUnavailable?: number }).maxUnavailable)).toEqual([1]);
    if (overlay === 'production') expect(JSON.stringify(signer.spec.template.spec.affinity)).toContain('requiredDuringSchedulingIgnoredDuringExecution');
  });

  it('lets the signers reach only NATS, Postgres, Redis, the L2 RPC, Bitcoin sources and DNS', () => {
    const labels = (find('StatefulSet', 'signer') as Workload).spec.template.metadata.labels;
    type Policy = { podSelector: object; policyTypes: string[]; egress?: Array<{ to?: Array<{ podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: object; ipBlock?: object }>; ports?: Array<{ port: number | string }> }> };
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.spec as Policy).filter((p) => selects(p.podSelector, labels));
    expect(policies.some((p) => p.policyTypes.includes('Egress')), 'an egress policy selects the signers (default deny)').toBe(true);
    const peers = policies.flatMap((p) => p.egress ?? []).flatMap((rule) => {
      expect(rule.to?.length, 'an egress rule without `to` allows everywhere').toBeGreaterThan(0);
      return rule.to!.map((peer) => {
        expect(peer.ipBlock, 'no ipBlock for signers').toBeUndefined();
        const l = peer.podSelector?.matchLabels ?? {};
        return l['app.kubernetes.io/name'] ?? (l['app.kubernetes.io/component'] === 'bitcoin-source' ? 'bitcoin-source' : l['k8s-app']);
      });
    });
    expect(new Set(peers)).toEqual(new Set(['nats', 'postgres', 'redis', 'evm-gateway', 'bitcoin-source', 'kube-dns']));
    // And no tapbridge pod accepts traffic from a signer except the evm-gateway's JSON-RPC.
    const ingressFromSigners = objects
      .filter((o) => o.kind === 'NetworkPolicy')
      .filter((o) => JSON.stringify((o.spec as { ingress?: unknown }).ingress ?? []).includes('"app.kubernetes.io/name":"signer"'))
      .map((o) => o.metadata.name);
    expect(ingressFromSigners).toEqual(['evm-gateway-rpc-from-signers']);
  });

  it('accepts every service container\'s environment with the service\'s own config loader', async () => {
    const checked: string[] = [];
    for (const w of workloads(objects)) {
      const app = appOf(w);
      if (!app) continue;
      const spec = w.spec.template.spec;
      const c = spec.containers[0]!;
      let env = containerEnv(c, lookup, podName(w));
      if (c.args?.[0] === 'tapbridge-signer') env = signerWrapperEnv(env, (file) => mountedSecretFile(spec, c, file, lookup));
      try {
        loadConfig(await configSchema(app), env);
      } catch (err) {
        throw new Error(`${overlay}: ${w.kind}/${w.metadata.name}: ${err instanceof ConfigError ? err.message : String(err)}`, { cause: err });
      }
      checked.push(app);
    }
    expect(checked.sort()).toEqual(serviceApps());
  });

  it.runIf(overlay === 'production')('takes every secret from a Secret reference, never a literal (only production)', () => {
    expect(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).toEqual([]);
    for (const w of workloads(objects)) {
      for (const c of [...w.spec.template.spec.containers, ...(w.spec.template.spec.initContainers ?? [])]) {
        for (const e of c.env ?? []) if (SECRET_NAME.test(e.name) && !NOT_SECRET.test(e.name)) expect(e.value, `${w.metadata.name} ${c.name} ${e.name}`).toBeUndefined();
      }
    }
    for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) {
      for (const key of Object.keys(cm.data ?? {})) expect(SECRET_NAME.test(key) && !NOT_SECRET.test(key), `ConfigMap ${cm.metadata.name} ${key}`).toBe(false);
    }
  });
});

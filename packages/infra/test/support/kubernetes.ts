// The Kubernetes overlays as `kubectl kustomize` renders them, and the environment each container would get.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import { infraDir } from './paths.js';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
  };
}
export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  startupProbe?: unknown;
  livenessProbe?: unknown;
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Array<{ name: string; secret?: { secretName: string } }>;
  affinity?: { podAntiAffinity?: unknown };
}
export interface Workload extends K8sObject {
  spec: { replicas?: number; template: { metadata: { labels: Record<string, string> }; spec: PodSpec }; volumeClaimTemplates?: unknown[] };
}

export function renderOverlay(overlay: string, kubectl: string): K8sObject[] {
  const r = spawnSync(kubectl, ['kustomize', path.join(infraDir, 'kustomize', 'overlays', overlay)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${overlay} failed:\n${r.stderr}`);
  return loadAll(r.stdout).filter((d): d is K8sObject => d !== null && typeof d === 'object');
}

export const workloads = (objects: K8sObject[]): Workload[] => objects.filter((o): o is Workload => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind));

/** Values of a ConfigMap or Secret (Secrets decoded from base64), from the render or else from `provided`. */
export type Provided = Record<string, Record<string, string>>;

export class Lookup {
  constructor(
    private readonly objects: K8sObject[],
    /** What the operator creates outside the overlay, by "ConfigMap/<name>" or "Secret/<name>". */
    private readonly provided: Provided = {},
  ) {}

  values(kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> {
    const found = this.objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (found) {
      const data = found.data ?? {};
      return kind === 'Secret' ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])) : data;
    }
    const given = this.provided[`${kind}/${name}`];
    if (!given) throw new Error(`${kind} ${name} is referenced but neither rendered nor provided by the operator`);
    return given;
  }
}

/** The container's environment as the kubelet would set it (envFrom first, then env; fieldRef metadata.name = podName). */
export function containerEnv(container: Container, lookup: Lookup, podName: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, lookup.values('ConfigMap', from.configMapRef.name));
    if (from.secretRef) Object.assign(env, lookup.values('Secret', from.secretRef.name));
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) env[e.name] = must(lookup.values('Secret', e.valueFrom.secretKeyRef.name)[e.valueFrom.secretKeyRef.key], `Secret ${e.valueFrom.secretKeyRef.name} key ${e.valueFrom.secretKeyRef.key}`);
    else if (e.valueFrom?.configMapKeyRef) env[e.name] = must(lookup.values('ConfigMap', e.valueFrom.configMapKeyRef.name)[e.valueFrom.configMapKeyRef.key], `ConfigMap ${e.valueFrom.configMapKeyRef.name} key ${e.valueFrom.configMapKeyRef.key}`);
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = podName;
    else throw new Error(`${container.name}: env ${e.name} has a source this check does not know`);
  }
  return env;
}

function must(value: string | undefined, what: string): string {
  if (value === undefined) throw new Error(`${what} does not exist`);
  return value;
}

/** A file a container reads from a mounted Secret volume (key = file name). */
export function mountedSecretFile(spec: PodSpec, container: Container, file: string, lookup: Lookup): string {
  const mount = container.volumeMounts?.find((m) => file.startsWith(`${m.mountPath}/`));
  const volume = spec.volumes?.find((v) => v.name === mount?.name);
  if (!mount || !volume?.secret) throw new Error(`${container.name}: ${file} is not on a mounted Secret`);
  return must(lookup.values('Secret', volume.secret.secretName)[file.slice(mount.mountPath.length + 1)], `Secret ${volume.secret.secretName} file ${file}`);
}

/** What infra/docker/signer.sh (the image's tapbridge-signer) does to the environment before starting the signer. */
export function signerWrapperEnv(env: Record<string, string>, readFile: (file: string) => string): Record<string, string> {
  const out = { ...env };
  if (!out.SIGNER_INDEX) {
    const ordinal = /-(\d+)$/.exec(out.POD_NAME ?? '')?.[1];
    if (ordinal === undefined) throw new Error(`signer.sh: no SIGNER_INDEX and POD_NAME ${out.POD_NAME} has no ordinal`);
    out.SIGNER_INDEX = String(Number(ordinal) + 1);
  }
  if (out.SIGNER_DATABASE_URL_TEMPLATE) out.DATABASE_URL = out.SIGNER_DATABASE_URL_TEMPLATE.replaceAll('{index}', out.SIGNER_INDEX);
  delete out.SIGNER_DATABASE_URL_TEMPLATE;
  if (!out.SIGNER_KEY_PASSPHRASE && out.SIGNER_KEY_PASSPHRASE_FILE) out.SIGNER_KEY_PASSPHRASE = readFile(out.SIGNER_KEY_PASSPHRASE_FILE.replaceAll('{index}', out.SIGNER_INDEX));
  delete out.SIGNER_KEY_PASSPHRASE_FILE;
  return out;
}

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> };

/** Whether a label selector selects `labels` (In, NotIn, Exists, DoesNotExist). */
export function selects(selector: Selector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    const value = labels[e.key];
    if (e.operator === 'In' && !(has && e.values!.includes(value!))) return false;
    if (e.operator === 'NotIn' && has && e.values!.includes(value!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

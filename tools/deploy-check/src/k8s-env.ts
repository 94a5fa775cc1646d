import type { K8sObject } from './workspace';

/** A container's environment, each variable with where its value comes from. */
export interface ContainerEnv {
  /** Literal values and values from ConfigMaps. */
  plain: Record<string, string>;
  /** Variables set from a Secret: name → `{ secret, key }`. */
  fromSecrets: Record<string, { secret: string; key: string; optional: boolean }>;
  /** Problems: a ConfigMap or key that does not exist, a value source the checks do not know. */
  problems: string[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Container = Record<string, any>;

/** Resolves `envFrom` and `env` of a container against the ConfigMaps of the same manifests. */
export function containerEnv(container: Container, objects: K8sObject[]): ContainerEnv {
  const configMaps = new Map(
    objects
      .filter((object) => object.kind === 'ConfigMap')
      .map((object) => [object.metadata.name, object.data ?? {}]),
  );
  const result: ContainerEnv = { plain: {}, fromSecrets: {}, problems: [] };

  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) {
      const data = configMaps.get(source.configMapRef.name);
      if (!data) result.problems.push(`envFrom ConfigMap ${source.configMapRef.name} is missing`);
      Object.assign(result.plain, data ?? {});
    } else {
      // envFrom a Secret would hand the pod every key of it, unnamed: keep secrets explicit.
      result.problems.push(`envFrom ${JSON.stringify(source)} is not a configMapRef`);
    }
  }

  for (const variable of container.env ?? []) {
    const { name, value, valueFrom } = variable;
    if (valueFrom === undefined) {
      result.plain[name] = String(value ?? '');
    } else if (valueFrom.secretKeyRef) {
      const { name: secret, key, optional = false } = valueFrom.secretKeyRef;
      result.fromSecrets[name] = { secret, key, optional };
      delete result.plain[name];
    } else if (valueFrom.configMapKeyRef) {
      const { name: configMap, key } = valueFrom.configMapKeyRef;
      const data = configMaps.get(configMap);
      if (!data || !(key in data)) result.problems.push(`${name}: ${configMap}/${key} is missing`);
      result.plain[name] = data?.[key] ?? '';
    } else {
      result.problems.push(`${name}: unsupported value source ${JSON.stringify(valueFrom)}`);
    }
  }

  return result;
}

/** The one container of a workload's pod template (every workload here runs one). */
export function podContainers(workload: K8sObject): Container[] {
  return workload.spec?.template?.spec?.containers ?? [];
}

/**
 * Names shared by the catalog, the chart and the runtimes. Changing one of these
 * is a breaking change of the contract between the portal and running clusters.
 */

/**
 * Catalog entity annotation naming the Loco environment an entity shows.
 *
 * @public
 */
export const LOCO_ENVIRONMENT_ANNOTATION = 'loco.dev/environment';

/**
 * `spec.type` of the catalog `Resource` each environment is (the catalog
 * module makes them, the forms look them up).
 *
 * @public
 */
export const LOCO_ENVIRONMENT_ENTITY_TYPE = 'loco-environment';

/**
 * Annotation on environments defined in the backend's config
 * (`loco.local.environments`) rather than created through the portal, with
 * the value {@link LOCO_DEFINED_IN_CONFIG}: they come back at every start, so
 * the destroy form does not offer them.
 *
 * @public
 */
export const LOCO_DEFINED_IN_ANNOTATION = 'loco.dev/defined-in';

/**
 * The value of {@link LOCO_DEFINED_IN_ANNOTATION} for config-defined environments.
 *
 * @public
 */
export const LOCO_DEFINED_IN_CONFIG = 'app-config';

/**
 * Kubernetes labels set by the chart on every emulator pod (the discovery contract).
 *
 * @public
 */
export const LOCO_LABELS = {
  partOf: 'app.kubernetes.io/part-of',
  component: 'app.kubernetes.io/component',
  instance: 'app.kubernetes.io/instance',
  environment: 'loco.dev/environment',
  owner: 'loco.dev/owner',
} as const;

/**
 * Values of the labels above that identify an emulator pod.
 *
 * @public
 */
export const LOCO_LABEL_VALUES = {
  partOf: 'lego-loco-cluster',
  component: 'emulator',
} as const;

/**
 * The annotations Backstage's Kubernetes plugin reads to find an entity's
 * objects, set on every Kubernetes environment entity so its standard
 * Kubernetes tab shows the environment's pods beside the Loco tab. The label
 * selector takes precedence over the id in that plugin; the id is still set
 * because its frontend only offers the tab when one of the two is present.
 * The namespace (the release's, from the environment listing) makes the
 * plugin list that namespace only, which a service account limited to the
 * Loco namespaces is allowed to do, instead of every namespace.
 *
 * @public
 */
export const KUBERNETES_PLUGIN_ANNOTATIONS = {
  id: 'backstage.io/kubernetes-id',
  labelSelector: 'backstage.io/kubernetes-label-selector',
  namespace: 'backstage.io/kubernetes-namespace',
} as const;

/**
 * The label selector that matches exactly the chart's objects of one
 * environment (part-of plus the environment label, both from {@link LOCO_LABELS}),
 * in Kubernetes' `key=value,key=value` form.
 *
 * @public
 */
export function environmentLabelSelector(environment: string): string {
  return [
    `${LOCO_LABELS.partOf}=${LOCO_LABEL_VALUES.partOf}`,
    `${LOCO_LABELS.environment}=${environment}`,
  ].join(',');
}

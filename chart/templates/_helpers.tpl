{{/*
Chart name, truncated to 63 characters (the DNS label limit).
*/}}
{{- define "lego-loco-cluster.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name, as `helm create` makes it. Truncated to 52 characters
rather than 63: StatefulSet pods get a "controller-revision-hash" label of
<name>-<10 chars>, and per-instance names append "-lan-31"; both must stay
within 63.
*/}}
{{- define "lego-loco-cluster.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "lego-loco-cluster.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Owner label value: an entity ref such as "user:default/guest" holds characters
a label value may not, so each run of characters outside [A-Za-z0-9_.-]
becomes "_", the result is cut to 63 characters and must start and end
alphanumeric ("user:default/guest" -> "user_default_guest"). The portal
computes the same value when it selects pods by owner.
*/}}
{{- define "lego-loco-cluster.ownerLabel" -}}
{{- $v := regexReplaceAll "[^A-Za-z0-9_.-]+" (toString .Values.environment.owner) "_" | trunc 63 }}
{{- regexReplaceAll "^[^A-Za-z0-9]+|[^A-Za-z0-9]+$" $v "" }}
{{- end }}

{{/*
Selector labels: stable for the life of a release (selectors are immutable).
*/}}
{{- define "lego-loco-cluster.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lego-loco-cluster.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Common labels, including the discovery contract the portal relies on
(part-of, instance, loco.dev/environment, loco.dev/owner).
*/}}
{{- define "lego-loco-cluster.labels" -}}
helm.sh/chart: {{ include "lego-loco-cluster.chart" . }}
{{ include "lego-loco-cluster.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: lego-loco-cluster
loco.dev/environment: {{ .Values.environment.name | quote }}
loco.dev/owner: {{ include "lego-loco-cluster.ownerLabel" . | quote }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Emulator selector labels (StatefulSet, Service, PDB, NetworkPolicy).
*/}}
{{- define "lego-loco-cluster.emulator.selectorLabels" -}}
{{ include "lego-loco-cluster.selectorLabels" . }}
app.kubernetes.io/component: emulator
{{- end }}

{{/*
LAN hub selector labels.
*/}}
{{- define "lego-loco-cluster.hub.selectorLabels" -}}
{{ include "lego-loco-cluster.selectorLabels" . }}
app.kubernetes.io/component: lan-hub
{{- end }}

{{/*
Annotations every environment object carries: the owner ref verbatim.
*/}}
{{- define "lego-loco-cluster.annotations" -}}
loco.dev/owner-ref: {{ .Values.environment.owner | quote }}
{{- end }}

{{/*
The Secret holding the emulator agents' control token (loco-common's
agentSecretName rule); pods name it in the loco.dev/agent-secret annotation.
*/}}
{{- define "lego-loco-cluster.agentSecretName" -}}
{{ include "lego-loco-cluster.fullname" . }}-agent
{{- end }}

{{- define "lego-loco-cluster.headlessServiceName" -}}
{{ include "lego-loco-cluster.fullname" . }}-headless
{{- end }}

{{- define "lego-loco-cluster.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "lego-loco-cluster.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
An image reference (Bitnami's conventions). global.imageRegistry, a mirror,
replaces the repository's registry host - its first path part when that holds
"." or ":" or is "localhost", as Docker reads references - or goes in front of
a repository without one. A digest pins the image and wins over the tag.
Call with (dict "repository" r "tag" t "digest" d "root" $).
*/}}
{{- define "lego-loco-cluster.imageRef" -}}
{{- $repo := .repository }}
{{- $registry := dig "imageRegistry" "" (.root.Values.global | default dict) }}
{{- if $registry }}
{{- $parts := splitList "/" $repo }}
{{- $first := first $parts }}
{{- if and (gt (len $parts) 1) (or (contains "." $first) (contains ":" $first) (eq $first "localhost")) }}
{{- $repo = join "/" (rest $parts) }}
{{- end }}
{{- $repo = printf "%s/%s" (trimSuffix "/" $registry) $repo }}
{{- end }}
{{- if .digest }}
{{- printf "%s@%s" $repo .digest }}
{{- else }}
{{- printf "%s:%s" $repo .tag }}
{{- end }}
{{- end }}

{{- define "lego-loco-cluster.image" -}}
{{- include "lego-loco-cluster.imageRef" (dict "repository" .Values.image.repository "tag" (.Values.image.tag | default .Chart.AppVersion) "digest" .Values.image.digest "root" .) }}
{{- end }}

{{/*
The hub runs the emulator image (digest included) unless lan.hub.image names
another repository or tag.
*/}}
{{- define "lego-loco-cluster.hubImage" -}}
{{- $own := or .Values.lan.hub.image.repository .Values.lan.hub.image.tag }}
{{- $repo := .Values.lan.hub.image.repository | default .Values.image.repository }}
{{- $tag := .Values.lan.hub.image.tag | default .Values.image.tag | default .Chart.AppVersion }}
{{- include "lego-loco-cluster.imageRef" (dict "repository" $repo "tag" $tag "digest" (ternary "" .Values.image.digest (not (empty $own))) "root" .) }}
{{- end }}

{{/*
imagePullSecrets of a pod: global.imagePullSecrets and imagePullSecrets, each
given as a name or as {name: ...}, without duplicates. Renders nothing when
there are none.
*/}}
{{- define "lego-loco-cluster.imagePullSecrets" -}}
{{- $names := list }}
{{- range concat (dig "imagePullSecrets" list (.Values.global | default dict)) (.Values.imagePullSecrets | default list) }}
{{- if kindIs "string" . }}
{{- $names = append $names . }}
{{- else }}
{{- $names = append $names (get . "name") }}
{{- end }}
{{- end }}
{{- with ($names | compact | uniq) }}
imagePullSecrets:
{{- range . }}
  - name: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The emulator pods' affinity: .Values.affinity when set, else the presets
(podAntiAffinityPreset, nodeAffinityPreset), else nothing.
*/}}
{{- define "lego-loco-cluster.affinity" -}}
{{- if .Values.affinity }}
{{- toYaml .Values.affinity }}
{{- else }}
{{- $pod := .Values.podAntiAffinityPreset }}
{{- $node := .Values.nodeAffinityPreset }}
{{- if $pod }}
podAntiAffinity:
  {{- if eq $pod "hard" }}
  requiredDuringSchedulingIgnoredDuringExecution:
    - labelSelector:
        matchLabels:
          {{- include "lego-loco-cluster.emulator.selectorLabels" . | nindent 10 }}
      topologyKey: kubernetes.io/hostname
  {{- else }}
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 1
      podAffinityTerm:
        labelSelector:
          matchLabels:
            {{- include "lego-loco-cluster.emulator.selectorLabels" . | nindent 12 }}
        topologyKey: kubernetes.io/hostname
  {{- end }}
{{- end }}
{{- if $node.type }}
nodeAffinity:
  {{- if eq $node.type "hard" }}
  requiredDuringSchedulingIgnoredDuringExecution:
    nodeSelectorTerms:
      - matchExpressions:
          - key: {{ $node.key | quote }}
            operator: In
            values:
              {{- toYaml $node.values | nindent 14 }}
  {{- else }}
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 1
      preference:
        matchExpressions:
          - key: {{ $node.key | quote }}
            operator: In
            values:
              {{- toYaml $node.values | nindent 14 }}
  {{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Name of the ReadWriteMany claim shared by all instances (hybrid mode).
*/}}
{{- define "lego-loco-cluster.sharedClaimName" -}}
{{- .Values.storage.shared.existingClaim | default (printf "%s-shared" (include "lego-loco-cluster.fullname" .)) }}
{{- end }}

{{/*
The size of every environment's LAN: the most instances an environment may
have (values.schema.json's instances maximum, loco-common's MAX_INSTANCES;
tests/chart/scaling.test.ts holds them equal). What depends on it instead of
on .Values.instances - the hub's listeners, the instances' LOCO_INSTANCE_COUNT
- stays the same when the environment scales, so a scale never changes a pod
template: running instances keep running and the hub is not recreated.
*/}}
{{- define "lego-loco-cluster.lanSize" -}}
32
{{- end }}

{{/*
Per-instance hub Service name; instance i connects to "<fullname>-lan-i".
*/}}
{{- define "lego-loco-cluster.hubServicePrefix" -}}
{{ include "lego-loco-cluster.fullname" . }}-lan
{{- end }}

{{/*
storageClassName line for a claim: "" leaves the field out (cluster default),
"-" renders an empty class (no dynamic provisioning), anything else is used.
Call with (dict "class" <value>).
*/}}
{{- define "lego-loco-cluster.storageClass" -}}
{{- if eq .class "-" }}
storageClassName: ""
{{- else if .class }}
storageClassName: {{ .class | quote }}
{{- end }}
{{- end }}

{{/*
How a built-in disk becomes the instance disk: overlay only where the image
cannot change under the disk (ephemeral volumes live as long as the pod).
*/}}
{{- define "lego-loco-cluster.builtinDiskMode" -}}
{{- $mode := .Values.emulator.builtinDisk.mode }}
{{- if eq $mode "auto" }}
{{- ternary "overlay" "copy" (eq .Values.storage.mode "ephemeral") }}
{{- else }}
{{- $mode }}
{{- end }}
{{- end }}

{{/*
Multicast group for lan.mode=multicast: one per namespace/release, so two
environments never share a LAN.
*/}}
{{- define "lego-loco-cluster.multicastGroup" -}}
{{- if .Values.lan.multicast.group }}
{{- .Values.lan.multicast.group }}
{{- else }}
{{- $h := printf "%s/%s" .Release.Namespace .Release.Name | adler32sum | atoi }}
{{- printf "239.255.%d.%d" (mod (div $h 256) 256) (add1 (mod $h 254)) }}
{{- end }}
{{- end }}

{{/*
QEMU -netdev spec of one instance (LOCO_NETDEV), with id "lan0". Kubernetes
expands $(LOCO_INSTANCE_INDEX) per pod, which is how each instance reaches its
own hub port without arithmetic in the pod spec.
*/}}
{{- define "lego-loco-cluster.netdev" -}}
{{- if not .Values.lan.enabled }}
{{- else if eq .Values.lan.mode "multicast" }}
{{- printf "socket,id=lan0,mcast=%s:%d" (include "lego-loco-cluster.multicastGroup" .) (int .Values.lan.multicast.port) }}
{{- else }}
{{- $host := printf "%s-$(LOCO_INSTANCE_INDEX).%s.svc" (include "lego-loco-cluster.hubServicePrefix" .) .Release.Namespace }}
{{- $port := int .Values.lan.hub.servicePort }}
{{- if eq .Values.lan.hub.netdev "stream" }}
{{- printf "stream,id=lan0,server=off,addr.type=inet,addr.host=%s,addr.port=%d" $host $port }}
{{- with int .Values.lan.hub.reconnectSeconds }},reconnect={{ . }}{{ end }}
{{- else }}
{{- printf "socket,id=lan0,connect=%s:%d" $host $port }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Environment shared by the prepare-disk init container and the emulator: both
must agree on where the disk is and which snapshot to use (the emulator pulls
the snapshot itself when the init container could not).
*/}}
{{- define "lego-loco-cluster.diskEnv" -}}
- name: LOCO_POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
# Set by the StatefulSet controller on every pod (Kubernetes >= 1.28).
- name: LOCO_INSTANCE_INDEX
  valueFrom:
    fieldRef:
      fieldPath: metadata.labels['apps.kubernetes.io/pod-index']
- name: LOCO_DISK
  value: /var/lib/loco/disk.qcow2
- name: LOCO_SNAPSHOT_TAG
  value: {{ .Values.snapshot.tag | quote }}
- name: LOCO_SNAPSHOT_REGISTRY
  value: {{ .Values.snapshot.registry | quote }}
{{- end }}

{{/*
Mount of the instance's disk volume. In hostpath mode all pods share one node
directory per environment, so each mounts its own <pod-name> subdirectory.
*/}}
{{- define "lego-loco-cluster.dataMount" -}}
- name: data
  mountPath: /var/lib/loco
  {{- if eq .Values.storage.mode "hostpath" }}
  subPathExpr: $(LOCO_POD_NAME)
  {{- end }}
{{- end }}

{{/* Names, labels and the values the other templates derive from. */}}

{{- define "cvm-admission.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "cvm-admission.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "cvm-admission.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cvm-admission.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "cvm-admission.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "cvm-admission.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "cvm-admission.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "cvm-admission.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Both webhook configurations carry this fixed name, whatever the release: it sorts before
Istio's istio-* configurations, so the CVM mutation runs before sidecar injection. */}}
{{- define "cvm-admission.webhookName" -}}
cvm-admission
{{- end }}

{{- define "cvm-admission.leaseName" -}}
{{ include "cvm-admission.fullname" . }}-leader
{{- end }}

{{/* The Secret the pods mount at /etc/cvm-admission/tls. */}}
{{- define "cvm-admission.tlsSecretName" -}}
{{- if eq .Values.certificates.mode "existingSecret" }}
{{- required "certificates.existingSecret.name is required when certificates.mode is existingSecret" .Values.certificates.existingSecret.name }}
{{- else }}
{{- default (printf "%s-tls" (include "cvm-admission.fullname" .)) .Values.certificates.secretName }}
{{- end }}
{{- end }}

{{/* The app's certificates.mode: cert-manager and an operator's Secret are both plain files to it. */}}
{{- define "cvm-admission.appCertificateMode" -}}
{{- if eq .Values.certificates.mode "selfManaged" }}selfManaged
{{- else if eq .Values.certificates.mode "certManager" }}certManager
{{- else }}files
{{- end }}
{{- end }}

{{/* kube-system and the release namespace are never sent to the webhooks: a webhook that matches
its own namespace or the cluster's system pods can deadlock the cluster when it is down. */}}
{{- define "cvm-admission.excludedNamespaces" -}}
{{- $excluded := list "kube-system" .Release.Namespace }}
{{- range .Values.webhook.excludedNamespaces }}
{{- $excluded = append $excluded . }}
{{- end }}
{{- toYaml (uniq $excluded) }}
{{- end }}

{{/* caBundle (existingSecret only) and the cert-manager injection annotation. */}}
{{- define "cvm-admission.webhookAnnotations" -}}
{{- if eq .Values.certificates.mode "certManager" }}
annotations:
  cert-manager.io/inject-ca-from: {{ printf "%s/%s" .Release.Namespace (include "cvm-admission.fullname" .) }}
{{- end }}
{{- end }}

{{- define "cvm-admission.clientConfig" -}}
clientConfig:
  service:
    name: {{ include "cvm-admission.fullname" .root }}
    namespace: {{ .root.Release.Namespace }}
    path: {{ .path }}
    port: {{ .root.Values.service.port }}
  {{- if eq .root.Values.certificates.mode "existingSecret" }}
  caBundle: {{ required "certificates.existingSecret.caBundle (base64 PEM CA) is required when certificates.mode is existingSecret" .root.Values.certificates.existingSecret.caBundle }}
  {{- end }}
{{- end }}

package scheme

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// SelectableFields lists, per kind, the field labels a field selector may
// use beyond metadata.name and metadata.namespace, as kube-apiserver accepts
// them. The registry's attribute functions must return every one of them.
func SelectableFields() map[schema.GroupVersionKind][]string {
	return map[schema.GroupVersionKind][]string{
		corev1.SchemeGroupVersion.WithKind("Pod"): {
			"spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
			"spec.serviceAccountName", "spec.hostNetwork", "status.phase",
			"status.podIP", "status.nominatedNodeName",
		},
		corev1.SchemeGroupVersion.WithKind("Service"): {"spec.clusterIP", "spec.type"},
		corev1.SchemeGroupVersion.WithKind("Event"): {
			"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
			"involvedObject.uid", "involvedObject.apiVersion",
			"involvedObject.resourceVersion", "involvedObject.fieldPath",
			"reason", "reportingComponent", "source", "type",
		},
		corev1.SchemeGroupVersion.WithKind("Namespace"):  {"status.phase"},
		corev1.SchemeGroupVersion.WithKind("Secret"):     {"type"},
		corev1.SchemeGroupVersion.WithKind("Node"):       {"spec.unschedulable"},
		appsv1.SchemeGroupVersion.WithKind("ReplicaSet"): {"status.replicas"},
		batchv1.SchemeGroupVersion.WithKind("Job"):       {"status.successful"},
	}
}

func addFieldLabelConversions(s *runtime.Scheme) error {
	for gvk, extra := range SelectableFields() {
		allowed := map[string]bool{"metadata.name": true, "metadata.namespace": true}
		for _, f := range extra {
			allowed[f] = true
		}
		kind := gvk.Kind
		conv := func(label, value string) (string, string, error) {
			if allowed[label] {
				return label, value, nil
			}
			return "", "", fmt.Errorf("field label not supported: %s", label)
		}
		if err := s.AddFieldLabelConversionFunc(gvk, conv); err != nil {
			return fmt.Errorf("field labels for %s: %w", kind, err)
		}
		internal := schema.GroupVersionKind{Group: gvk.Group, Version: runtime.APIVersionInternal, Kind: kind}
		if err := s.AddFieldLabelConversionFunc(internal, conv); err != nil {
			return fmt.Errorf("field labels for internal %s: %w", kind, err)
		}
	}
	return nil
}

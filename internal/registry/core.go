package registry

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"
)

func coreResources() []*Resource {
	gv := corev1.SchemeGroupVersion
	// The nodes store, once built: pods/log looks up the pod's node.
	var nodes rest.Getter
	return []*Resource{
		{
			GroupVersion: gv, Name: "namespaces", Singular: "namespace", Kind: "Namespace",
			ShortNames: []string{"ns"},
			New:        func() runtime.Object { return &corev1.Namespace{} },
			NewList:    func() runtime.Object { return &corev1.NamespaceList{} },
			Status:     true,
			Fields: func(obj runtime.Object) fields.Set {
				return fields.Set{"status.phase": string(obj.(*corev1.Namespace).Status.Phase)}
			},
			PrepareForCreate: func(_ context.Context, obj runtime.Object) {
				ns := obj.(*corev1.Namespace)
				// kube-apiserver's namespace strategy: every namespace
				// carries the "kubernetes" finalizer, so deleting it first
				// empties it, and starts Active.
				ns.Spec.Finalizers = []corev1.FinalizerName{corev1.FinalizerKubernetes}
				ns.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceActive}
			},
			PrepareForUpdate: func(_ context.Context, obj, old runtime.Object) {
				// spec.finalizers changes only through /finalize.
				obj.(*corev1.Namespace).Spec.Finalizers = old.(*corev1.Namespace).Spec.Finalizers
			},
			Decorate: decorateNamespaces,
		},
		{
			GroupVersion: gv, Name: "nodes", Singular: "node", Kind: "Node",
			ShortNames: []string{"no"},
			New:        func() runtime.Object { return &corev1.Node{} },
			NewList:    func() runtime.Object { return &corev1.NodeList{} },
			Status:     true, KeepStatusOnCreate: true,
			Fields: func(obj runtime.Object) fields.Set {
				return fields.Set{"spec.unschedulable": boolString(obj.(*corev1.Node).Spec.Unschedulable)}
			},
			Decorate: func(s *Store, _ map[string]rest.Storage) { nodes = s },
		},
		{
			GroupVersion: gv, Name: "pods", Singular: "pod", Kind: "Pod", Namespaced: true,
			ShortNames: []string{"po"}, Categories: []string{"all"},
			New:     func() runtime.Object { return &corev1.Pod{} },
			NewList: func() runtime.Object { return &corev1.PodList{} },
			Status:  true,
			Fields:  podFields,
			PrepareForCreate: func(_ context.Context, obj runtime.Object) {
				pod := obj.(*corev1.Pod)
				pod.Status = corev1.PodStatus{Phase: corev1.PodPending, QOSClass: qosClass(pod)}
			},
			GracefulDelete: podGracefulDelete,
			Decorate: func(s *Store, paths map[string]rest.Storage) {
				decoratePods(s, paths, func() rest.Getter { return nodes })
			},
		},
		{
			GroupVersion: gv, Name: "services", Singular: "service", Kind: "Service", Namespaced: true,
			ShortNames: []string{"svc"}, Categories: []string{"all"},
			New:     func() runtime.Object { return &corev1.Service{} },
			NewList: func() runtime.Object { return &corev1.ServiceList{} },
			Status:  true,
			Fields: func(obj runtime.Object) fields.Set {
				svc := obj.(*corev1.Service)
				return fields.Set{"spec.clusterIP": svc.Spec.ClusterIP, "spec.type": string(svc.Spec.Type)}
			},
		},
		{
			GroupVersion: gv, Name: "endpoints", Singular: "endpoints", Kind: "Endpoints", Namespaced: true,
			ShortNames: []string{"ep"},
			New:        func() runtime.Object { return &corev1.Endpoints{} },
			NewList:    func() runtime.Object { return &corev1.EndpointsList{} },
		},
		{
			GroupVersion: gv, Name: "secrets", Singular: "secret", Kind: "Secret", Namespaced: true,
			New:     func() runtime.Object { return &corev1.Secret{} },
			NewList: func() runtime.Object { return &corev1.SecretList{} },
			Fields: func(obj runtime.Object) fields.Set {
				return fields.Set{"type": string(obj.(*corev1.Secret).Type)}
			},
		},
		{
			GroupVersion: gv, Name: "configmaps", Singular: "configmap", Kind: "ConfigMap", Namespaced: true,
			ShortNames: []string{"cm"},
			New:        func() runtime.Object { return &corev1.ConfigMap{} },
			NewList:    func() runtime.Object { return &corev1.ConfigMapList{} },
		},
		{
			GroupVersion: gv, Name: "events", Singular: "event", Kind: "Event", Namespaced: true,
			ShortNames: []string{"ev"},
			New:        func() runtime.Object { return &corev1.Event{} },
			NewList:    func() runtime.Object { return &corev1.EventList{} },
			Fields:     eventFields,
		},
	}
}

func podFields(obj runtime.Object) fields.Set {
	pod := obj.(*corev1.Pod)
	podIP := ""
	if len(pod.Status.PodIPs) > 0 {
		podIP = pod.Status.PodIPs[0].IP
	} else {
		podIP = pod.Status.PodIP
	}
	return fields.Set{
		"spec.nodeName":            pod.Spec.NodeName,
		"spec.restartPolicy":       string(pod.Spec.RestartPolicy),
		"spec.schedulerName":       pod.Spec.SchedulerName,
		"spec.serviceAccountName":  pod.Spec.ServiceAccountName,
		"spec.hostNetwork":         boolString(pod.Spec.HostNetwork),
		"status.phase":             string(pod.Status.Phase),
		"status.podIP":             podIP,
		"status.nominatedNodeName": pod.Status.NominatedNodeName,
	}
}

func eventFields(obj runtime.Object) fields.Set {
	ev := obj.(*corev1.Event)
	source := ev.Source.Component
	if source == "" {
		source = ev.ReportingController
	}
	return fields.Set{
		"involvedObject.kind":            ev.InvolvedObject.Kind,
		"involvedObject.namespace":       ev.InvolvedObject.Namespace,
		"involvedObject.name":            ev.InvolvedObject.Name,
		"involvedObject.uid":             string(ev.InvolvedObject.UID),
		"involvedObject.apiVersion":      ev.InvolvedObject.APIVersion,
		"involvedObject.resourceVersion": ev.InvolvedObject.ResourceVersion,
		"involvedObject.fieldPath":       ev.InvolvedObject.FieldPath,
		"reason":                         ev.Reason,
		"reportingComponent":             ev.ReportingController,
		"source":                         source,
		"type":                           ev.Type,
	}
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// qosClass computes status.qosClass as kube-apiserver does on create:
// Guaranteed when every container has equal cpu and memory requests and
// limits, BestEffort when none has any, Burstable otherwise.
func qosClass(pod *corev1.Pod) corev1.PodQOSClass {
	containers := append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...)
	any, guaranteed := false, true
	for _, c := range containers {
		if len(c.Resources.Requests) > 0 || len(c.Resources.Limits) > 0 {
			any = true
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			l, hasLimit := c.Resources.Limits[r]
			q, hasReq := c.Resources.Requests[r]
			if !hasLimit || (hasReq && q.Cmp(l) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case !any:
		return corev1.PodQOSBestEffort
	case guaranteed:
		return corev1.PodQOSGuaranteed
	default:
		return corev1.PodQOSBurstable
	}
}

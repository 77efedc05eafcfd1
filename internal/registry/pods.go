package registry

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"
)

// decoratePods adds kube's pod subresources beyond /status: pods/log, which
// streams a container log from the pod's node, pods/binding, which assigns
// the pod to a node, and the older namespaced "bindings" resource.
func decoratePods(s *Store, paths map[string]rest.Storage, nodes func() rest.Getter) {
	binding := &BindingREST{store: s}
	paths["pods/binding"] = binding
	paths["bindings"] = &LegacyBindingREST{binding: binding}
	paths["pods/log"] = newLogREST(s, nodes)
}

// podGracefulDelete makes pod deletion graceful as in kube-apiserver: a pod
// bound to a node stays, terminating, until its node agent confirms that the
// processes are gone (by deleting again with a grace period of 0).
func podGracefulDelete(_ context.Context, obj runtime.Object, options *metav1.DeleteOptions) bool {
	if options == nil {
		return false
	}
	pod := obj.(*corev1.Pod)
	period := int64(corev1.DefaultTerminationGracePeriodSeconds)
	switch {
	case options.GracePeriodSeconds != nil:
		period = *options.GracePeriodSeconds
	case pod.Spec.TerminationGracePeriodSeconds != nil:
		period = *pod.Spec.TerminationGracePeriodSeconds
	}
	// A pod no node runs, or one that has finished, has nothing to stop.
	if pod.Spec.NodeName == "" || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		period = 0
	}
	options.GracePeriodSeconds = &period
	return true
}

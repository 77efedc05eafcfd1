// Package printers owns portal's server-side table printing: the
// metav1.Table that `kubectl get` asks for with
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`.
//
// For each built-in resource portal serves, the package holds the column
// definitions and the cell logic that kube-apiserver's printers
// (k8s.io/kubernetes/pkg/printers/internalversion) use, so that `kubectl get`,
// `-o wide`, `-A`, `--show-labels` and `-L` print the same thing against
// portal as against Kubernetes. Like kube-apiserver, the convertors always
// produce the wide (priority 1) columns and leave it to the client to hide
// them.
//
// portal keeps the versioned k8s.io/api types in memory, so the convertors
// take those (for example *corev1.Service and *corev1.ServiceList). Where a
// versioned object can carry a field that kube's internal type has folded
// away (Service.spec.clusterIP next to clusterIPs, Pod.status.podIP next to
// podIPs, Secret.stringData), the printers read it the way kube's v1 to
// internal conversion would.
//
// The package owns no state: For builds a convertor on demand, and every
// convertor reads the time from the clock it was given.
package printers

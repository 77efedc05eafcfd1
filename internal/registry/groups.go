package registry

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// Resources returns every kind portal serves in its current version, in
// the order discovery lists them.
func Resources() []*Resource {
	var out []*Resource
	out = append(out, coreResources()...)
	out = append(out, appsResources()...)
	out = append(out, batchResources()...)
	out = append(out, networkingResources()...)
	out = append(out, discoveryResources()...)
	out = append(out, coordinationResources()...)
	addValidation(out)
	return out
}

func appsResources() []*Resource {
	gv := appsv1.SchemeGroupVersion
	return []*Resource{
		{
			GroupVersion: gv, Name: "deployments", Singular: "deployment", Kind: "Deployment", Namespaced: true,
			ShortNames: []string{"deploy"}, Categories: []string{"all"},
			New:     func() runtime.Object { return &appsv1.Deployment{} },
			NewList: func() runtime.Object { return &appsv1.DeploymentList{} },
			Status:  true, Generation: true,
			Scale: &ScaleAccess{
				Replicas:       func(o runtime.Object) int32 { return ptr.Deref(o.(*appsv1.Deployment).Spec.Replicas, 1) },
				SetReplicas:    func(o runtime.Object, n int32) { o.(*appsv1.Deployment).Spec.Replicas = &n },
				StatusReplicas: func(o runtime.Object) int32 { return o.(*appsv1.Deployment).Status.Replicas },
				Selector:       func(o runtime.Object) string { return selectorString(o.(*appsv1.Deployment).Spec.Selector) },
			},
		},
		{
			GroupVersion: gv, Name: "replicasets", Singular: "replicaset", Kind: "ReplicaSet", Namespaced: true,
			ShortNames: []string{"rs"}, Categories: []string{"all"},
			New:     func() runtime.Object { return &appsv1.ReplicaSet{} },
			NewList: func() runtime.Object { return &appsv1.ReplicaSetList{} },
			Status:  true, Generation: true,
			Fields: func(o runtime.Object) fields.Set {
				return fields.Set{"status.replicas": itoa(int64(o.(*appsv1.ReplicaSet).Status.Replicas))}
			},
			Scale: &ScaleAccess{
				Replicas:       func(o runtime.Object) int32 { return ptr.Deref(o.(*appsv1.ReplicaSet).Spec.Replicas, 1) },
				SetReplicas:    func(o runtime.Object, n int32) { o.(*appsv1.ReplicaSet).Spec.Replicas = &n },
				StatusReplicas: func(o runtime.Object) int32 { return o.(*appsv1.ReplicaSet).Status.Replicas },
				Selector:       func(o runtime.Object) string { return selectorString(o.(*appsv1.ReplicaSet).Spec.Selector) },
			},
		},
		{
			GroupVersion: gv, Name: "statefulsets", Singular: "statefulset", Kind: "StatefulSet", Namespaced: true,
			ShortNames: []string{"sts"}, Categories: []string{"all"},
			New:     func() runtime.Object { return &appsv1.StatefulSet{} },
			NewList: func() runtime.Object { return &appsv1.StatefulSetList{} },
			Status:  true, Generation: true,
			Scale: &ScaleAccess{
				Replicas:       func(o runtime.Object) int32 { return ptr.Deref(o.(*appsv1.StatefulSet).Spec.Replicas, 1) },
				SetReplicas:    func(o runtime.Object, n int32) { o.(*appsv1.StatefulSet).Spec.Replicas = &n },
				StatusReplicas: func(o runtime.Object) int32 { return o.(*appsv1.StatefulSet).Status.Replicas },
				Selector:       func(o runtime.Object) string { return selectorString(o.(*appsv1.StatefulSet).Spec.Selector) },
			},
		},
	}
}

func batchResources() []*Resource {
	gv := batchv1.SchemeGroupVersion
	return []*Resource{
		{
			GroupVersion: gv, Name: "jobs", Singular: "job", Kind: "Job", Namespaced: true,
			Categories: []string{"all"},
			New:        func() runtime.Object { return &batchv1.Job{} },
			NewList:    func() runtime.Object { return &batchv1.JobList{} },
			Status:     true, Generation: true,
			Fields: func(o runtime.Object) fields.Set {
				return fields.Set{"status.successful": itoa(int64(o.(*batchv1.Job).Status.Succeeded))}
			},
			PrepareForCreate: jobGenerateSelector,
		},
		{
			GroupVersion: gv, Name: "cronjobs", Singular: "cronjob", Kind: "CronJob", Namespaced: true,
			ShortNames: []string{"cj"}, Categories: []string{"all"},
			New:     func() runtime.Object { return &batchv1.CronJob{} },
			NewList: func() runtime.Object { return &batchv1.CronJobList{} },
			Status:  true, Generation: true,
		},
	}
}

func networkingResources() []*Resource {
	gv := networkingv1.SchemeGroupVersion
	return []*Resource{
		{
			GroupVersion: gv, Name: "ingresses", Singular: "ingress", Kind: "Ingress", Namespaced: true,
			ShortNames: []string{"ing"},
			New:        func() runtime.Object { return &networkingv1.Ingress{} },
			NewList:    func() runtime.Object { return &networkingv1.IngressList{} },
			Status:     true, Generation: true,
		},
		{
			GroupVersion: gv, Name: "ingressclasses", Singular: "ingressclass", Kind: "IngressClass",
			New:     func() runtime.Object { return &networkingv1.IngressClass{} },
			NewList: func() runtime.Object { return &networkingv1.IngressClassList{} },
		},
		{
			// kube-proxy 1.37 watches ServiceCIDRs; portal serves the
			// resource so that watch works, and lists none of its own.
			GroupVersion: gv, Name: "servicecidrs", Singular: "servicecidr", Kind: "ServiceCIDR",
			New:     func() runtime.Object { return &networkingv1.ServiceCIDR{} },
			NewList: func() runtime.Object { return &networkingv1.ServiceCIDRList{} },
			Status:  true, Generation: true,
		},
	}
}

func discoveryResources() []*Resource {
	return []*Resource{{
		GroupVersion: discoveryv1.SchemeGroupVersion, Name: "endpointslices", Singular: "endpointslice",
		Kind: "EndpointSlice", Namespaced: true,
		New:     func() runtime.Object { return &discoveryv1.EndpointSlice{} },
		NewList: func() runtime.Object { return &discoveryv1.EndpointSliceList{} },

		PrepareForCreate: endpointSliceCreate, PrepareForUpdate: endpointSliceUpdate,
	}}
}

func coordinationResources() []*Resource {
	return []*Resource{{
		GroupVersion: coordinationv1.SchemeGroupVersion, Name: "leases", Singular: "lease",
		Kind: "Lease", Namespaced: true,
		New:     func() runtime.Object { return &coordinationv1.Lease{} },
		NewList: func() runtime.Object { return &coordinationv1.LeaseList{} },
	}}
}

func selectorString(sel *metav1.LabelSelector) string {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return ""
	}
	return s.String()
}

func itoa(n int64) string {
	return fmt.Sprint(n)
}

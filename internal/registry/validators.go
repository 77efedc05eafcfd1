package registry

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/portal-dev/portal/internal/api/validation"
)

// validator adapts a typed create validation to a Resource's Validate.
func validator[T runtime.Object](f func(T) field.ErrorList) func(context.Context, runtime.Object) field.ErrorList {
	return func(_ context.Context, obj runtime.Object) field.ErrorList { return f(obj.(T)) }
}

// updateValidator adapts a typed update validation to ValidateUpdate.
func updateValidator[T runtime.Object](f func(T, T) field.ErrorList) func(context.Context, runtime.Object, runtime.Object) field.ErrorList {
	return func(_ context.Context, obj, old runtime.Object) field.ErrorList { return f(obj.(T), old.(T)) }
}

// addValidation sets each row's validation from internal/api/validation,
// keyed by its hub kind. Rows for kinds with no rules keep the generic
// metadata validation.
func addValidation(rows []*Resource) {
	type rules struct {
		create func(context.Context, runtime.Object) field.ErrorList
		update func(context.Context, runtime.Object, runtime.Object) field.ErrorList
	}
	byKind := map[string]rules{
		"Namespace":     {validator(validation.ValidateNamespace), updateValidator(validation.ValidateNamespaceUpdate)},
		"Node":          {validator(validation.ValidateNode), updateValidator(validation.ValidateNodeUpdate)},
		"Pod":           {validator(validation.ValidatePod), updateValidator(validation.ValidatePodUpdate)},
		"Service":       {validator(validation.ValidateService), updateValidator(validation.ValidateServiceUpdate)},
		"Endpoints":     {validator(validation.ValidateEndpoints), updateValidator(validation.ValidateEndpointsUpdate)},
		"Secret":        {validator(validation.ValidateSecret), updateValidator(validation.ValidateSecretUpdate)},
		"ConfigMap":     {validator(validation.ValidateConfigMap), updateValidator(validation.ValidateConfigMapUpdate)},
		"Event":         {validator(validation.ValidateEvent), updateValidator(validation.ValidateEventUpdate)},
		"Deployment":    {validator(validation.ValidateDeployment), updateValidator(validation.ValidateDeploymentUpdate)},
		"ReplicaSet":    {validator(validation.ValidateReplicaSet), updateValidator(validation.ValidateReplicaSetUpdate)},
		"StatefulSet":   {validator(validation.ValidateStatefulSet), updateValidator(validation.ValidateStatefulSetUpdate)},
		"Job":           {validator(validation.ValidateJob), updateValidator(validation.ValidateJobUpdate)},
		"CronJob":       {validator(validation.ValidateCronJob), updateValidator(validation.ValidateCronJobUpdate)},
		"Ingress":       {validator(validation.ValidateIngress), updateValidator(validation.ValidateIngressUpdate)},
		"IngressClass":  {validator(validation.ValidateIngressClass), updateValidator(validation.ValidateIngressClassUpdate)},
		"EndpointSlice": {validator(validation.ValidateEndpointSlice), updateValidator(validation.ValidateEndpointSliceUpdate)},
		"Lease":         {validator(validation.ValidateLease), updateValidator(validation.ValidateLeaseUpdate)},
	}
	for _, r := range rows {
		if v, ok := byKind[r.Kind]; ok && r.Validate == nil {
			r.Validate, r.ValidateUpdate = v.create, v.update
		}
	}
}

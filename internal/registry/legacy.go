package registry

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/portal-dev/portal/internal/api/legacy"
)

// LegacyResources returns a row for each legacy resource (extensions/v1beta1
// ingresses, apps/v1beta1 deployments, …). Each is its hub row served under
// the legacy group version: the same Go type, rules and storage, so an
// object written through one version is read through every other.
func LegacyResources(hub []*Resource) ([]*Resource, error) {
	byKey := map[string]*Resource{}
	for _, r := range hub {
		byKey[r.GroupVersion.String()+"/"+r.Name] = r
	}
	var out []*Resource
	for _, a := range legacy.Aliases() {
		h, ok := byKey[a.Hub.String()+"/"+a.Resource]
		if !ok {
			return nil, fmt.Errorf("legacy %s/%s: no hub resource in %s", a.GroupVersion, a.Resource, a.Hub)
		}
		alias := *h
		alias.GroupVersion = a.GroupVersion
		alias.StorageVersion = a.Hub
		// Printers and discovery details follow the hub; the hub row's
		// Decorate hooks (allocation and the like) are the hub's alone.
		alias.Decorate = nil
		out = append(out, &alias)
	}
	return out, nil
}

// Storage returns the group version r's objects are stored in.
func (r *Resource) Storage() schema.GroupVersion {
	if !r.StorageVersion.Empty() {
		return r.StorageVersion
	}
	return r.GroupVersion
}

package storage

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/generic"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"
)

// Config says where and how resources are stored.
type Config struct {
	// Endpoints are etcd client URLs.
	Endpoints []string
	// CAFile, CertFile and KeyFile secure the connection to an external
	// cluster (all optional).
	CAFile, CertFile, KeyFile string
	// Prefix is the etcd key prefix of every resource (default "/registry").
	Prefix string
	// MediaType is the encoding in etcd (default protobuf, as kube-apiserver).
	MediaType string
	// WatchCache serves list and watch from memory, as kube-apiserver does.
	// client-go's watch-list (sendInitialEvents) needs it.
	WatchCache bool
}

// Prefixes maps a resource to its key directory below the prefix where it is
// not the resource's plural name, to keep kube-apiserver's familiar layout
// (so `etcdctl get --prefix /registry/services/specs` works as people expect).
func prefixFor(gr schema.GroupResource) string {
	switch gr.Resource {
	case "services":
		if gr.Group == "" {
			return "services/specs"
		}
	case "endpoints":
		if gr.Group == "" {
			return "services/endpoints"
		}
	case "nodes":
		if gr.Group == "" {
			return "minions"
		}
	case "ingresses":
		// Every group that serves Ingress shares one key space.
		return "ingress"
	case "deployments", "replicasets", "statefulsets", "cronjobs":
		// Shared by the legacy groups that serve the same objects.
		return gr.Resource
	}
	return gr.Resource
}

// RESTOptions implements generic.RESTOptionsGetter: every resource is encoded
// in its hub version (the Go type's served version) and read back into the
// same Go type, which is also its internal version.
type RESTOptions struct {
	Config     Config
	Serializer runtime.StorageSerializer
	// StorageVersion returns the group version a resource is stored in.
	StorageVersion func(schema.GroupResource) (schema.GroupVersion, error)
}

var _ generic.RESTOptionsGetter = (*RESTOptions)(nil)

// GetRESTOptions returns the storage options for one resource.
func (o *RESTOptions) GetRESTOptions(gr schema.GroupResource, example runtime.Object) (generic.RESTOptions, error) {
	gv, err := o.StorageVersion(gr)
	if err != nil {
		return generic.RESTOptions{}, err
	}
	mediaType := o.Config.MediaType
	if mediaType == "" {
		mediaType = runtime.ContentTypeProtobuf
	}
	prefix := o.Config.Prefix
	if prefix == "" {
		prefix = "/registry"
	}
	backend := storagebackend.NewDefaultConfig(prefix, nil)
	backend.Transport.ServerList = o.Config.Endpoints
	backend.Transport.TrustedCAFile = o.Config.CAFile
	backend.Transport.CertFile = o.Config.CertFile
	backend.Transport.KeyFile = o.Config.KeyFile
	codec, versioner, err := serverstorage.NewStorageCodec(serverstorage.StorageCodecConfig{
		StorageMediaType:  mediaType,
		StorageSerializer: o.Serializer,
		StorageVersion:    gv,
		MemoryVersion:     schema.GroupVersion{Group: gv.Group, Version: runtime.APIVersionInternal},
		Config:            *backend,
	})
	if err != nil {
		return generic.RESTOptions{}, fmt.Errorf("storage codec for %s: %w", gr, err)
	}
	backend.Codec = codec
	backend.EncodeVersioner = versioner
	opts := generic.RESTOptions{
		StorageConfig:           backend.ForResource(gr),
		Decorator:               generic.UndecoratedStorage,
		EnableGarbageCollection: true,
		DeleteCollectionWorkers: 1,
		ResourcePrefix:          "/" + strings.TrimPrefix(prefixFor(gr), "/"),
	}
	if o.Config.WatchCache {
		opts.Decorator = cachedWithHistory()
	}
	return opts, nil
}

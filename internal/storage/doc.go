// Package storage owns portal's connection to etcd: it starts an embedded
// etcd member in a data directory (the default) or points at an external
// cluster, and hands k8s.io/apiserver a RESTOptionsGetter that stores every
// resource under /registry in its served version.
//
// resourceVersion is etcd's mod revision (k8s.io/apiserver's etcd3 store), so
// a watch resumes from any revision etcd still holds and a compacted one
// answers 410 Gone. The package must not know about individual resources
// beyond their key prefix.
package storage

package storage

import (
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// DefaultPrefix is the etcd key prefix of everything the API server stores.
const DefaultPrefix = "/registry"

// KeyPrefix is c.Prefix, or DefaultPrefix, without a trailing slash.
func (c Config) KeyPrefix() string {
	if c.Prefix == "" {
		return DefaultPrefix
	}
	return strings.TrimSuffix(c.Prefix, "/")
}

// NewClient returns a plain etcd v3 client for c's endpoints and TLS files,
// for the few things the API server keeps in etcd outside k8s.io/apiserver's
// storage (Service allocations). The caller closes it.
func (c Config) NewClient() (*clientv3.Client, error) {
	cfg := clientv3.Config{Endpoints: c.Endpoints, DialTimeout: 20 * time.Second}
	tlsInfo := transport.TLSInfo{CertFile: c.CertFile, KeyFile: c.KeyFile, TrustedCAFile: c.CAFile}
	if !tlsInfo.Empty() || c.CAFile != "" {
		tc, err := tlsInfo.ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("etcd client TLS: %w", err)
		}
		cfg.TLS = tc
	}
	cl, err := clientv3.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("etcd client: %w", err)
	}
	return cl, nil
}

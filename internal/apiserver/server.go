package apiserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	apimachineryversion "k8s.io/apimachinery/pkg/version"
	"k8s.io/apiserver/pkg/admission"
	apiserverapi "k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/request/anonymous"
	"k8s.io/apiserver/pkg/authentication/request/bearertoken"
	"k8s.io/apiserver/pkg/authentication/request/union"
	"k8s.io/apiserver/pkg/authentication/request/x509"
	"k8s.io/apiserver/pkg/authentication/token/tokenfile"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	basecompatibility "k8s.io/component-base/compatibility"

	"github.com/portal-dev/portal/internal/api/defaults"
	"github.com/portal-dev/portal/internal/api/scheme"
	"github.com/portal-dev/portal/internal/apiserver/openapi"
	"github.com/portal-dev/portal/internal/apiserver/printers"
	"github.com/portal-dev/portal/internal/ipam"
	"github.com/portal-dev/portal/internal/registry"
	"github.com/portal-dev/portal/internal/storage"
	"github.com/portal-dev/portal/internal/version"
)

// Options configure the API server. The zero value plus a DataDir serves on
// a free loopback port with embedded etcd.
type Options struct {
	// DataDir holds embedded etcd's data and the certificates.
	DataDir string
	// BindAddress is the address to serve on (default 127.0.0.1). Off
	// loopback, anonymous requests are refused.
	BindAddress string
	// Port is the secure port; 0 picks a free one (the CLI's default is 6443).
	Port int
	// EtcdServers points at an external etcd cluster; empty means embedded.
	EtcdServers []string
	// EtcdCAFile, EtcdCertFile and EtcdKeyFile secure external etcd.
	EtcdCAFile, EtcdCertFile, EtcdKeyFile string
	// TokenFile is a kube-style static token CSV (token,user,uid,"groups").
	TokenFile string
	// ExtraSANs are added to the serving certificate.
	ExtraSANs []string
	// ServiceCIDR is the range ClusterIPs are allocated from (default
	// DefaultServiceCIDR, a loopback range); its first address is the
	// kubernetes Service's.
	ServiceCIDR string
	// NodePortRange is the range NodePorts are allocated from, first-last
	// (default 30000-32767).
	NodePortRange string
	// Log receives the server's logs (default slog.Default()).
	Log *slog.Logger
}

// Server is a configured, not yet running, API server.
type Server struct {
	opts Options
	pki  PKI
	log  *slog.Logger
}

// New checks the options; it starts nothing.
func New(opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("apiserver: no data directory")
	}
	if opts.BindAddress == "" {
		opts.BindAddress = "127.0.0.1"
	}
	if net.ParseIP(opts.BindAddress) == nil {
		return nil, fmt.Errorf("apiserver: bind address %q is not an IP", opts.BindAddress)
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.ServiceCIDR == "" {
		opts.ServiceCIDR = DefaultServiceCIDR
	}
	if opts.NodePortRange == "" {
		opts.NodePortRange = ipam.DefaultNodePortRange
	}
	if _, _, err := parseServiceRanges(opts); err != nil {
		return nil, err
	}
	return &Server{opts: opts, pki: PKI{Dir: filepath.Join(opts.DataDir, "pki")}, log: opts.Log}, nil
}

// PKI returns the certificate files the server uses.
func (s *Server) PKI() PKI { return s.pki }

// Ready is reported once the server serves requests.
type Ready struct {
	// URL is the server's https address.
	URL string
}

// Run starts storage and serves until ctx ends. ready, when not nil,
// receives the serving address once the server answers requests.
func (s *Server) Run(ctx context.Context, ready func(Ready)) error {
	loopback := net.ParseIP(s.opts.BindAddress).IsLoopback()
	hosts := append([]string{"127.0.0.1", "localhost", "::1", "kubernetes", "kubernetes.default", "kubernetes.default.svc"}, s.opts.ExtraSANs...)
	if !net.ParseIP(s.opts.BindAddress).IsUnspecified() {
		hosts = append(hosts, s.opts.BindAddress)
	}
	if err := s.pki.Ensure(hosts); err != nil {
		return err
	}

	endpoints := s.opts.EtcdServers
	if len(endpoints) == 0 {
		etcd := &storage.Embedded{Dir: filepath.Join(s.opts.DataDir, "etcd"), Log: s.log}
		if err := etcd.Start(ctx); err != nil {
			return err
		}
		defer etcd.Close()
		endpoints = etcd.Endpoints()
	}

	sch, err := scheme.New()
	if err != nil {
		return err
	}
	if err := defaults.Register(sch); err != nil {
		return err
	}
	codecs := scheme.Codecs(sch)
	cfg := genericapiserver.NewConfig(codecs)
	cfg.EffectiveVersion = effectiveVersion()
	namer := openapinamer.NewDefinitionNamer(sch)
	cfg.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(openapi.GetOpenAPIDefinitions, namer)
	cfg.OpenAPIConfig.Info.Title = "Kubernetes"
	cfg.OpenAPIConfig.Info.Version = "v" + version.KubernetesMajor + "." + version.KubernetesMinor + ".0"
	cfg.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(openapi.GetOpenAPIDefinitions, namer)
	cfg.OpenAPIV3Config.Info.Title = "Kubernetes"
	cfg.OpenAPIV3Config.Info.Version = cfg.OpenAPIConfig.Info.Version

	port := s.opts.Port
	secure := genericoptions.NewSecureServingOptions().WithLoopback()
	secure.BindAddress = net.ParseIP(s.opts.BindAddress)
	secure.BindPort = port
	if port == 0 {
		// The generic server reads port 0 as "no secure serving"; portal
		// reads it as "any free port", so it opens the listener itself.
		l, err := net.Listen("tcp", net.JoinHostPort(s.opts.BindAddress, "0"))
		if err != nil {
			return fmt.Errorf("secure serving: %w", err)
		}
		secure.Listener = l
		secure.BindPort = l.Addr().(*net.TCPAddr).Port
	}
	secure.ServerCert.CertKey.CertFile = s.pki.ServingCert()
	secure.ServerCert.CertKey.KeyFile = s.pki.ServingKey()
	if err := secure.ApplyTo(&cfg.SecureServing, &cfg.LoopbackClientConfig); err != nil {
		return fmt.Errorf("secure serving: %w", err)
	}

	clientCA, err := dynamiccertificates.NewDynamicCAContentFromFile("client-ca", s.pki.CACert())
	if err != nil {
		return fmt.Errorf("client ca: %w", err)
	}
	if err := cfg.Authentication.ApplyClientCert(clientCA, cfg.SecureServing); err != nil {
		return fmt.Errorf("client ca: %w", err)
	}
	authns := []authenticator.Request{x509.NewDynamic(clientCA.VerifyOptions, x509.CommonNameUserConversion)}
	if s.opts.TokenFile != "" {
		tokens, err := tokenfile.NewCSV(s.opts.TokenFile)
		if err != nil {
			return fmt.Errorf("token file: %w", err)
		}
		authns = append(authns, bearertoken.New(tokens))
	}
	if loopback {
		// Open on loopback, as the embedded default promises: a request
		// without credentials is system:anonymous, and allowed.
		authns = append(authns, anonymous.NewAuthenticator([]apiserverapi.AnonymousAuthCondition{}))
	}
	cfg.Authentication.Authenticator = union.New(authns...)
	cfg.Authorization.Authorizer = authorizerfactory.NewAlwaysAllowAuthorizer()

	resources := registry.Resources()
	legacyRows, err := registry.LegacyResources(resources)
	if err != nil {
		return err
	}
	resources = append(resources, legacyRows...)
	storageVersions := map[schema.GroupResource]schema.GroupVersion{}
	for _, r := range resources {
		storageVersions[r.GroupResource()] = r.Storage()
	}
	getter := &storage.RESTOptions{
		Config: storage.Config{
			Endpoints:  endpoints,
			CAFile:     s.opts.EtcdCAFile,
			CertFile:   s.opts.EtcdCertFile,
			KeyFile:    s.opts.EtcdKeyFile,
			WatchCache: true,
		},
		Serializer: codecs,
		StorageVersion: func(gr schema.GroupResource) (schema.GroupVersion, error) {
			gv, ok := storageVersions[gr]
			if !ok {
				return schema.GroupVersion{}, fmt.Errorf("no storage version for %s", gr)
			}
			return gv, nil
		},
	}
	cfg.RESTOptionsGetter = getter

	services, err := startServiceNetwork(ctx, getter.Config, s.opts, s.log)
	if err != nil {
		return err
	}
	defer services.close()
	groups, namespaces, err := buildGroups(resources, sch, codecs, getter, services.alloc)
	if err != nil {
		return err
	}
	cfg.AdmissionControl = admission.NewChainHandler(&namespaceLifecycle{namespaces: namespaces})
	cfg.AddPostStartHookOrDie("portal-bootstrap", func(hc genericapiserver.PostStartHookContext) error {
		return bootstrap(hc, s.log)
	})
	cfg.AddPostStartHookOrDie("portal-service-network", services.postStartHook(
		advertiseAddress(s.opts.BindAddress), cfg.SecureServing.Listener.Addr().(*net.TCPAddr).Port))

	url := "https://" + cfg.SecureServing.Listener.Addr().String()
	if ready != nil {
		// Ready once the API answers: after the system namespaces exist.
		cfg.AddPostStartHookOrDie("portal-ready", func(hc genericapiserver.PostStartHookContext) error {
			if err := waitHealthy(hc, hc.LoopbackClientConfig); err != nil {
				return err
			}
			ready(Ready{URL: url})
			return nil
		})
	}
	completed := cfg.Complete(nil)
	server, err := completed.New("portal-apiserver", genericapiserver.NewEmptyDelegate())
	if err != nil {
		return fmt.Errorf("apiserver: %w", err)
	}
	if err := server.InstallLegacyAPIGroup(genericapiserver.DefaultLegacyAPIPrefix, groups.core); err != nil {
		return fmt.Errorf("install core API: %w", err)
	}
	if err := server.InstallAPIGroups(groups.named...); err != nil {
		return fmt.Errorf("install API groups: %w", err)
	}
	setDiscoveryPriorities(server, groups.named)
	s.log.Info("apiserver serving", "url", url)
	return server.PrepareRun().RunWithContext(ctx)
}

// effectiveVersion reports the Kubernetes version portal's API matches.
func effectiveVersion() basecompatibility.EffectiveVersion {
	v := basecompatibility.NewEffectiveVersionFromString(
		version.KubernetesMajor+"."+version.KubernetesMinor+".0", "", "")
	return reportedVersion{MutableEffectiveVersion: v}
}

type reportedVersion struct {
	basecompatibility.MutableEffectiveVersion
}

func (r reportedVersion) Info() *apimachineryversion.Info {
	info := r.MutableEffectiveVersion.Info()
	info.GitVersion = "v" + version.KubernetesMajor + "." + version.KubernetesMinor + ".0"
	info.Platform = "linux/amd64"
	return info
}

type apiGroups struct {
	core  *genericapiserver.APIGroupInfo
	named []*genericapiserver.APIGroupInfo
}

// buildGroups builds the storage of every resource and groups it for
// installation, in discovery order, with Service allocation wired into the
// services row. It also returns the namespaces getter that admission needs.
func buildGroups(resources []*registry.Resource, sch *runtime.Scheme, codecs serializer.CodecFactory, getter *storage.RESTOptions, services *registry.ServiceAllocation) (apiGroups, rest.Getter, error) {
	var out apiGroups
	byGroup := map[string]*genericapiserver.APIGroupInfo{}
	var namespaces rest.Getter
	paramCodec := runtime.NewParameterCodec(sch)
	for _, r := range resources {
		if r.TableConvertor == nil {
			// Legacy versions print as the current version they store.
			r.TableConvertor = printers.For(schema.GroupResource{Group: r.Storage().Group, Resource: r.Name})
		}
		services.Wire(r)
		paths, store, err := registry.Build(r, getter, sch)
		if err != nil {
			return out, nil, err
		}
		if r.GroupVersion.Group == "" && r.Name == "namespaces" {
			namespaces = store
		}
		g := r.GroupVersion.Group
		info, ok := byGroup[g]
		if !ok {
			gi := genericapiserver.NewDefaultAPIGroupInfo(g, sch, paramCodec, codecs)
			gi.PrioritizedVersions = nil
			info = &gi
			byGroup[g] = info
			if g == "" {
				out.core = info
			} else {
				out.named = append(out.named, info)
			}
		}
		if !containsGV(info.PrioritizedVersions, r.GroupVersion) {
			info.PrioritizedVersions = append(info.PrioritizedVersions, r.GroupVersion)
		}
		if info.VersionedResourcesStorageMap[r.GroupVersion.Version] == nil {
			info.VersionedResourcesStorageMap[r.GroupVersion.Version] = map[string]rest.Storage{}
		}
		for path, st := range paths {
			info.VersionedResourcesStorageMap[r.GroupVersion.Version][path] = st
		}
	}
	if out.core == nil || namespaces == nil {
		return out, nil, errors.New("apiserver: core group not built")
	}
	return out, namespaces, nil
}

// setDiscoveryPriorities orders aggregated discovery as the groups were
// installed, current versions first, so clients such as kubectl resolve
// "ingress" to networking.k8s.io/v1 and not to the legacy
// extensions/v1beta1 that serves the same objects.
func setDiscoveryPriorities(server *genericapiserver.GenericAPIServer, groups []*genericapiserver.APIGroupInfo) {
	if server.AggregatedDiscoveryGroupManager == nil {
		return
	}
	for i, g := range groups {
		groupPriority := 20000 - 100*i
		for j, gv := range g.PrioritizedVersions {
			server.AggregatedDiscoveryGroupManager.SetGroupVersionPriority(
				metav1.GroupVersion{Group: gv.Group, Version: gv.Version}, groupPriority, 15-j)
		}
	}
}

func containsGV(list []schema.GroupVersion, gv schema.GroupVersion) bool {
	for _, x := range list {
		if x == gv {
			return true
		}
	}
	return false
}

// Addr formats host and port as a URL host.
func Addr(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

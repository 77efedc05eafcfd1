package registry

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericrest "k8s.io/apiserver/pkg/registry/generic/rest"
	"k8s.io/apiserver/pkg/registry/rest"
)

// DefaultKubeletPort is the log port assumed for a node that publishes none
// in status.daemonEndpoints.kubeletEndpoint.port, as kube-apiserver assumes.
const DefaultKubeletPort = 10250

// LogREST serves pods/log: it finds the pod's node and streams the
// container log from that node's agent (or kubelet) at
// https://<InternalIP>:<daemonEndpoints port>/containerLogs/<ns>/<pod>/<container>.
//
// The node's serving certificate is not verified, which is what
// kube-apiserver does when started without --kubelet-certificate-authority;
// portal's agents serve a self-signed certificate. No client certificate is
// presented either: the agent's log server does not authenticate (see
// docs/agent.md).
type LogREST struct {
	pods  rest.Getter
	nodes func() rest.Getter
	// transport reaches the node agents; shared by every request.
	transport http.RoundTripper
}

var (
	_ rest.GetterWithOptions = (*LogREST)(nil)
	_ rest.StorageMetadata   = (*LogREST)(nil)
)

func newLogREST(pods rest.Getter, nodes func() rest.Getter) *LogREST {
	return &LogREST{
		pods:  pods,
		nodes: nodes,
		transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // as kube-apiserver without --kubelet-certificate-authority
			TLSHandshakeTimeout: 10 * time.Second,
			MaxIdleConnsPerHost: 10,
		},
	}
}

// New returns an empty Pod: discovery lists pods/log with kind Pod, as kube.
func (r *LogREST) New() runtime.Object { return &corev1.Pod{} }

// Destroy is a no-op: the pods store owns the storage.
func (r *LogREST) Destroy() {}

// ProducesMIMETypes says logs are text/plain.
func (r *LogREST) ProducesMIMETypes(string) []string { return []string{"text/plain"} }

// ProducesObject says the response is a plain string, not an object.
func (r *LogREST) ProducesObject(string) interface{} { return "" }

// NewGetOptions returns the PodLogOptions the query string decodes into.
func (r *LogREST) NewGetOptions() (runtime.Object, bool, string) {
	return &corev1.PodLogOptions{}, false, ""
}

// Get returns a stream of the container's log. A pod not yet bound to a
// node has an empty log, as in kube.
func (r *LogREST) Get(ctx context.Context, name string, opts runtime.Object) (runtime.Object, error) {
	logOpts, ok := opts.(*corev1.PodLogOptions)
	if !ok {
		return nil, fmt.Errorf("invalid options object: %#v", opts)
	}
	if errs := validatePodLogOptions(logOpts); len(errs) > 0 {
		return nil, apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("PodLogOptions").GroupKind(), name, errs)
	}
	obj, err := r.pods.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	pod := obj.(*corev1.Pod)
	container, err := logContainer(logOpts.Container, pod)
	if err != nil {
		return nil, err
	}
	streamer := &genericrest.LocationStreamer{
		Transport:       r.transport,
		ContentType:     "text/plain",
		Flush:           logOpts.Follow,
		ResponseChecker: genericrest.NewGenericHttpResponseChecker(corev1.Resource("pods/log"), name),
		RedirectChecker: genericrest.PreventRedirects,
	}
	if pod.Spec.NodeName == "" {
		return streamer, nil
	}
	host, err := r.nodeAddress(ctx, pod.Spec.NodeName)
	if err != nil {
		return nil, err
	}
	streamer.Location = &url.URL{
		Scheme:   "https",
		Host:     host,
		Path:     fmt.Sprintf("/containerLogs/%s/%s/%s", pod.Namespace, pod.Name, container),
		RawQuery: logQuery(logOpts).Encode(),
	}
	return streamer, nil
}

// nodeAddress returns host:port of the node's log server: its InternalIP
// (else its first address) and the daemonEndpoints port.
func (r *LogREST) nodeAddress(ctx context.Context, nodeName string) (string, error) {
	nodes := r.nodes()
	if nodes == nil {
		return "", apierrors.NewServiceUnavailable("nodes are not served")
	}
	obj, err := nodes.Get(ctx, nodeName, &metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	node := obj.(*corev1.Node)
	host := ""
	for _, a := range node.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			host = a.Address
			break
		}
	}
	if host == "" && len(node.Status.Addresses) > 0 {
		host = node.Status.Addresses[0].Address
	}
	if host == "" {
		return "", apierrors.NewBadRequest(fmt.Sprintf("node %s has no address", nodeName))
	}
	port := int(node.Status.DaemonEndpoints.KubeletEndpoint.Port)
	if port <= 0 {
		port = DefaultKubeletPort
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// logContainer defaults and checks the container name with kube-apiserver's
// rules and messages.
func logContainer(name string, pod *corev1.Pod) (string, error) {
	if name == "" {
		switch len(pod.Spec.Containers) {
		case 1:
			return pod.Spec.Containers[0].Name, nil
		case 0:
			return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s", pod.Name))
		default:
			var names []string
			for _, c := range pod.Spec.InitContainers {
				names = append(names, c.Name)
			}
			for _, c := range pod.Spec.Containers {
				names = append(names, c.Name)
			}
			for _, c := range pod.Spec.EphemeralContainers {
				names = append(names, c.Name)
			}
			return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s, choose one of: %s", pod.Name, names))
		}
	}
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range list {
			if c.Name == name {
				return name, nil
			}
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		if c.Name == name {
			return name, nil
		}
	}
	return "", apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", name, pod.Name))
}

// validatePodLogOptions is kube's ValidatePodLogOptions.
func validatePodLogOptions(o *corev1.PodLogOptions) field.ErrorList {
	var errs field.ErrorList
	if o.TailLines != nil && *o.TailLines < 0 {
		errs = append(errs, field.Invalid(field.NewPath("tailLines"), *o.TailLines, "must be greater than or equal to 0"))
	}
	if o.LimitBytes != nil && *o.LimitBytes < 1 {
		errs = append(errs, field.Invalid(field.NewPath("limitBytes"), *o.LimitBytes, "must be greater than 0"))
	}
	switch {
	case o.SinceSeconds != nil && o.SinceTime != nil:
		errs = append(errs, field.Forbidden(field.NewPath(""), "at most one of `sinceTime` or `sinceSeconds` may be specified"))
	case o.SinceSeconds != nil && *o.SinceSeconds < 1:
		errs = append(errs, field.Invalid(field.NewPath("sinceSeconds"), *o.SinceSeconds, "must be greater than 0"))
	}
	if o.Stream != nil {
		switch *o.Stream {
		case corev1.LogStreamStdout, corev1.LogStreamStderr, corev1.LogStreamAll:
		default:
			errs = append(errs, field.NotSupported(field.NewPath("stream"), *o.Stream,
				[]string{corev1.LogStreamStdout, corev1.LogStreamStderr, corev1.LogStreamAll}))
		}
		if *o.Stream != corev1.LogStreamAll && o.TailLines != nil {
			errs = append(errs, field.Forbidden(field.NewPath(""), "`tailLines` and specific `stream` are mutually exclusive for now"))
		}
	}
	return errs
}

// logQuery is the node's query string for o, as kube-apiserver builds it.
func logQuery(o *corev1.PodLogOptions) url.Values {
	q := url.Values{}
	if o.Follow {
		q.Set("follow", "true")
	}
	if o.Previous {
		q.Set("previous", "true")
	}
	if o.Timestamps {
		q.Set("timestamps", "true")
	}
	if o.SinceSeconds != nil {
		q.Set("sinceSeconds", strconv.FormatInt(*o.SinceSeconds, 10))
	}
	if o.SinceTime != nil {
		q.Set("sinceTime", o.SinceTime.Format(time.RFC3339))
	}
	if o.TailLines != nil {
		q.Set("tailLines", strconv.FormatInt(*o.TailLines, 10))
	}
	if o.LimitBytes != nil {
		q.Set("limitBytes", strconv.FormatInt(*o.LimitBytes, 10))
	}
	if o.Stream != nil {
		q.Set("stream", *o.Stream)
	}
	return q
}

package runner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
)

// defaultPath is the PATH a process gets when its spec declares none (the
// container runtimes' default).
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// envVar is one variable of a container's environment.
type envVar struct{ name, value string }

// envList is an environment in declaration order; a later set of the same
// name replaces the value in place.
type envList struct {
	vars  []envVar
	index map[string]int
}

func (l *envList) set(name, value string) {
	if l.index == nil {
		l.index = map[string]int{}
	}
	if i, ok := l.index[name]; ok {
		l.vars[i].value = value
		return
	}
	l.index[name] = len(l.vars)
	l.vars = append(l.vars, envVar{name, value})
}

func (l *envList) get(name string) (string, bool) {
	i, ok := l.index[name]
	if !ok {
		return "", false
	}
	return l.vars[i].value, true
}

// asMap returns the environment as a map (for $(VAR) lookups).
func (l *envList) asMap() map[string]string {
	m := make(map[string]string, len(l.vars))
	for _, v := range l.vars {
		m[v.name] = v.value
	}
	return m
}

// environ renders the environment as exec wants it, NAME=value.
func (l *envList) environ() []string {
	out := make([]string, 0, len(l.vars))
	for _, v := range l.vars {
		out = append(out, v.name+"="+v.value)
	}
	return out
}

// configError is a failure to build a container's configuration; the
// container is left Waiting with reason CreateContainerConfigError and the
// error's text as message, as the kubelet does.
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

// sources caches the ConfigMaps and Secrets read while building one
// container's environment, so a name referenced twice is read once.
type sources struct {
	src        EnvSource
	namespace  string
	configMaps map[string]*corev1.ConfigMap
	secrets    map[string]*corev1.Secret
}

// configMap returns the named ConfigMap. A missing one yields kube's
// `configmap "name" not found`, whatever the EnvSource's wording.
func (s *sources) configMap(ctx context.Context, name string) (*corev1.ConfigMap, error) {
	if cm, ok := s.configMaps[name]; ok {
		return cm, nil
	}
	if s.src == nil {
		return nil, fmt.Errorf("couldn't get configMap %v/%v, no EnvSource configured", s.namespace, name)
	}
	cm, err := s.src.ConfigMap(ctx, s.namespace, name)
	if err == nil && cm == nil {
		err = apierrors.NewNotFound(schema.GroupResource{Resource: "configmap"}, name)
	}
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmap"}, name)
		}
		return nil, err
	}
	if s.configMaps == nil {
		s.configMaps = map[string]*corev1.ConfigMap{}
	}
	s.configMaps[name] = cm
	return cm, nil
}

// secret returns the named Secret; a missing one yields `secret "name" not
// found`.
func (s *sources) secret(ctx context.Context, name string) (*corev1.Secret, error) {
	if sec, ok := s.secrets[name]; ok {
		return sec, nil
	}
	if s.src == nil {
		return nil, fmt.Errorf("couldn't get secret %v/%v, no EnvSource configured", s.namespace, name)
	}
	sec, err := s.src.Secret(ctx, s.namespace, name)
	if err == nil && sec == nil {
		err = apierrors.NewNotFound(schema.GroupResource{Resource: "secret"}, name)
	}
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secret"}, name)
		}
		return nil, err
	}
	if s.secrets == nil {
		s.secrets = map[string]*corev1.Secret{}
	}
	s.secrets[name] = sec
	return sec, nil
}

// buildEnv computes a container's environment as the kubelet's
// makeEnvironmentVariables does: envFrom first (in order, each with its
// prefix), then env, which overrides it. A value is $(VAR)-expanded against
// the variables declared before it and the service variables; valueFrom is
// resolved from the downward API, the container's resources, or a
// ConfigMap/Secret key (a missing optional one leaves the variable unset).
// Service variables not declared by the spec come last.
//
// Keys from envFrom that can never be environment variable names (empty,
// containing '=' or non-printable ASCII) are skipped and reported through
// skipped, as the kubelet reports them in an event.
func buildEnv(ctx context.Context, src EnvSource, serviceEnv map[string]string, pod *corev1.Pod, c *corev1.Container, sb Sandbox, hostIP string) (env *envList, skipped []string, err error) {
	env = &envList{}
	s := &sources{src: src, namespace: pod.Namespace}

	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			ref := from.ConfigMapRef
			cm, err := s.configMap(ctx, ref.Name)
			if err != nil {
				if apierrors.IsNotFound(err) && ref.Optional != nil && *ref.Optional {
					continue
				}
				return nil, nil, &configError{err}
			}
			var invalid []string
			for _, k := range sortedKeys(cm.Data) {
				name := from.Prefix + k
				if len(validation.IsRelaxedEnvVarName(name)) != 0 {
					invalid = append(invalid, name)
					continue
				}
				env.set(name, cm.Data[k])
			}
			if len(invalid) > 0 {
				skipped = append(skipped, fmt.Sprintf("Keys [%s] from the EnvFrom configMap %s/%s were skipped since they are considered invalid environment variable names.", strings.Join(invalid, ", "), pod.Namespace, ref.Name))
			}
		case from.SecretRef != nil:
			ref := from.SecretRef
			sec, err := s.secret(ctx, ref.Name)
			if err != nil {
				if apierrors.IsNotFound(err) && ref.Optional != nil && *ref.Optional {
					continue
				}
				return nil, nil, &configError{err}
			}
			var invalid []string
			for _, k := range sortedKeys(sec.Data) {
				name := from.Prefix + k
				if len(validation.IsRelaxedEnvVarName(name)) != 0 {
					invalid = append(invalid, name)
					continue
				}
				env.set(name, string(sec.Data[k]))
			}
			if len(invalid) > 0 {
				skipped = append(skipped, fmt.Sprintf("Keys [%s] from the EnvFrom secret %s/%s were skipped since they are considered invalid environment variable names.", strings.Join(invalid, ", "), pod.Namespace, ref.Name))
			}
		}
	}

	// lookup sees the variables declared so far, then the service ones.
	lookup := func(name string) (string, bool) {
		if v, ok := env.get(name); ok {
			return v, true
		}
		v, ok := serviceEnv[name]
		return v, ok
	}
	for _, ev := range c.Env {
		val := ev.Value
		switch {
		case val != "":
			val = expand(val, lookup)
		case ev.ValueFrom == nil:
		case ev.ValueFrom.FieldRef != nil:
			v, err := fieldRefValue(ev.ValueFrom.FieldRef, pod, sb, hostIP)
			if err != nil {
				return nil, nil, &configError{err}
			}
			val = v
		case ev.ValueFrom.ResourceFieldRef != nil:
			v, err := resourceFieldValue(ev.ValueFrom.ResourceFieldRef, pod, c)
			if err != nil {
				return nil, nil, &configError{err}
			}
			val = v
		case ev.ValueFrom.ConfigMapKeyRef != nil:
			ref := ev.ValueFrom.ConfigMapKeyRef
			optional := ref.Optional != nil && *ref.Optional
			cm, err := s.configMap(ctx, ref.Name)
			if err != nil {
				if apierrors.IsNotFound(err) && optional {
					continue
				}
				return nil, nil, &configError{err}
			}
			v, ok := cm.Data[ref.Key]
			if !ok {
				if optional {
					continue
				}
				return nil, nil, &configError{fmt.Errorf("couldn't find key %v in ConfigMap %v/%v", ref.Key, pod.Namespace, ref.Name)}
			}
			val = v
		case ev.ValueFrom.SecretKeyRef != nil:
			ref := ev.ValueFrom.SecretKeyRef
			optional := ref.Optional != nil && *ref.Optional
			sec, err := s.secret(ctx, ref.Name)
			if err != nil {
				if apierrors.IsNotFound(err) && optional {
					continue
				}
				return nil, nil, &configError{err}
			}
			v, ok := sec.Data[ref.Key]
			if !ok {
				if optional {
					continue
				}
				return nil, nil, &configError{fmt.Errorf("couldn't find key %v in Secret %v/%v", ref.Key, pod.Namespace, ref.Name)}
			}
			val = string(v)
		default:
			return nil, nil, &configError{fmt.Errorf("env %q: unsupported valueFrom source", ev.Name)}
		}
		env.set(ev.Name, val)
	}

	for _, k := range sortedKeys(serviceEnv) {
		if _, ok := env.get(k); !ok {
			env.set(k, serviceEnv[k])
		}
	}
	return env, skipped, nil
}

// addRuntimeEnv adds what a container runtime adds to a process's
// environment, after the spec's (so $(VAR) never sees them): PATH and HOME
// when the spec sets none, and, in rootless mode (no network namespace),
// RESOLV_CONF pointing at the pod's resolv.conf and POD_IP, unless the spec
// sets them. Rootless pods share the host's network stack, each on its own
// 127.x address; a process must bind that address, not 0.0.0.0, or two pods
// on one port collide. kube adds no POD_IP; portal must, so that tutorial
// manifests that never declare it still work.
func addRuntimeEnv(env *envList, sb Sandbox) {
	if _, ok := env.get("PATH"); !ok {
		env.set("PATH", defaultPath)
	}
	if _, ok := env.get("HOME"); !ok {
		home, err := os.UserHomeDir()
		if err != nil || home == "" {
			home = "/"
		}
		env.set("HOME", home)
	}
	if sb.NetNS == "" && sb.ResolvConf != "" {
		if _, ok := env.get("RESOLV_CONF"); !ok {
			env.set("RESOLV_CONF", sb.ResolvConf)
		}
	}
	if sb.NetNS == "" && sb.PodIP != "" {
		if _, ok := env.get("POD_IP"); !ok {
			env.set("POD_IP", sb.PodIP)
		}
	}
}

// fieldRefValue resolves a downward API field of the pod.
func fieldRefValue(fs *corev1.ObjectFieldSelector, pod *corev1.Pod, sb Sandbox, hostIP string) (string, error) {
	if fs.APIVersion != "" && fs.APIVersion != "v1" {
		return "", fmt.Errorf("unsupported pod version: %s", fs.APIVersion)
	}
	path := fs.FieldPath
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "metadata.labels":
		return formatMap(pod.Labels), nil
	case "metadata.annotations":
		return formatMap(pod.Annotations), nil
	case "spec.nodeName":
		if pod.Spec.NodeName != "" {
			return pod.Spec.NodeName, nil
		}
		return sb.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP", "status.podIPs":
		return sb.PodIP, nil
	case "status.hostIP", "status.hostIPs":
		return hostIP, nil
	}
	if key, ok := subscript(path, "metadata.labels"); ok {
		return pod.Labels[key], nil
	}
	if key, ok := subscript(path, "metadata.annotations"); ok {
		return pod.Annotations[key], nil
	}
	return "", fmt.Errorf("field label not supported: %s", path)
}

// subscript splits "prefix['key']" into key.
func subscript(path, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix+"['")
	if !ok {
		return "", false
	}
	return strings.CutSuffix(rest, "']")
}

// formatMap renders a map as the downward API does: sorted key="value"
// lines.
func formatMap(m map[string]string) string {
	var b strings.Builder
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%v=%q", k, m[k])
	}
	return b.String()
}

// resourceFieldValue renders a container's resource limit or request as
// the downward API does: divided by the divisor (default 1) and rounded up.
// An unset limit is the node's capacity (CPUs and memory of this machine),
// as the kubelet defaults limits to the node's allocatable.
func resourceFieldValue(fs *corev1.ResourceFieldSelector, pod *corev1.Pod, c *corev1.Container) (string, error) {
	if fs.ContainerName != "" && fs.ContainerName != c.Name {
		var found *corev1.Container
		for i := range pod.Spec.InitContainers {
			if pod.Spec.InitContainers[i].Name == fs.ContainerName {
				found = &pod.Spec.InitContainers[i]
			}
		}
		for i := range pod.Spec.Containers {
			if pod.Spec.Containers[i].Name == fs.ContainerName {
				found = &pod.Spec.Containers[i]
			}
		}
		if found == nil {
			return "", fmt.Errorf("container %s not found", fs.ContainerName)
		}
		c = found
	}
	divisor := fs.Divisor
	if divisor.IsZero() {
		divisor = resource.MustParse("1")
	}
	limit := func(name corev1.ResourceName) resource.Quantity {
		if q, ok := c.Resources.Limits[name]; ok {
			return q
		}
		return nodeCapacity(name)
	}
	request := func(name corev1.ResourceName) resource.Quantity {
		return c.Resources.Requests[name]
	}
	var q resource.Quantity
	var cpu bool
	switch fs.Resource {
	case "limits.cpu":
		q, cpu = limit(corev1.ResourceCPU), true
	case "requests.cpu":
		q, cpu = request(corev1.ResourceCPU), true
	case "limits.memory":
		q = limit(corev1.ResourceMemory)
	case "requests.memory":
		q = request(corev1.ResourceMemory)
	case "limits.ephemeral-storage":
		q = limit(corev1.ResourceEphemeralStorage)
	case "requests.ephemeral-storage":
		q = request(corev1.ResourceEphemeralStorage)
	default:
		if name, ok := strings.CutPrefix(fs.Resource, "limits."); ok && strings.HasPrefix(name, corev1.ResourceHugePagesPrefix) {
			q = c.Resources.Limits[corev1.ResourceName(name)]
		} else if name, ok := strings.CutPrefix(fs.Resource, "requests."); ok && strings.HasPrefix(name, corev1.ResourceHugePagesPrefix) {
			q = c.Resources.Requests[corev1.ResourceName(name)]
		} else {
			return "", fmt.Errorf("unsupported container resource : %v", fs.Resource)
		}
	}
	if cpu {
		if divisor.MilliValue() == 0 {
			return "", errors.New("invalid divisor")
		}
		return strconv.FormatInt(int64(math.Ceil(float64(q.MilliValue())/float64(divisor.MilliValue()))), 10), nil
	}
	if divisor.Value() == 0 {
		return "", errors.New("invalid divisor")
	}
	return strconv.FormatInt(int64(math.Ceil(float64(q.Value())/float64(divisor.Value()))), 10), nil
}

// nodeCapacity is this machine's capacity of a resource, the default of an
// unset limit.
func nodeCapacity(name corev1.ResourceName) resource.Quantity {
	switch name {
	case corev1.ResourceCPU:
		return *resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI)
	case corev1.ResourceMemory:
		return *resource.NewQuantity(memTotal(), resource.BinarySI)
	}
	return resource.Quantity{}
}

// memTotal reads MemTotal from /proc/meminfo (0 if unknown).
func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

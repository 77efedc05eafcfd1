package runner

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// parseEnv parses `env -0` output.
func parseEnv(out string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(out, "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

func TestEnv(t *testing.T) {
	t.Parallel()
	src := &fakeSource{}
	src.setConfigMap("default", "cm", map[string]string{"color": "blue", "size": "L", "bad=key": "x", "": "y"})
	src.setSecret("default", "sec", map[string]string{"password": "s3cret", "TOKEN": "tok"})
	h := start(t, func(c *Config) {
		c.Env = src
		c.ServiceEnv = func(_ context.Context, ns string, links bool) (map[string]string, error) {
			if !links {
				return map[string]string{"KUBERNETES_SERVICE_HOST": "10.0.0.1"}, nil
			}
			return map[string]string{"KUBERNETES_SERVICE_HOST": "10.0.0.1", "WEB_SERVICE_PORT": "80"}, nil
		}
	})
	optional := true
	field := func(path string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}
	}
	c := corev1.Container{
		Name:    "c",
		Image:   "x",
		Command: []string{"/bin/sh", "-c", `env -0 > "$0"; printf '%s\n' "$@" > "$0.args"`, "$(OUT)"},
		Args:    []string{"$(GREETING)", "$$(GREETING)", "$(UNDEFINED)", "$(CM_color)"},
		EnvFrom: []corev1.EnvFromSource{
			{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm"}}, Prefix: "CM_"},
			{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "sec"}}},
			{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Optional: &optional}},
		},
		Env: []corev1.EnvVar{
			{Name: "OUT", Value: t.TempDir() + "/env"},
			{Name: "NAME", Value: "world"},
			{Name: "GREETING", Value: "hello-$(NAME)"},
			{Name: "ESCAPED", Value: "$$(NAME)"},
			{Name: "LATER", Value: "$(DEFINED_AFTER)"},
			{Name: "DEFINED_AFTER", Value: "x"},
			{Name: "FROM_CM", Value: "$(CM_color)"},
			{Name: "SVC", Value: "$(KUBERNETES_SERVICE_HOST)"},
			{Name: "CM_size", Value: "override"},
			{Name: "POD_NAME", ValueFrom: field("metadata.name")},
			{Name: "POD_NAMESPACE", ValueFrom: field("metadata.namespace")},
			{Name: "POD_UID", ValueFrom: field("metadata.uid")},
			{Name: "APP", ValueFrom: field("metadata.labels['app']")},
			{Name: "LABELS", ValueFrom: field("metadata.labels")},
			{Name: "NOTE", ValueFrom: field("metadata.annotations['note']")},
			{Name: "NODE", ValueFrom: field("spec.nodeName")},
			{Name: "SA", ValueFrom: field("spec.serviceAccountName")},
			{Name: "POD_IP", ValueFrom: field("status.podIP")},
			{Name: "POD_IPS", ValueFrom: field("status.podIPs")},
			{Name: "HOST_IP", ValueFrom: field("status.hostIP")},
			{Name: "MEM_LIMIT", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}}},
			{Name: "CPU_REQUEST", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "requests.cpu"}}},
			{Name: "CPU_REQUEST_M", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "requests.cpu", Divisor: resource.MustParse("1m")}}},
			{Name: "COLOR", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "cm"}, Key: "color"}}},
			{Name: "PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "sec"}, Key: "password"}}},
			{Name: "OPT_MISSING_KEY", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "cm"}, Key: "nope", Optional: &optional}}},
			{Name: "OPT_MISSING_CM", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Key: "k", Optional: &optional}}},
			{Name: "OPT_MISSING_SECRET", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Key: "k", Optional: &optional}}},
		},
		Resources: corev1.ResourceRequirements{
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
		},
	}
	out := c.Env[0].Value
	pod := newPod("env", corev1.RestartPolicyNever, c)
	pod.Labels = map[string]string{"app": "demo", "tier": "web"}
	pod.Annotations = map[string]string{"note": "hi"}
	pod.Spec.ServiceAccountName = "builder"
	h.sync(pod)
	s := h.waitFor(pod.UID, "Succeeded", func(s *corev1.PodStatus) bool { return s.Phase == corev1.PodSucceeded })
	if s.QOSClass != corev1.PodQOSBurstable {
		t.Errorf("qos %s", s.QOSClass)
	}
	env := parseEnv(readFile(t, out))
	want := map[string]string{
		"NAME":                    "world",
		"GREETING":                "hello-world",
		"ESCAPED":                 "$(NAME)",
		"LATER":                   "$(DEFINED_AFTER)",
		"FROM_CM":                 "blue",
		"SVC":                     "10.0.0.1",
		"KUBERNETES_SERVICE_HOST": "10.0.0.1",
		"WEB_SERVICE_PORT":        "80",
		"CM_color":                "blue",
		"CM_size":                 "override",
		"password":                "s3cret",
		"TOKEN":                   "tok",
		"POD_NAME":                "env",
		"POD_NAMESPACE":           "default",
		"POD_UID":                 string(pod.UID),
		"APP":                     "demo",
		"LABELS":                  "app=\"demo\"\ntier=\"web\"",
		"NOTE":                    "hi",
		"NODE":                    "node-1",
		"SA":                      "builder",
		"POD_IP":                  "127.0.0.1",
		"POD_IPS":                 "127.0.0.1",
		"HOST_IP":                 "127.0.0.1",
		"MEM_LIMIT":               "64",
		"CPU_REQUEST":             "1",
		"CPU_REQUEST_M":           "250",
		"COLOR":                   "blue",
		"PASSWORD":                "s3cret",
		"PATH":                    defaultPath,
		"RESOLV_CONF":             "/tmp/resolv.conf",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	for _, k := range []string{"OPT_MISSING_KEY", "OPT_MISSING_CM", "OPT_MISSING_SECRET", "CM_bad=key", "GO_WANT_HELPER"} {
		if v, ok := env[k]; ok {
			t.Errorf("%s set (%q)", k, v)
		}
	}
	if env["HOME"] == "" {
		t.Error("HOME not set")
	}
	if got := readFile(t, out+".args"); got != "hello-world\n$(GREETING)\n$(UNDEFINED)\nblue\n" {
		t.Errorf("expanded command printed %q", got)
	}
}

func TestEnvConfigErrors(t *testing.T) {
	t.Parallel()
	src := &fakeSource{}
	src.setConfigMap("default", "cm", map[string]string{"a": "1"})
	h := start(t, func(c *Config) { c.Env = src })
	ref := func(kind, name, key string) *corev1.EnvVarSource {
		if kind == "cm" {
			return &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}}
		}
		return &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}}
	}
	tests := []struct {
		name string
		c    corev1.Container
		want string
	}{
		{"missing-cm", corev1.Container{Env: []corev1.EnvVar{{Name: "X", ValueFrom: ref("cm", "missing", "k")}}}, `configmap "missing" not found`},
		{"missing-secret", corev1.Container{Env: []corev1.EnvVar{{Name: "X", ValueFrom: ref("secret", "missing", "k")}}}, `secret "missing" not found`},
		{"missing-key", corev1.Container{Env: []corev1.EnvVar{{Name: "X", ValueFrom: ref("cm", "cm", "k")}}}, `couldn't find key k in ConfigMap default/cm`},
		{"missing-envfrom", corev1.Container{EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "gone"}}}}}, `secret "gone" not found`},
		{"bad-field", corev1.Container{Env: []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nope"}}}}}, `field label not supported: spec.nope`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tt.c
			c.Name, c.Image, c.Command = "c", "x", []string{"true"}
			pod := newPod(tt.name, corev1.RestartPolicyAlways, c)
			h.sync(pod)
			s := h.waitFor(pod.UID, "CreateContainerConfigError", func(s *corev1.PodStatus) bool {
				w := cs(s, "c").State.Waiting
				return w != nil && w.Reason == "CreateContainerConfigError"
			})
			if w := cs(&s, "c").State.Waiting; w.Message != tt.want {
				t.Errorf("message %q, want %q", w.Message, tt.want)
			}
			if s.Phase != corev1.PodPending || cs(&s, "c").RestartCount != 0 {
				t.Errorf("status: %s", dump(&s))
			}
		})
	}

	t.Run("fixed later", func(t *testing.T) {
		t.Parallel()
		c := corev1.Container{Name: "c", Image: "x", Command: []string{"/bin/sh", "-c", "exec sleep 1000"},
			Env: []corev1.EnvVar{{Name: "X", ValueFrom: ref("cm", "later", "k")}}}
		pod := newPod("later", corev1.RestartPolicyAlways, c)
		h.sync(pod)
		h.waitFor(pod.UID, "CreateContainerConfigError", func(s *corev1.PodStatus) bool {
			w := cs(s, "c").State.Waiting
			return w != nil && w.Reason == "CreateContainerConfigError"
		})
		src.setConfigMap("default", "later", map[string]string{"k": "v"})
		// Retried without a new Sync.
		h.waitFor(pod.UID, "running", func(s *corev1.PodStatus) bool { return running(cs(s, "c")) })
	})
}

func TestResourceFieldDefaults(t *testing.T) {
	pod := newPod("p", corev1.RestartPolicyAlways, corev1.Container{Name: "c"}, corev1.Container{Name: "other",
		Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1500m")}}})
	c := &pod.Spec.Containers[0]
	tests := []struct {
		fs   corev1.ResourceFieldSelector
		want string
		err  string
	}{
		{fs: corev1.ResourceFieldSelector{Resource: "requests.memory"}, want: "0"},
		{fs: corev1.ResourceFieldSelector{Resource: "limits.cpu", ContainerName: "other"}, want: "2"},
		{fs: corev1.ResourceFieldSelector{Resource: "limits.cpu", ContainerName: "other", Divisor: resource.MustParse("1m")}, want: "1500"},
		{fs: corev1.ResourceFieldSelector{Resource: "limits.gpu"}, err: "unsupported container resource : limits.gpu"},
	}
	for _, tt := range tests {
		got, err := resourceFieldValue(&tt.fs, pod, c)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%+v: err %v, want %q", tt.fs, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%+v = %q, %v; want %q", tt.fs, got, err, tt.want)
		}
	}
	// An unset limit is the node's capacity: some positive number.
	if got, err := resourceFieldValue(&corev1.ResourceFieldSelector{Resource: "limits.cpu"}, pod, c); err != nil || got == "0" {
		t.Errorf("limits.cpu default = %q, %v", got, err)
	}
}

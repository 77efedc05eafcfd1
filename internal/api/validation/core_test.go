package validation

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const configKeyMsg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"

func TestValidateNamespace(t *testing.T) {
	ns := func(name string, mutate func(*corev1.Namespace)) *corev1.Namespace {
		n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if mutate != nil {
			mutate(n)
		}
		return n
	}
	cases := []struct {
		ns     *corev1.Namespace
		expect string
	}{
		{ns("team-a", nil), ""},
		{ns("team-a", func(n *corev1.Namespace) { n.Spec.Finalizers = []corev1.FinalizerName{corev1.FinalizerKubernetes} }), ""},
		{ns("My_NS", nil), `Namespace "My_NS" is invalid: metadata.name: Invalid value: "My_NS": ` + dns1123Label},
		{ns("kube.system", nil), `Namespace "kube.system" is invalid: metadata.name: Invalid value: "kube.system": must not contain dots`},
		{ns("", nil), `Namespace "" is invalid: metadata.name: Required value: name or generateName is required`},
		{ns("team-a", func(n *corev1.Namespace) { n.Namespace = "default" }),
			`Namespace "team-a" is invalid: metadata.namespace: Forbidden: not allowed on this type`},
		{ns("team-a", func(n *corev1.Namespace) { n.Spec.Finalizers = []corev1.FinalizerName{"custom"} }),
			`Namespace "team-a" is invalid: spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified`},
	}
	for _, tc := range cases {
		checkMessage(t, "", "Namespace", tc.ns.Name, ValidateNamespace(tc.ns), tc.expect)
	}

	old := ns("team-a", func(n *corev1.Namespace) { n.ResourceVersion = "3" })
	renamed := ns("team-b", func(n *corev1.Namespace) { n.ResourceVersion = "3" })
	checkMessage(t, "", "Namespace", "team-b", ValidateNamespaceUpdate(renamed, old),
		`Namespace "team-b" is invalid: metadata.name: Invalid value: "team-b": field is immutable`)
}

func TestValidateConfigMap(t *testing.T) {
	cm := func(mutate func(*corev1.ConfigMap)) *corev1.ConfigMap {
		c := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "conf", Namespace: "default"}, Data: map[string]string{"app.conf": "x=1"}}
		if mutate != nil {
			mutate(c)
		}
		return c
	}
	cases := []struct {
		name   string
		cm     *corev1.ConfigMap
		expect string
	}{
		{"valid", cm(nil), ""},
		{"bad key", cm(func(c *corev1.ConfigMap) { c.Data["bad key"] = "v" }),
			`ConfigMap "conf" is invalid: data[bad key]: Invalid value: "bad key": ` + configKeyMsg},
		{"dot-dot key", cm(func(c *corev1.ConfigMap) { c.Data[".."] = "v" }),
			`ConfigMap "conf" is invalid: data[..]: Invalid value: "..": must not be '..'`},
		{"binaryData key", cm(func(c *corev1.ConfigMap) { c.BinaryData = map[string][]byte{"a/b": nil} }),
			`ConfigMap "conf" is invalid: binaryData[a/b]: Invalid value: "a/b": ` + configKeyMsg},
		{"key in both", cm(func(c *corev1.ConfigMap) { c.BinaryData = map[string][]byte{"app.conf": nil} }),
			`ConfigMap "conf" is invalid: data[app.conf]: Invalid value: "app.conf": duplicate of key present in binaryData`},
		{"too large", cm(func(c *corev1.ConfigMap) { c.Data["big"] = strings.Repeat("x", 1<<20) }),
			`ConfigMap "conf" is invalid: []: Too long: may not be more than 1048576 bytes`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMessage(t, "", "ConfigMap", tc.cm.Name, ValidateConfigMap(tc.cm), tc.expect)
		})
	}

	old := cm(func(c *corev1.ConfigMap) { c.ResourceVersion = "1"; c.Immutable = ptr(true) })
	changed := cm(func(c *corev1.ConfigMap) {
		c.ResourceVersion = "1"
		c.Immutable = ptr(true)
		c.Data["app.conf"] = "x=2"
	})
	checkMessage(t, "", "ConfigMap", "conf", ValidateConfigMapUpdate(changed, old),
		"ConfigMap \"conf\" is invalid: data: Forbidden: field is immutable when `immutable` is set")
	unlocked := cm(func(c *corev1.ConfigMap) { c.ResourceVersion = "1" })
	checkMessage(t, "", "ConfigMap", "conf", ValidateConfigMapUpdate(unlocked, old),
		"ConfigMap \"conf\" is invalid: immutable: Forbidden: field is immutable when `immutable` is set")
}

func TestValidateSecret(t *testing.T) {
	secret := func(typ corev1.SecretType, data map[string][]byte) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "default"}, Type: typ, Data: data}
	}
	tlsData := map[string][]byte{corev1.TLSCertKey: []byte("c"), corev1.TLSPrivateKeyKey: []byte("k")}
	cases := []struct {
		name   string
		s      *corev1.Secret
		expect string
	}{
		{"opaque", secret(corev1.SecretTypeOpaque, map[string][]byte{"k": nil}), ""},
		{"tls complete", secret(corev1.SecretTypeTLS, tlsData), ""},
		{"tls via stringData", func() *corev1.Secret {
			s := secret(corev1.SecretTypeTLS, nil)
			s.StringData = map[string]string{corev1.TLSCertKey: "c", corev1.TLSPrivateKeyKey: "k"}
			return s
		}(), ""},
		{"tls missing both", secret(corev1.SecretTypeTLS, nil),
			`Secret "s" is invalid: [data[tls.crt]: Required value, data[tls.key]: Required value]`},
		{"tls missing key", secret(corev1.SecretTypeTLS, map[string][]byte{corev1.TLSCertKey: []byte("c")}),
			`Secret "s" is invalid: data[tls.key]: Required value`},
		{"bad key", secret(corev1.SecretTypeOpaque, map[string][]byte{"a b": nil}),
			`Secret "s" is invalid: data[a b]: Invalid value: "a b": ` + configKeyMsg},
		{"dockerconfigjson not JSON", secret(corev1.SecretTypeDockerConfigJson, map[string][]byte{corev1.DockerConfigJsonKey: []byte("x")}),
			`Secret "s" is invalid: data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character 'x' looking for beginning of value`},
		{"basic-auth empty", secret(corev1.SecretTypeBasicAuth, nil),
			`Secret "s" is invalid: [data[username]: Required value, data[password]: Required value]`},
		{"service-account-token without annotation", secret(corev1.SecretTypeServiceAccountToken, nil),
			`Secret "s" is invalid: metadata.annotations[kubernetes.io/service-account.name]: Required value`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMessage(t, "", "Secret", tc.s.Name, ValidateSecret(tc.s), tc.expect)
		})
	}

	old := secret(corev1.SecretTypeOpaque, tlsData)
	old.ResourceVersion = "7"
	retyped := secret(corev1.SecretTypeTLS, tlsData)
	retyped.ResourceVersion = "7"
	checkMessage(t, "", "Secret", "s", ValidateSecretUpdate(retyped, old),
		`Secret "s" is invalid: type: Invalid value: "kubernetes.io/tls": field is immutable`)
	sameType := secret("", map[string][]byte{"k": nil})
	sameType.ResourceVersion = "7"
	checkMessage(t, "", "Secret", "s", ValidateSecretUpdate(sameType, old), "")
}

func TestValidateEndpoints(t *testing.T) {
	ep := func(subsets ...corev1.EndpointSubset) *corev1.Endpoints {
		return &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"}, Subsets: subsets}
	}
	addr := func(ips ...string) []corev1.EndpointAddress {
		var out []corev1.EndpointAddress
		for _, ip := range ips {
			out = append(out, corev1.EndpointAddress{IP: ip})
		}
		return out
	}
	port := corev1.EndpointPort{Port: 8080, Protocol: corev1.ProtocolTCP}
	cases := []struct {
		name   string
		ep     *corev1.Endpoints
		expect string
	}{
		{"valid", ep(corev1.EndpointSubset{Addresses: addr("10.244.1.5"), Ports: []corev1.EndpointPort{port}}), ""},
		{"no subsets", ep(), ""},
		{"bad IP", ep(corev1.EndpointSubset{Addresses: addr("10.0.0"), Ports: []corev1.EndpointPort{port}}),
			`Endpoints "web" is invalid: [subsets[0].addresses[0].ip: Invalid value: "10.0.0": ` + badIP + `, subsets[0].addresses[0].ip: Invalid value: "10.0.0": must be a valid IP address]`},
		{"link-local", ep(corev1.EndpointSubset{NotReadyAddresses: addr("169.254.1.1")}),
			`Endpoints "web" is invalid: subsets[0].notReadyAddresses[0].ip: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)`},
		{"no addresses", ep(corev1.EndpointSubset{Ports: []corev1.EndpointPort{port}}),
			"Endpoints \"web\" is invalid: subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`"},
		{"unnamed port among two", ep(corev1.EndpointSubset{Addresses: addr("10.244.1.5"), Ports: []corev1.EndpointPort{
			{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}, {Port: 443, Protocol: corev1.ProtocolTCP},
		}}), `Endpoints "web" is invalid: subsets[0].ports[1].name: Required value`},
		{"bad port", ep(corev1.EndpointSubset{Addresses: addr("10.244.1.5"), Ports: []corev1.EndpointPort{{Port: 0, Protocol: "ICMP"}}}),
			`Endpoints "web" is invalid: [subsets[0].ports[0].port: Invalid value: 0: ` + portRange + `, subsets[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMessage(t, "", "Endpoints", tc.ep.Name, ValidateEndpoints(tc.ep), tc.expect)
		})
	}
}

func TestValidateNode(t *testing.T) {
	node := func(mutate func(*corev1.Node)) *corev1.Node {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}}
		if mutate != nil {
			mutate(n)
		}
		return n
	}
	cases := []struct {
		name   string
		n      *corev1.Node
		expect string
	}{
		{"valid", node(func(n *corev1.Node) {
			n.Spec.PodCIDRs = []string{"10.244.1.0/24"}
			n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule}}
		}), ""},
		{"bad taint effect", node(func(n *corev1.Node) {
			n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Effect: "Sometimes"}}
		}), `Node "node-1" is invalid: metadata.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`},
		{"bad podCIDR", node(func(n *corev1.Node) { n.Spec.PodCIDRs = []string{"10.244.1.0/33"} }),
			`Node "node-1" is invalid: spec.podCIDRs[0]: Invalid value: "10.244.1.0/33": ` + badCIDR},
		{"duplicate taint", node(func(n *corev1.Node) {
			taint := corev1.Taint{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule}
			n.Spec.Taints = []corev1.Taint{taint, taint}
		}), `Node "node-1" is invalid: metadata.taints[1]: Duplicate value: {"Key":"dedicated","Value":"gpu","Effect":"NoSchedule","TimeAdded":null}: taints must be unique by key and effect pair`},
		{"namespaced", node(func(n *corev1.Node) { n.Namespace = "default" }),
			`Node "node-1" is invalid: metadata.namespace: Forbidden: not allowed on this type`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMessage(t, "", "Node", tc.n.Name, ValidateNode(tc.n), tc.expect)
		})
	}

	old := node(func(n *corev1.Node) { n.ResourceVersion = "1"; n.Spec.PodCIDRs = []string{"10.244.1.0/24"} })
	moved := node(func(n *corev1.Node) { n.ResourceVersion = "1"; n.Spec.PodCIDRs = []string{"10.244.2.0/24"} })
	checkMessage(t, "", "Node", "node-1", ValidateNodeUpdate(moved, old),
		`Node "node-1" is invalid: spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid`)
}

func TestValidateEvent(t *testing.T) {
	ev := func(mutate func(*corev1.Event)) *corev1.Event {
		e := &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: "web.1", Namespace: "default"},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "web"},
			Reason:         "Started",
		}
		if mutate != nil {
			mutate(e)
		}
		return e
	}
	cases := []struct {
		name   string
		e      *corev1.Event
		expect string
	}{
		{"valid", ev(nil), ""},
		{"cluster-scoped object in default", ev(func(e *corev1.Event) { e.InvolvedObject = corev1.ObjectReference{Kind: "Node", Name: "n"} }), ""},
		{"namespace mismatch", ev(func(e *corev1.Event) { e.InvolvedObject.Namespace = "other" }),
			`Event "web.1" is invalid: involvedObject.namespace: Invalid value: "other": does not match event.namespace`},
		{"new-style event missing reporter", ev(func(e *corev1.Event) {
			e.EventTime = metav1.NewMicroTime(metav1.Now().Time)
			e.Action = "Start"
		}), `Event "web.1" is invalid: [reportingController: Required value, reportingController: Invalid value: "": name part must be non-empty, reportingController: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), reportingInstance: Required value]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMessage(t, "", "Event", tc.e.Name, ValidateEvent(tc.e), tc.expect)
		})
	}
}

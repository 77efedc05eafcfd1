package agent

import (
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestPodResolvConf(t *testing.T) {
	host := dnsSettings{Nameservers: []string{"192.0.2.53"}, Searches: []string{"corp.example"}, Options: []string{"edns0"}}
	pod := func(mutate func(*corev1.Pod)) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"}}
		if mutate != nil {
			mutate(p)
		}
		return p
	}
	cases := []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{
			name: "ClusterFirst by default",
			pod:  pod(nil),
			want: "nameserver 127.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n",
		},
		{
			name: "hostNetwork with ClusterFirst gets the host's",
			pod:  pod(func(p *corev1.Pod) { p.Spec.HostNetwork = true }),
			want: "nameserver 192.0.2.53\nsearch corp.example\noptions edns0\n",
		},
		{
			name: "ClusterFirstWithHostNet keeps the cluster's",
			pod: pod(func(p *corev1.Pod) {
				p.Spec.HostNetwork = true
				p.Spec.DNSPolicy = corev1.DNSClusterFirstWithHostNet
			}),
			want: "nameserver 127.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n",
		},
		{
			name: "Default is the host's",
			pod:  pod(func(p *corev1.Pod) { p.Spec.DNSPolicy = corev1.DNSDefault }),
			want: "nameserver 192.0.2.53\nsearch corp.example\noptions edns0\n",
		},
		{
			name: "None takes dnsConfig only",
			pod: pod(func(p *corev1.Pod) {
				p.Spec.DNSPolicy = corev1.DNSNone
				p.Spec.DNSConfig = &corev1.PodDNSConfig{Nameservers: []string{"192.0.2.1"}, Searches: []string{"a.example"}}
			}),
			want: "nameserver 192.0.2.1\nsearch a.example\n",
		},
		{
			name: "dnsConfig merges: more servers and searches, options override",
			pod: pod(func(p *corev1.Pod) {
				p.Spec.DNSConfig = &corev1.PodDNSConfig{
					Nameservers: []string{"192.0.2.1", "127.96.0.10"},
					Searches:    []string{"extra.example"},
					Options:     []corev1.PodDNSConfigOption{{Name: "ndots", Value: ptr.To("2")}, {Name: "single-request"}},
				}
			}),
			want: "nameserver 127.96.0.10\nnameserver 192.0.2.1\nsearch shop.svc.cluster.local svc.cluster.local cluster.local extra.example\noptions ndots:2 single-request\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := string(podDNS(tc.pod, "127.96.0.10", "cluster.local", host).render())
			if got != tc.want {
				t.Fatalf("resolv.conf:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestParseResolvConf(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	data := "# comment\nnameserver 192.0.2.1\nnameserver 192.0.2.2\ndomain old.example\nsearch a.example b.example\noptions ndots:1 edns0\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	got := parseResolvConf(path)
	want := "nameserver 192.0.2.1\nnameserver 192.0.2.2\nsearch a.example b.example\noptions ndots:1 edns0\n"
	if string(got.render()) != want {
		t.Fatalf("parsed:\n%s\nwant:\n%s", got.render(), want)
	}
	if s := parseResolvConf(filepath.Join(t.TempDir(), "missing")); len(s.Nameservers) != 0 {
		t.Fatalf("missing file gave %v", s)
	}
}

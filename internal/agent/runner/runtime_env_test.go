package runner

import "testing"

// Rootless pods get POD_IP and RESOLV_CONF from the runtime; a spec that
// declares them wins, and a pod in a network namespace gets neither.
func TestRuntimeEnv(t *testing.T) {
	tests := []struct {
		name           string
		spec           map[string]string
		sb             Sandbox
		wantIP, wantRC string
	}{
		{"rootless adds both", nil, Sandbox{PodIP: "127.244.0.9", ResolvConf: "/r"}, "127.244.0.9", "/r"},
		{"spec wins", map[string]string{"POD_IP": "1.2.3.4"}, Sandbox{PodIP: "127.244.0.9", ResolvConf: "/r"}, "1.2.3.4", "/r"},
		{"netns adds neither", nil, Sandbox{PodIP: "10.244.1.5", ResolvConf: "/r", NetNS: "/var/run/netns/x"}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var env envList
			for k, v := range tc.spec {
				env.set(k, v)
			}
			addRuntimeEnv(&env, tc.sb)
			ip, _ := env.get("POD_IP")
			rc, _ := env.get("RESOLV_CONF")
			if ip != tc.wantIP || rc != tc.wantRC {
				t.Fatalf("POD_IP=%q RESOLV_CONF=%q, want %q %q", ip, rc, tc.wantIP, tc.wantRC)
			}
		})
	}
}

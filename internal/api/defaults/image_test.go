package defaults

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestPullPolicyFor(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	tests := []struct {
		name  string
		image string
		want  corev1.PullPolicy
	}{
		{name: "no tag means latest", image: "nginx", want: corev1.PullAlways},
		{name: "version tag", image: "nginx:1.25", want: corev1.PullIfNotPresent},
		{name: "explicit latest", image: "nginx:latest", want: corev1.PullAlways},
		{name: "tag is case sensitive", image: "nginx:LATEST", want: corev1.PullIfNotPresent},
		{name: "digest only", image: "nginx@sha256:" + sha, want: corev1.PullIfNotPresent},
		{name: "latest tag with digest", image: "nginx:latest@sha256:" + sha, want: corev1.PullAlways},
		{name: "version tag with digest", image: "nginx:1.25@sha256:" + sha, want: corev1.PullIfNotPresent},
		{name: "registry path with tag", image: "registry.k8s.io/pause:3.9", want: corev1.PullIfNotPresent},
		{name: "registry path without tag", image: "gcr.io/google-samples/hello-app", want: corev1.PullAlways},
		{name: "registry port is not a tag", image: "localhost:5000/app", want: corev1.PullAlways},
		{name: "registry port and tag", image: "myregistry:5000/team/app:v1", want: corev1.PullIfNotPresent},
		{name: "IPv6 registry", image: "[::1]:5000/app", want: corev1.PullAlways},
		{name: "uppercase registry is allowed", image: "Registry.Example.com/app", want: corev1.PullAlways},
		{name: "uppercase repository does not parse", image: "NGINX", want: corev1.PullIfNotPresent},
		{name: "short digest does not parse", image: "nginx:latest@sha256:abc", want: corev1.PullIfNotPresent},
		{name: "unknown digest algorithm does not parse", image: "nginx:latest@md5:" + strings.Repeat("a", 32), want: corev1.PullIfNotPresent},
		{name: "uppercase digest does not parse", image: "nginx:latest@sha256:" + strings.ToUpper(sha), want: corev1.PullIfNotPresent},
		{name: "image ID does not parse", image: sha, want: corev1.PullIfNotPresent},
		{name: "empty tag does not parse", image: "nginx:", want: corev1.PullIfNotPresent},
		{name: "whitespace does not parse", image: "nginx ", want: corev1.PullIfNotPresent},
		{name: "empty image", image: "", want: corev1.PullIfNotPresent},
		{name: "too long a name does not parse", image: strings.Repeat("a", 250), want: corev1.PullIfNotPresent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := pullPolicyFor(tc.image); got != tc.want {
				t.Errorf("pullPolicyFor(%q) = %s, want %s", tc.image, got, tc.want)
			}
		})
	}
}

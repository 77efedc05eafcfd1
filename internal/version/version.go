package version

import "fmt"

// Version is portal's release, set at link time with
// -ldflags "-X github.com/portal-dev/portal/internal/version.Version=…".
var Version = "v0.1.0-dev"

// Kubernetes is the Kubernetes minor version whose API portal serves. It is
// what /version reports, so that kubectl's version skew checks pass.
const (
	KubernetesMajor = "1"
	KubernetesMinor = "37"
)

// String is the one-line form printed by `portal version`.
func String() string {
	return fmt.Sprintf("portal %s (Kubernetes API v%s.%s)", Version, KubernetesMajor, KubernetesMinor)
}

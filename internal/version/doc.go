// Package version holds portal's own version and the Kubernetes version it
// reports on /version. It owns no state beyond link-time variables.
package version

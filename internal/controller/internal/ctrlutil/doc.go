// Package ctrlutil holds what portal's endpoint controllers share: the
// worker loop over a rate-limited queue of namespace/name keys, the sync
// metrics every one of them keeps, and bridges from slog to the klog
// logger and event recorder k8s.io libraries expect.
package ctrlutil

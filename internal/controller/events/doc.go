// Package events gives controllers a client-go event recorder whose events
// reach the API server as core/v1 Events, so `kubectl describe` and
// `kubectl get events` show them. It wraps client-go's record package:
// one broadcaster per Recorder, events correlated and aggregated as
// kube-controller-manager's are (repeats become a count, not new objects).
package events

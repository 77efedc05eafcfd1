package endpointslice

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// Identity and equality of endpoints follow kube's reconciler: an
// endpoint is identified by its addresses (as a set), its hostname and its
// targetRef's namespace and name, so a change of anything else (conditions,
// nodeName, zone, targetRef uid) rewrites it in place, in the slice that
// holds it. Unlike kube, hints count as a change too: this controller
// never sets them, so a slice that has some is cleaned.

// isEndpointOf reports whether the existing endpoint e is w's endpoint.
func (w *want) isEndpointOf(e *discoveryv1.Endpoint) bool {
	ref := e.TargetRef
	if ref == nil || ref.Name != w.pod.Name || ref.Namespace != w.pod.Namespace {
		return false
	}
	if e.Hostname == nil {
		if w.hostname {
			return false
		}
	} else if !w.hostname || *e.Hostname != w.pod.Spec.Hostname {
		return false
	}
	return sameSet(e.Addresses, w.addrs)
}

// upToDate reports whether e, already known to be w's endpoint, has every
// field this controller writes as w would write it.
func (w *want) upToDate(e *discoveryv1.Endpoint) bool {
	c := &e.Conditions
	if !boolIs(c.Ready, w.ready) || !boolIs(c.Serving, w.serving) || !boolIs(c.Terminating, w.terminating) {
		return false
	}
	if !stringIs(e.NodeName, w.pod.Spec.NodeName) || !stringIs(e.Zone, w.zone) {
		return false
	}
	ref := e.TargetRef // resourceVersion aside, as kube compares it
	if ref.Kind != "Pod" || ref.UID != w.pod.UID || ref.APIVersion != "" || ref.FieldPath != "" {
		return false
	}
	return e.Hints == nil
}

// endpoint builds w's endpoint. It shares w.addrs, which nothing changes.
func (w *want) endpoint() discoveryv1.Endpoint {
	conds := &struct{ ready, serving, terminating bool }{w.ready, w.serving, w.terminating}
	ep := discoveryv1.Endpoint{
		Addresses: w.addrs,
		Conditions: discoveryv1.EndpointConditions{
			Ready: &conds.ready, Serving: &conds.serving, Terminating: &conds.terminating,
		},
		TargetRef: &corev1.ObjectReference{
			Kind: "Pod", Namespace: w.pod.Namespace, Name: w.pod.Name, UID: w.pod.UID,
		},
	}
	if n := w.pod.Spec.NodeName; n != "" {
		ep.NodeName = &n
	}
	if z := w.zone; z != "" {
		ep.Zone = &z
	}
	if w.hostname {
		h := w.pod.Spec.Hostname
		ep.Hostname = &h
	}
	return ep
}

// boolIs reports whether p is set and holds v.
func boolIs(p *bool, v bool) bool { return p != nil && *p == v }

// stringIs reports whether p matches v, nil standing for "".
func stringIs(p *string, v string) bool {
	if p == nil {
		return v == ""
	}
	return v != "" && *p == v
}

// sameSet reports whether a and b hold the same strings, in any order.
// Endpoints have one or two addresses: quadratic is cheapest.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 1 {
		return a[0] == b[0]
	}
	for _, x := range a {
		if !contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !contains(a, x) {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

package legacy

import (
	corev1 "k8s.io/api/core/v1"
)

// sliceIn converts a discovery/v1beta1 EndpointSlice to v1. v1beta1's
// per-endpoint topology map becomes v1's zone (from
// topology.kubernetes.io/zone) and deprecatedTopology (the rest); the
// kubernetes.io/hostname entry is dropped when it repeats nodeName, so a
// round trip shows no duplicate.
func sliceIn(legacy, hub interface{}) error {
	return viaMap(legacy, hub, func(m map[string]interface{}) {
		forEachEndpoint(m, func(ep map[string]interface{}) {
			topo, ok := ep["topology"].(map[string]interface{})
			delete(ep, "topology")
			if !ok || len(topo) == 0 {
				return
			}
			rest := map[string]interface{}{}
			for k, v := range topo {
				rest[k] = v
			}
			if zone, ok := rest[corev1.LabelTopologyZone]; ok {
				ep["zone"] = zone
				delete(rest, corev1.LabelTopologyZone)
			}
			if host, ok := rest[corev1.LabelHostname]; ok {
				if node, ok := ep["nodeName"]; ok && node == host {
					delete(rest, corev1.LabelHostname)
				}
			}
			if len(rest) > 0 {
				ep["deprecatedTopology"] = rest
			}
		})
	})
}

// sliceOut converts a v1 EndpointSlice to discovery/v1beta1, folding
// deprecatedTopology, nodeName and zone back into topology.
func sliceOut(legacy, hub interface{}) error {
	return viaMap(hub, legacy, func(m map[string]interface{}) {
		forEachEndpoint(m, func(ep map[string]interface{}) {
			topo := map[string]interface{}{}
			if dt, ok := ep["deprecatedTopology"].(map[string]interface{}); ok {
				for k, v := range dt {
					topo[k] = v
				}
			}
			delete(ep, "deprecatedTopology")
			if node, ok := ep["nodeName"]; ok {
				if _, set := topo[corev1.LabelHostname]; !set {
					topo[corev1.LabelHostname] = node
				}
			}
			if zone, ok := ep["zone"]; ok {
				topo[corev1.LabelTopologyZone] = zone
				delete(ep, "zone")
			}
			if len(topo) > 0 {
				ep["topology"] = topo
			}
		})
	})
}

func forEachEndpoint(m map[string]interface{}, f func(map[string]interface{})) {
	eps, _ := m["endpoints"].([]interface{})
	for _, e := range eps {
		if ep, ok := e.(map[string]interface{}); ok {
			f(ep)
		}
	}
}

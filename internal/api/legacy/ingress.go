package legacy

import (
	"encoding/json"
	"reflect"
)

// ingressIn converts a v1beta1 Ingress (either group) to networking/v1:
// spec.backend becomes spec.defaultBackend, and every backend's
// serviceName/servicePort becomes service.name and service.port.number
// (an integer servicePort) or service.port.name (a named one).
func ingressIn(legacy, hub interface{}) error {
	return viaMap(legacy, hub, func(m map[string]interface{}) {
		spec, _ := m["spec"].(map[string]interface{})
		if spec == nil {
			return
		}
		if b, ok := spec["backend"]; ok {
			spec["defaultBackend"] = backendIn(b)
			delete(spec, "backend")
		}
		forEachPath(spec, func(p map[string]interface{}) {
			if b, ok := p["backend"]; ok {
				p["backend"] = backendIn(b)
			}
		})
	})
}

// ingressOut converts networking/v1 back to a v1beta1 Ingress.
func ingressOut(legacy, hub interface{}) error {
	return viaMap(hub, legacy, func(m map[string]interface{}) {
		spec, _ := m["spec"].(map[string]interface{})
		if spec == nil {
			return
		}
		if b, ok := spec["defaultBackend"]; ok {
			spec["backend"] = backendOut(b)
			delete(spec, "defaultBackend")
		}
		forEachPath(spec, func(p map[string]interface{}) {
			if b, ok := p["backend"]; ok {
				p["backend"] = backendOut(b)
			}
		})
	})
}

func backendIn(v interface{}) interface{} {
	b, ok := v.(map[string]interface{})
	if !ok {
		return v
	}
	name, hasName := b["serviceName"]
	port, hasPort := b["servicePort"]
	if !hasName && !hasPort {
		return b
	}
	svc := map[string]interface{}{"name": name}
	switch p := port.(type) {
	case float64:
		svc["port"] = map[string]interface{}{"number": p}
	case string:
		svc["port"] = map[string]interface{}{"name": p}
	}
	out := map[string]interface{}{"service": svc}
	if r, ok := b["resource"]; ok {
		out["resource"] = r
	}
	return out
}

func backendOut(v interface{}) interface{} {
	b, ok := v.(map[string]interface{})
	if !ok {
		return v
	}
	svc, ok := b["service"].(map[string]interface{})
	if !ok {
		return b
	}
	out := map[string]interface{}{"serviceName": svc["name"]}
	if port, ok := svc["port"].(map[string]interface{}); ok {
		if n, ok := port["number"]; ok {
			out["servicePort"] = n
		} else if name, ok := port["name"]; ok {
			out["servicePort"] = name
		}
	}
	if r, ok := b["resource"]; ok {
		out["resource"] = r
	}
	return out
}

// forEachPath calls f on every spec.rules[].http.paths[] entry.
func forEachPath(spec map[string]interface{}, f func(map[string]interface{})) {
	rules, _ := spec["rules"].([]interface{})
	for _, r := range rules {
		rule, _ := r.(map[string]interface{})
		http, _ := rule["http"].(map[string]interface{})
		paths, _ := http["paths"].([]interface{})
		for _, p := range paths {
			if path, ok := p.(map[string]interface{}); ok {
				f(path)
			}
		}
	}
}

// viaMap converts in to out through their JSON forms, letting edit change
// the generic form in between.
func viaMap(in, out interface{}, edit func(map[string]interface{})) error {
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	var m map[string]interface{}
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	delete(m, "apiVersion")
	delete(m, "kind")
	edit(m)
	data, err = json.Marshal(m)
	if err != nil {
		return err
	}
	v := reflect.ValueOf(out).Elem()
	v.Set(reflect.Zero(v.Type()))
	return json.Unmarshal(data, out)
}

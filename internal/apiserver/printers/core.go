package printers

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Core printers other than pods, services and endpoints: namespaces, nodes,
// secrets, configmaps and events.

func namespacePrinter() resourcePrinter {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Status", "string", "The status of the namespace"),
		ageColumn(),
	}
	return newPrinter(columns,
		func(l *corev1.NamespaceList) []corev1.Namespace { return l.Items },
		func(ns *corev1.Namespace, now time.Time) metav1.TableRow {
			return metav1.TableRow{Cells: []any{ns.Name, string(ns.Status.Phase), since(ns.CreationTimestamp, now)}}
		})
}

// Node role labels: node-role.kubernetes.io/<role> (any value) and
// kubernetes.io/role=<role>.
const (
	nodeRoleLabelPrefix = "node-role.kubernetes.io/"
	nodeRoleLabel       = "kubernetes.io/role"
)

func nodePrinter() resourcePrinter {
	info := corev1.NodeSystemInfo{}.SwaggerDoc()
	addresses := corev1.NodeStatus{}.SwaggerDoc()["addresses"]
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Status", "string", "The status of the node"),
		column("Roles", "string", "The roles of the node"),
		ageColumn(),
		column("Version", "string", info["kubeletVersion"]),
		wideColumn("Internal-IP", "string", addresses),
		wideColumn("External-IP", "string", addresses),
		wideColumn("OS-Image", "string", info["osImage"]),
		wideColumn("Kernel-Version", "string", info["kernelVersion"]),
		wideColumn("Container-Runtime", "string", info["containerRuntimeVersion"]),
	}
	return newPrinter(columns,
		func(l *corev1.NodeList) []corev1.Node { return l.Items },
		func(n *corev1.Node, now time.Time) metav1.TableRow {
			roles := strings.Join(nodeRoles(n.Labels), ",")
			if roles == "" {
				roles = none
			}
			ni := n.Status.NodeInfo
			return metav1.TableRow{Cells: []any{
				n.Name, nodeStatus(n), roles, since(n.CreationTimestamp, now), ni.KubeletVersion,
				nodeAddress(n, corev1.NodeInternalIP), nodeAddress(n, corev1.NodeExternalIP),
				orUnknown(ni.OSImage), orUnknown(ni.KernelVersion), orUnknown(ni.ContainerRuntimeVersion),
			}}
		})
}

// nodeStatus is Ready or NotReady from the (last) Ready condition, Unknown
// without one, then SchedulingDisabled when the node is cordoned.
func nodeStatus(n *corev1.Node) string {
	var ready *corev1.NodeCondition
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == corev1.NodeReady {
			ready = &n.Status.Conditions[i]
		}
	}
	status := "Unknown"
	if ready != nil {
		status = string(corev1.NodeReady)
		if ready.Status != corev1.ConditionTrue {
			status = "Not" + status
		}
	}
	if n.Spec.Unschedulable {
		status += ",SchedulingDisabled"
	}
	return status
}

// nodeRoles returns the node's roles, sorted and without duplicates.
func nodeRoles(labels map[string]string) []string {
	seen := map[string]bool{}
	var roles []string
	add := func(r string) {
		if r != "" && !seen[r] {
			seen[r] = true
			roles = append(roles, r)
		}
	}
	for k, v := range labels {
		switch {
		case strings.HasPrefix(k, nodeRoleLabelPrefix):
			add(strings.TrimPrefix(k, nodeRoleLabelPrefix))
		case k == nodeRoleLabel:
			add(v)
		}
	}
	sort.Strings(roles)
	return roles
}

// nodeAddress is the node's first address of type t, or <none>.
func nodeAddress(n *corev1.Node, t corev1.NodeAddressType) string {
	for _, a := range n.Status.Addresses {
		if a.Type == t {
			return a.Address
		}
	}
	return none
}

func orUnknown(s string) string {
	if s == "" {
		return unknown
	}
	return s
}

func secretPrinter() resourcePrinter {
	doc := corev1.Secret{}.SwaggerDoc()
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Type", "string", doc["type"]),
		column("Data", "string", doc["data"]),
		ageColumn(),
	}
	return newPrinter(columns,
		func(l *corev1.SecretList) []corev1.Secret { return l.Items },
		func(s *corev1.Secret, now time.Time) metav1.TableRow {
			return metav1.TableRow{Cells: []any{s.Name, string(s.Type), int64(secretKeys(s)), since(s.CreationTimestamp, now)}}
		})
}

// secretKeys counts the distinct keys of data and stringData: kube folds
// stringData into data before storing, so that is the DATA it would print.
func secretKeys(s *corev1.Secret) int {
	n := len(s.Data)
	for k := range s.StringData {
		if _, dup := s.Data[k]; !dup {
			n++
		}
	}
	return n
}

func configMapPrinter() resourcePrinter {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Data", "string", corev1.ConfigMap{}.SwaggerDoc()["data"]),
		ageColumn(),
	}
	return newPrinter(columns,
		func(l *corev1.ConfigMapList) []corev1.ConfigMap { return l.Items },
		func(cm *corev1.ConfigMap, now time.Time) metav1.TableRow {
			return metav1.TableRow{Cells: []any{cm.Name, int64(len(cm.Data) + len(cm.BinaryData)), since(cm.CreationTimestamp, now)}}
		})
}

// eventPrinter prints core/v1 events. Unlike the other printers NAME is not
// first: it is a wide column at the end, after FIRST SEEN and COUNT.
func eventPrinter() resourcePrinter {
	doc := corev1.Event{}.SwaggerDoc()
	name := nameColumn()
	name.Priority = 1
	columns := []metav1.TableColumnDefinition{
		column("Last Seen", "string", doc["lastTimestamp"]),
		column("Type", "string", doc["type"]),
		column("Reason", "string", doc["reason"]),
		column("Object", "string", doc["involvedObject"]),
		wideColumn("Subobject", "string", corev1.ObjectReference{}.SwaggerDoc()["fieldPath"]),
		wideColumn("Source", "string", doc["source"]),
		column("Message", "string", doc["message"]),
		wideColumn("First Seen", "string", doc["firstTimestamp"]),
		wideColumn("Count", "string", doc["count"]),
		name,
	}
	return newPrinter(columns,
		func(l *corev1.EventList) []corev1.Event { return l.Items },
		eventRow)
}

func eventRow(e *corev1.Event, now time.Time) metav1.TableRow {
	// Events from the events.k8s.io API have eventTime and series instead
	// of firstTimestamp, lastTimestamp and count.
	first := since(e.FirstTimestamp, now)
	if e.FirstTimestamp.IsZero() {
		first = sinceMicro(e.EventTime, now)
	}
	last := since(e.LastTimestamp, now)
	if e.LastTimestamp.IsZero() {
		last = first
	}
	count := e.Count
	switch {
	case e.Series != nil:
		last = sinceMicro(e.Series.LastObservedTime, now)
		count = e.Series.Count
	case count == 0:
		count = 1
	}

	object := strings.ToLower(e.InvolvedObject.Kind)
	if e.InvolvedObject.Name != "" {
		object = fmt.Sprintf("%s/%s", object, e.InvolvedObject.Name)
	}
	return metav1.TableRow{Cells: []any{
		last, e.Type, e.Reason, object, e.InvolvedObject.FieldPath,
		eventSource(e), strings.TrimSpace(e.Message), first, int64(count), e.Name,
	}}
}

// eventSource is "component, host", falling back to the reporting
// controller and instance, and just the component when there is no host.
func eventSource(e *corev1.Event) string {
	component := e.Source.Component
	if component == "" {
		component = e.ReportingController
	}
	host := e.Source.Host
	if host == "" {
		host = e.ReportingInstance
	}
	if host == "" {
		return component
	}
	return component + ", " + host
}

package printers

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// testNow is the fixed clock every test table is printed against.
var testNow = time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return testNow }

// ago is a timestamp d before testNow.
func ago(d time.Duration) metav1.Time { return metav1.NewTime(testNow.Add(-d)) }

func agoPtr(d time.Duration) *metav1.Time {
	t := ago(d)
	return &t
}

func ptr[T any](v T) *T { return &v }

// Group resources of the printed resources.
var (
	grNamespaces     = schema.GroupResource{Resource: "namespaces"}
	grNodes          = schema.GroupResource{Resource: "nodes"}
	grPods           = schema.GroupResource{Resource: "pods"}
	grServices       = schema.GroupResource{Resource: "services"}
	grEndpoints      = schema.GroupResource{Resource: "endpoints"}
	grSecrets        = schema.GroupResource{Resource: "secrets"}
	grConfigMaps     = schema.GroupResource{Resource: "configmaps"}
	grEvents         = schema.GroupResource{Resource: "events"}
	grEndpointSlices = schema.GroupResource{Group: "discovery.k8s.io", Resource: "endpointslices"}
	grIngresses      = schema.GroupResource{Group: "networking.k8s.io", Resource: "ingresses"}
	grIngressClasses = schema.GroupResource{Group: "networking.k8s.io", Resource: "ingressclasses"}
	grServiceCIDRs   = schema.GroupResource{Group: "networking.k8s.io", Resource: "servicecidrs"}
	grDeployments    = schema.GroupResource{Group: "apps", Resource: "deployments"}
	grReplicaSets    = schema.GroupResource{Group: "apps", Resource: "replicasets"}
	grStatefulSets   = schema.GroupResource{Group: "apps", Resource: "statefulsets"}
	grJobs           = schema.GroupResource{Group: "batch", Resource: "jobs"}
	grCronJobs       = schema.GroupResource{Group: "batch", Resource: "cronjobs"}
	grLeases         = schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}
)

// convert prints obj with the fixed clock and fails the test on error.
func convert(t *testing.T, gr schema.GroupResource, obj runtime.Object, opts runtime.Object) *metav1.Table {
	t.Helper()
	table, err := ForClock(gr, clock).ConvertToTable(context.Background(), obj, opts)
	if err != nil {
		t.Fatalf("ConvertToTable(%s, %T): %v", gr, obj, err)
	}
	return table
}

// row prints a single object and returns its only row's cells.
func row(t *testing.T, gr schema.GroupResource, obj runtime.Object) []any {
	t.Helper()
	table := convert(t, gr, obj, nil)
	if len(table.Rows) != 1 {
		t.Fatalf("got %d rows, want 1", len(table.Rows))
	}
	return table.Rows[0].Cells
}

// assertCells compares cells, values and Go types alike (kube prints counts
// as int64 and the rest as strings).
func assertCells(t *testing.T, got, want []any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cells:\n got  %#v\n want %#v", got, want)
	}
}

func objectMeta(name string, age time.Duration) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "default", CreationTimestamp: ago(age)}
}

// wide marks a column name as priority 1 in columnsWant.
const wide = "*"

func TestColumnsMatchKube(t *testing.T) {
	tests := []struct {
		gr      schema.GroupResource
		columns []string // kube's names; a trailing * marks a wide column
	}{
		{gr: grNamespaces, columns: []string{"Name", "Status", "Age"}},
		{gr: grNodes, columns: []string{"Name", "Status", "Roles", "Age", "Version", "Internal-IP*", "External-IP*", "OS-Image*", "Kernel-Version*", "Container-Runtime*"}},
		{gr: grPods, columns: []string{"Name", "Ready", "Status", "Restarts", "Age", "IP*", "Node*", "Nominated Node*", "Readiness Gates*"}},
		{gr: grServices, columns: []string{"Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector*"}},
		{gr: grEndpoints, columns: []string{"Name", "Endpoints", "Age"}},
		{gr: grSecrets, columns: []string{"Name", "Type", "Data", "Age"}},
		{gr: grConfigMaps, columns: []string{"Name", "Data", "Age"}},
		{gr: grEvents, columns: []string{"Last Seen", "Type", "Reason", "Object", "Subobject*", "Source*", "Message", "First Seen*", "Count*", "Name*"}},
		{gr: grEndpointSlices, columns: []string{"Name", "AddressType", "Ports", "Endpoints", "Age"}},
		{gr: grIngresses, columns: []string{"Name", "Class", "Hosts", "Address", "Ports", "Age"}},
		{gr: grIngressClasses, columns: []string{"Name", "Controller", "Parameters", "Age"}},
		{gr: grServiceCIDRs, columns: []string{"Name", "CIDRs", "Age"}},
		{gr: grDeployments, columns: []string{"Name", "Ready", "Up-to-date", "Available", "Age", "Containers*", "Images*", "Selector*"}},
		{gr: grReplicaSets, columns: []string{"Name", "Desired", "Current", "Ready", "Age", "Containers*", "Images*", "Selector*"}},
		{gr: grStatefulSets, columns: []string{"Name", "Ready", "Age", "Containers*", "Images*"}},
		{gr: grJobs, columns: []string{"Name", "Status", "Completions", "Duration", "Age", "Containers*", "Images*", "Selector*"}},
		{gr: grCronJobs, columns: []string{"Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age", "Containers*", "Images*", "Selector*"}},
		{gr: grLeases, columns: []string{"Name", "Holder", "Age"}},
	}
	for _, tt := range tests {
		t.Run(tt.gr.String(), func(t *testing.T) {
			c, ok := ForClock(tt.gr, clock).(tableConvertor)
			if !ok {
				t.Fatalf("For(%s) is the default convertor", tt.gr)
			}
			var got []string
			for _, col := range c.printer.columns {
				name := col.Name
				if col.Priority == 1 {
					name += wide
				}
				got = append(got, name)
				if col.Description == "" {
					t.Errorf("column %q has no description", col.Name)
				}
				if (col.Name == "Name") != (col.Format == "name") {
					t.Errorf("column %q has format %q", col.Name, col.Format)
				}
				if col.Name == "Name" && col.Description != objectMetaDoc["name"] {
					t.Errorf("NAME description = %q", col.Description)
				}
				if col.Name == "Age" && col.Description != objectMetaDoc["creationTimestamp"] {
					t.Errorf("AGE description = %q", col.Description)
				}
			}
			if !reflect.DeepEqual(got, tt.columns) {
				t.Errorf("columns:\n got  %q\n want %q", got, tt.columns)
			}
		})
	}
}

func TestColumnTypesMatchKube(t *testing.T) {
	// Types are part of the wire format; spot-check the ones that are not
	// "string".
	tests := []struct {
		gr     schema.GroupResource
		column string
		typ    string
	}{
		{gr: grReplicaSets, column: "Desired", typ: "integer"},
		{gr: grReplicaSets, column: "Ready", typ: "integer"},
		{gr: grCronJobs, column: "Suspend", typ: "boolean"},
		{gr: grCronJobs, column: "Active", typ: "integer"},
		{gr: grPods, column: "Restarts", typ: "string"},
		{gr: grSecrets, column: "Data", typ: "string"},
		{gr: grDeployments, column: "Up-to-date", typ: "string"},
	}
	for _, tt := range tests {
		t.Run(tt.gr.Resource+"/"+tt.column, func(t *testing.T) {
			c := ForClock(tt.gr, clock).(tableConvertor)
			for _, col := range c.printer.columns {
				if col.Name == tt.column {
					if col.Type != tt.typ {
						t.Errorf("type = %q, want %q", col.Type, tt.typ)
					}
					return
				}
			}
			t.Errorf("no column %q", tt.column)
		})
	}
}

// TestEveryRowHasACellPerColumn prints an empty object of every resource and
// checks the row is as wide as the column list, wide columns included.
func TestEveryRowHasACellPerColumn(t *testing.T) {
	objects := map[schema.GroupResource]runtime.Object{
		grNamespaces:     &corev1.Namespace{},
		grNodes:          &corev1.Node{},
		grPods:           &corev1.Pod{},
		grServices:       &corev1.Service{},
		grEndpoints:      &corev1.Endpoints{},
		grSecrets:        &corev1.Secret{},
		grConfigMaps:     &corev1.ConfigMap{},
		grEvents:         &corev1.Event{},
		grEndpointSlices: &discoveryv1.EndpointSlice{},
		grIngresses:      &networkingv1.Ingress{},
		grIngressClasses: &networkingv1.IngressClass{},
		grServiceCIDRs:   &networkingv1.ServiceCIDR{},
		grDeployments:    &appsv1.Deployment{},
		grReplicaSets:    &appsv1.ReplicaSet{},
		grStatefulSets:   &appsv1.StatefulSet{},
		grJobs:           &batchv1.Job{},
		grCronJobs:       &batchv1.CronJob{},
		grLeases:         &coordinationv1.Lease{},
	}
	for gr, obj := range objects {
		t.Run(gr.String(), func(t *testing.T) {
			table := convert(t, gr, obj, nil)
			if len(table.Rows) != 1 {
				t.Fatalf("got %d rows", len(table.Rows))
			}
			if got, want := len(table.Rows[0].Cells), len(table.ColumnDefinitions); got != want {
				t.Errorf("%d cells for %d columns", got, want)
			}
			if table.Rows[0].Object.Object != obj {
				t.Errorf("row object = %#v, want the printed object", table.Rows[0].Object.Object)
			}
		})
	}
}

func TestForFallsBackToDefaultConvertor(t *testing.T) {
	gr := schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: "roles"}
	table := convert(t, gr, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, nil)
	var names []string
	for _, c := range table.ColumnDefinitions {
		names = append(names, c.Name)
	}
	if want := []string{"Name", "Created At"}; !reflect.DeepEqual(names, want) {
		t.Errorf("columns = %q, want the default convertor's %q", names, want)
	}
}

func TestTableMetadata(t *testing.T) {
	svc := corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", ResourceVersion: "41"},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.0.0.10"},
	}
	tests := []struct {
		name          string
		obj           runtime.Object
		opts          runtime.Object
		wantRV        string
		wantContinue  string
		wantRemaining *int64
		wantRows      int
		wantHeaders   bool
	}{
		{
			name:        "single object carries its resourceVersion",
			obj:         &svc,
			wantRV:      "41",
			wantRows:    1,
			wantHeaders: true,
		},
		{
			name: "list carries resourceVersion, continue and remainingItemCount",
			obj: &corev1.ServiceList{
				ListMeta: metav1.ListMeta{ResourceVersion: "1234", Continue: "eyJydiI6MTIzNH0", RemainingItemCount: ptr(int64(7))},
				Items:    []corev1.Service{svc, svc},
			},
			wantRV:        "1234",
			wantContinue:  "eyJydiI6MTIzNH0",
			wantRemaining: ptr(int64(7)),
			wantRows:      2,
			wantHeaders:   true,
		},
		{
			name:        "empty list still has headers",
			obj:         &corev1.ServiceList{ListMeta: metav1.ListMeta{ResourceVersion: "9"}},
			wantRV:      "9",
			wantHeaders: true,
		},
		{
			name:        "NoHeaders drops the column definitions",
			obj:         &corev1.ServiceList{Items: []corev1.Service{svc}},
			opts:        &metav1.TableOptions{NoHeaders: true},
			wantRows:    1,
			wantHeaders: false,
		},
		{
			name:        "explicit headers",
			obj:         &svc,
			opts:        &metav1.TableOptions{NoHeaders: false},
			wantRV:      "41",
			wantRows:    1,
			wantHeaders: true,
		},
		{
			name:        "typed nil options",
			obj:         &svc,
			opts:        (*metav1.TableOptions)(nil),
			wantRV:      "41",
			wantRows:    1,
			wantHeaders: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := convert(t, grServices, tt.obj, tt.opts)
			if table.ResourceVersion != tt.wantRV {
				t.Errorf("resourceVersion = %q, want %q", table.ResourceVersion, tt.wantRV)
			}
			if table.Continue != tt.wantContinue {
				t.Errorf("continue = %q, want %q", table.Continue, tt.wantContinue)
			}
			if !reflect.DeepEqual(table.RemainingItemCount, tt.wantRemaining) {
				t.Errorf("remainingItemCount = %v, want %v", table.RemainingItemCount, tt.wantRemaining)
			}
			if len(table.Rows) != tt.wantRows {
				t.Errorf("%d rows, want %d", len(table.Rows), tt.wantRows)
			}
			if got := len(table.ColumnDefinitions) > 0; got != tt.wantHeaders {
				t.Errorf("headers = %v, want %v", got, tt.wantHeaders)
			}
		})
	}
}

func TestListRowsKeepOrderAndPointAtItems(t *testing.T) {
	list := &corev1.ConfigMapList{Items: []corev1.ConfigMap{
		{ObjectMeta: metav1.ObjectMeta{Name: "b"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "a"}},
	}}
	table := convert(t, grConfigMaps, list, nil)
	for i, r := range table.Rows {
		if r.Cells[0] != list.Items[i].Name {
			t.Errorf("row %d is %v, want %s", i, r.Cells[0], list.Items[i].Name)
		}
		if r.Object.Object != &list.Items[i] {
			t.Errorf("row %d object is not list item %d", i, i)
		}
	}
}

func TestConvertErrors(t *testing.T) {
	tests := []struct {
		name    string
		obj     runtime.Object
		opts    runtime.Object
		wantErr string
	}{
		{
			name:    "wrong object type",
			obj:     &corev1.Pod{},
			wantErr: "no table printer for *v1.Pod in services",
		},
		{
			name:    "unknown table options",
			obj:     &corev1.Service{},
			opts:    &metav1.ListOptions{},
			wantErr: "unrecognized type *v1.ListOptions for table options",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := For(grServices).ConvertToTable(context.Background(), tt.obj, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestClockIsReadOncePerTable(t *testing.T) {
	calls := 0
	now := func() time.Time {
		calls++
		return testNow
	}
	list := &corev1.NamespaceList{Items: make([]corev1.Namespace, 5)}
	if _, err := ForClock(grNamespaces, now).ConvertToTable(context.Background(), list, nil); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("clock read %d times, want 1", calls)
	}
}

func TestAge(t *testing.T) {
	tests := []struct {
		name    string
		created metav1.Time
		want    string
	}{
		{name: "zero time", created: metav1.Time{}, want: "<unknown>"},
		{name: "seconds", created: ago(42 * time.Second), want: "42s"},
		{name: "minutes and seconds", created: ago(3*time.Minute + 5*time.Second), want: "3m5s"},
		{name: "hours and minutes", created: ago(5*time.Hour + 10*time.Minute), want: "5h10m"},
		{name: "days and hours", created: ago(50 * time.Hour), want: "2d2h"},
		{name: "days", created: ago(40 * 24 * time.Hour), want: "40d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns", CreationTimestamp: tt.created}}
			if got := row(t, grNamespaces, ns)[2]; got != tt.want {
				t.Errorf("age = %v, want %q", got, tt.want)
			}
		})
	}
}

// TestEveryListType prints a two-item list of every resource and checks one
// row per item, in order, named after it.
func TestEveryListType(t *testing.T) {
	a, b := metav1.ObjectMeta{Name: "a"}, metav1.ObjectMeta{Name: "b"}
	lists := map[schema.GroupResource]runtime.Object{
		grNamespaces:     &corev1.NamespaceList{Items: []corev1.Namespace{{ObjectMeta: a}, {ObjectMeta: b}}},
		grNodes:          &corev1.NodeList{Items: []corev1.Node{{ObjectMeta: a}, {ObjectMeta: b}}},
		grPods:           &corev1.PodList{Items: []corev1.Pod{{ObjectMeta: a}, {ObjectMeta: b}}},
		grServices:       &corev1.ServiceList{Items: []corev1.Service{{ObjectMeta: a}, {ObjectMeta: b}}},
		grEndpoints:      &corev1.EndpointsList{Items: []corev1.Endpoints{{ObjectMeta: a}, {ObjectMeta: b}}},
		grSecrets:        &corev1.SecretList{Items: []corev1.Secret{{ObjectMeta: a}, {ObjectMeta: b}}},
		grConfigMaps:     &corev1.ConfigMapList{Items: []corev1.ConfigMap{{ObjectMeta: a}, {ObjectMeta: b}}},
		grEvents:         &corev1.EventList{Items: []corev1.Event{{ObjectMeta: a}, {ObjectMeta: b}}},
		grEndpointSlices: &discoveryv1.EndpointSliceList{Items: []discoveryv1.EndpointSlice{{ObjectMeta: a}, {ObjectMeta: b}}},
		grIngresses:      &networkingv1.IngressList{Items: []networkingv1.Ingress{{ObjectMeta: a}, {ObjectMeta: b}}},
		grIngressClasses: &networkingv1.IngressClassList{Items: []networkingv1.IngressClass{{ObjectMeta: a}, {ObjectMeta: b}}},
		grServiceCIDRs:   &networkingv1.ServiceCIDRList{Items: []networkingv1.ServiceCIDR{{ObjectMeta: a}, {ObjectMeta: b}}},
		grDeployments:    &appsv1.DeploymentList{Items: []appsv1.Deployment{{ObjectMeta: a}, {ObjectMeta: b}}},
		grReplicaSets:    &appsv1.ReplicaSetList{Items: []appsv1.ReplicaSet{{ObjectMeta: a}, {ObjectMeta: b}}},
		grStatefulSets:   &appsv1.StatefulSetList{Items: []appsv1.StatefulSet{{ObjectMeta: a}, {ObjectMeta: b}}},
		grJobs:           &batchv1.JobList{Items: []batchv1.Job{{ObjectMeta: a}, {ObjectMeta: b}}},
		grCronJobs:       &batchv1.CronJobList{Items: []batchv1.CronJob{{ObjectMeta: a}, {ObjectMeta: b}}},
		grLeases:         &coordinationv1.LeaseList{Items: []coordinationv1.Lease{{ObjectMeta: a}, {ObjectMeta: b}}},
	}
	for gr, list := range lists {
		t.Run(gr.String(), func(t *testing.T) {
			table := convert(t, gr, list, nil)
			nameAt := 0
			for i, c := range table.ColumnDefinitions {
				if c.Name == "Name" {
					nameAt = i
				}
			}
			var names []any
			for _, r := range table.Rows {
				names = append(names, r.Cells[nameAt])
			}
			if want := []any{"a", "b"}; !reflect.DeepEqual(names, want) {
				t.Errorf("row names = %v, want %v", names, want)
			}
		})
	}
}

func TestNilClockMeansWallClock(t *testing.T) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x", CreationTimestamp: metav1.NewTime(time.Now().Add(-time.Hour))}}
	table, err := ForClock(grNamespaces, nil).ConvertToTable(context.Background(), ns, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := table.Rows[0].Cells[2]; got != "60m" {
		t.Errorf("age = %v, want 60m", got)
	}
}

package printers

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/rest"
)

// For returns the table convertor kube-apiserver would use for gr, reading
// the wall clock for AGE-style cells. Resources this package does not print
// get rest.NewDefaultTableConvertor(gr) (NAME and CREATED AT). Call it once
// per resource when wiring its storage; the convertor is stateless and safe
// for concurrent use. It prints the resource's object and list types only and
// returns an error for any other object.
func For(gr schema.GroupResource) rest.TableConvertor {
	return ForClock(gr, time.Now)
}

// ForClock is For with an explicit clock; now is read once per
// ConvertToTable call, so every row of one table is aged against the same
// instant. A nil now means time.Now.
func ForClock(gr schema.GroupResource, now func() time.Time) rest.TableConvertor {
	if now == nil {
		now = time.Now
	}
	printers := map[schema.GroupResource]func() resourcePrinter{
		{Group: "", Resource: "namespaces"}:                      namespacePrinter,
		{Group: "", Resource: "nodes"}:                           nodePrinter,
		{Group: "", Resource: "pods"}:                            podPrinter,
		{Group: "", Resource: "services"}:                        servicePrinter,
		{Group: "", Resource: "endpoints"}:                       endpointsPrinter,
		{Group: "", Resource: "secrets"}:                         secretPrinter,
		{Group: "", Resource: "configmaps"}:                      configMapPrinter,
		{Group: "", Resource: "events"}:                          eventPrinter,
		{Group: "discovery.k8s.io", Resource: "endpointslices"}:  endpointSlicePrinter,
		{Group: "networking.k8s.io", Resource: "ingresses"}:      ingressPrinter,
		{Group: "networking.k8s.io", Resource: "ingressclasses"}: ingressClassPrinter,
		{Group: "networking.k8s.io", Resource: "servicecidrs"}:   serviceCIDRPrinter,
		{Group: "apps", Resource: "deployments"}:                 deploymentPrinter,
		{Group: "apps", Resource: "replicasets"}:                 replicaSetPrinter,
		{Group: "apps", Resource: "statefulsets"}:                statefulSetPrinter,
		{Group: "batch", Resource: "jobs"}:                       jobPrinter,
		{Group: "batch", Resource: "cronjobs"}:                   cronJobPrinter,
		{Group: "coordination.k8s.io", Resource: "leases"}:       leasePrinter,
	}
	build, ok := printers[gr]
	if !ok {
		return rest.NewDefaultTableConvertor(gr)
	}
	return tableConvertor{resource: gr, printer: build(), now: now}
}

// resourcePrinter is what one resource contributes: its columns, in kube's
// order and with kube's priorities, and the rows for an object or a list of
// them. rows reports false when obj is neither the resource's type nor its
// list type.
type resourcePrinter struct {
	columns []metav1.TableColumnDefinition
	rows    func(obj runtime.Object, now time.Time) ([]metav1.TableRow, bool)
}

// rowFunc prints one object. It fills Cells (one per column, wide ones
// included) and, where kube does, Conditions; the caller sets Object.
type rowFunc[PT runtime.Object] func(obj PT, now time.Time) metav1.TableRow

// newPrinter pairs columns with a row function for *T and a list type L whose
// items are Ts.
func newPrinter[T any, PT interface {
	*T
	runtime.Object
}, L runtime.Object](columns []metav1.TableColumnDefinition, items func(L) []T, row rowFunc[PT]) resourcePrinter {
	one := func(obj PT, now time.Time) metav1.TableRow {
		r := row(obj, now)
		r.Object = runtime.RawExtension{Object: obj}
		return r
	}
	return resourcePrinter{
		columns: columns,
		rows: func(obj runtime.Object, now time.Time) ([]metav1.TableRow, bool) {
			switch o := obj.(type) {
			case PT:
				return []metav1.TableRow{one(o, now)}, true
			case L:
				list := items(o)
				rows := make([]metav1.TableRow, 0, len(list))
				for i := range list {
					rows = append(rows, one(PT(&list[i]), now))
				}
				return rows, true
			default:
				return nil, false
			}
		},
	}
}

// tableConvertor implements rest.TableConvertor for one resource the way
// kube-apiserver's printers storage does: every column (wide ones too), no
// headers when asked, and the list or object metadata copied onto the table.
type tableConvertor struct {
	resource schema.GroupResource
	printer  resourcePrinter
	now      func() time.Time
}

var _ rest.TableConvertor = tableConvertor{}

// ConvertToTable prints obj, a single object or a list of the resource.
// tableOptions must be nil or *metav1.TableOptions.
func (c tableConvertor) ConvertToTable(_ context.Context, obj runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	noHeaders := false
	switch opts := tableOptions.(type) {
	case nil:
	case *metav1.TableOptions:
		if opts != nil {
			noHeaders = opts.NoHeaders
		}
	default:
		return nil, fmt.Errorf("unrecognized type %T for table options, can't display tabular output", tableOptions)
	}

	rows, ok := c.printer.rows(obj, c.now())
	if !ok {
		return nil, fmt.Errorf("no table printer for %T in %s", obj, c.resource)
	}
	table := &metav1.Table{Rows: rows}
	if !noHeaders {
		table.ColumnDefinitions = append([]metav1.TableColumnDefinition(nil), c.printer.columns...)
	}
	if m, err := meta.ListAccessor(obj); err == nil {
		table.ResourceVersion = m.GetResourceVersion()
		table.Continue = m.GetContinue()
		table.RemainingItemCount = m.GetRemainingItemCount()
	} else if m, err := meta.CommonAccessor(obj); err == nil {
		table.ResourceVersion = m.GetResourceVersion()
	}
	return table, nil
}

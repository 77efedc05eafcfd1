package printers

import (
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Printer for coordination.k8s.io/v1 Leases.

func leasePrinter() resourcePrinter {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Holder", "string", coordinationv1.LeaseSpec{}.SwaggerDoc()["holderIdentity"]),
		ageColumn(),
	}
	return newPrinter(columns,
		func(l *coordinationv1.LeaseList) []coordinationv1.Lease { return l.Items },
		func(l *coordinationv1.Lease, now time.Time) metav1.TableRow {
			holder := ""
			if l.Spec.HolderIdentity != nil {
				holder = *l.Spec.HolderIdentity
			}
			return metav1.TableRow{Cells: []any{l.Name, holder, since(l.CreationTimestamp, now)}}
		})
}

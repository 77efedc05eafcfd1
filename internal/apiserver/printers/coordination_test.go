package printers

import (
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
)

func TestLeaseRow(t *testing.T) {
	tests := []struct {
		name  string
		lease *coordinationv1.Lease
		want  []any
	}{
		{
			name: "held",
			lease: &coordinationv1.Lease{
				ObjectMeta: objectMeta("kube-controller-manager", 2*time.Hour),
				Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptr("cp-1_5b0e")},
			},
			want: []any{"kube-controller-manager", "cp-1_5b0e", "120m"},
		},
		{
			name:  "unheld",
			lease: &coordinationv1.Lease{ObjectMeta: objectMeta("free", time.Minute)},
			want:  []any{"free", "", "60s"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertCells(t, row(t, grLeases, tt.lease), tt.want)
		})
	}
}

package printers

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Printers for apps/v1 Deployments, ReplicaSets and StatefulSets. The
// descriptions come from extensions/v1beta1, as in kube-apiserver.

// replicas dereferences spec.replicas; unset means the API default of 1.
func replicas(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

func deploymentPrinter() resourcePrinter {
	status := extensionsv1beta1.DeploymentStatus{}.SwaggerDoc()
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Ready", "string", "Number of the pod with ready state"),
		column("Up-to-date", "string", status["updatedReplicas"]),
		column("Available", "string", status["availableReplicas"]),
		ageColumn(),
		containersColumn(),
		imagesColumn(),
		wideColumn("Selector", "string", extensionsv1beta1.DeploymentSpec{}.SwaggerDoc()["selector"]),
	}
	return newPrinter(columns,
		func(l *appsv1.DeploymentList) []appsv1.Deployment { return l.Items },
		func(d *appsv1.Deployment, now time.Time) metav1.TableRow {
			names, images := containerCells(d.Spec.Template.Spec.Containers)
			return metav1.TableRow{Cells: []any{
				d.Name, fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, replicas(d.Spec.Replicas)),
				int64(d.Status.UpdatedReplicas), int64(d.Status.AvailableReplicas), since(d.CreationTimestamp, now),
				names, images, deploymentSelector(d.Spec.Selector),
			}}
		})
}

// deploymentSelector prints the selector in label-selector syntax: empty
// for a nil or empty selector, <invalid> for one that does not parse.
func deploymentSelector(ls *metav1.LabelSelector) string {
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return "<invalid>"
	}
	return sel.String()
}

func replicaSetPrinter() resourcePrinter {
	spec := extensionsv1beta1.ReplicaSetSpec{}.SwaggerDoc()
	status := extensionsv1beta1.ReplicaSetStatus{}.SwaggerDoc()
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Desired", "integer", spec["replicas"]),
		column("Current", "integer", status["replicas"]),
		column("Ready", "integer", status["readyReplicas"]),
		ageColumn(),
		containersColumn(),
		imagesColumn(),
		wideColumn("Selector", "string", spec["selector"]),
	}
	return newPrinter(columns,
		func(l *appsv1.ReplicaSetList) []appsv1.ReplicaSet { return l.Items },
		func(rs *appsv1.ReplicaSet, now time.Time) metav1.TableRow {
			names, images := containerCells(rs.Spec.Template.Spec.Containers)
			return metav1.TableRow{Cells: []any{
				rs.Name, int64(replicas(rs.Spec.Replicas)), int64(rs.Status.Replicas), int64(rs.Status.ReadyReplicas),
				since(rs.CreationTimestamp, now), names, images, metav1.FormatLabelSelector(rs.Spec.Selector),
			}}
		})
}

func statefulSetPrinter() resourcePrinter {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Ready", "string", "Number of the pod with ready state"),
		ageColumn(),
		containersColumn(),
		imagesColumn(),
	}
	return newPrinter(columns,
		func(l *appsv1.StatefulSetList) []appsv1.StatefulSet { return l.Items },
		func(ss *appsv1.StatefulSet, now time.Time) metav1.TableRow {
			names, images := containerCells(ss.Spec.Template.Spec.Containers)
			return metav1.TableRow{Cells: []any{
				ss.Name, fmt.Sprintf("%d/%d", ss.Status.ReadyReplicas, replicas(ss.Spec.Replicas)),
				since(ss.CreationTimestamp, now), names, images,
			}}
		})
}

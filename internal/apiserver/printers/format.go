package printers

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
)

// Cell values kube prints for missing data.
const (
	none    = "<none>"
	unknown = "<unknown>"
	unset   = "<unset>"
)

// objectMetaDoc is the field documentation kube uses for NAME and AGE.
var objectMetaDoc = metav1.ObjectMeta{}.SwaggerDoc()

// column is a priority 0 column: shown by plain `kubectl get`.
func column(name, typ, description string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: typ, Description: description}
}

// wideColumn is a priority 1 column: shown only by `kubectl get -o wide`.
func wideColumn(name, typ, description string) metav1.TableColumnDefinition {
	c := column(name, typ, description)
	c.Priority = 1
	return c
}

// nameColumn is the NAME column every kube printer starts with.
func nameColumn() metav1.TableColumnDefinition {
	c := column("Name", "string", objectMetaDoc["name"])
	c.Format = "name"
	return c
}

// ageColumn is the AGE column, aged from metadata.creationTimestamp.
func ageColumn() metav1.TableColumnDefinition {
	return column("Age", "string", objectMetaDoc["creationTimestamp"])
}

// The wide container columns shared by the workload printers.
func containersColumn() metav1.TableColumnDefinition {
	return wideColumn("Containers", "string", "Names of each container in the template.")
}

func imagesColumn() metav1.TableColumnDefinition {
	return wideColumn("Images", "string", "Images referenced by each container in the template.")
}

// since is kube's translateTimestampSince: the human-readable time from t to
// now ("5m", "2d3h"), or <unknown> for the zero time.
func since(t metav1.Time, now time.Time) string {
	if t.IsZero() {
		return unknown
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

// sinceMicro is since for a MicroTime.
func sinceMicro(t metav1.MicroTime, now time.Time) string {
	if t.IsZero() {
		return unknown
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

// containerCells joins container names and images with "," in spec order,
// as the CONTAINERS and IMAGES cells.
func containerCells(containers []corev1.Container) (names, images string) {
	n := make([]string, len(containers))
	im := make([]string, len(containers))
	for i, c := range containers {
		n[i], im[i] = c.Name, c.Image
	}
	return strings.Join(n, ","), strings.Join(im, ",")
}

// maxListed is how many entries kube lists in one cell before
// " + N more...".
const maxListed = 3

// truncatedList joins shown, the first (at most maxListed) of total
// entries, with ",", followed by " + N more..." where N is total minus
// maxListed when total exceeds maxListed. An empty cell reads emptyAs.
func truncatedList(shown []string, total int, emptyAs string) string {
	s := strings.Join(shown, ",")
	if total > maxListed {
		return fmt.Sprintf("%s + %d more...", s, total-maxListed)
	}
	if s == "" {
		return emptyAs
	}
	return s
}

// boolPtrCell prints an optional bool as kube does: True, False or <unset>.
func boolPtrCell(b *bool) string {
	switch {
	case b == nil:
		return unset
	case *b:
		return "True"
	default:
		return "False"
	}
}

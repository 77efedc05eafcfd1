package statefulset

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/utils/ptr"
)

// controllerKind is the kind StatefulSet pods' ownerReferences name.
var controllerKind = appsv1.SchemeGroupVersion.WithKind("StatefulSet")

// ordinalOf returns the ordinal in a member pod's name <set>-<n>, or -1
// when the name is not one of set's.
func ordinalOf(set *appsv1.StatefulSet, pod *corev1.Pod) int {
	rest, ok := strings.CutPrefix(pod.Name, set.Name+"-")
	if !ok || rest == "" || (len(rest) > 1 && rest[0] == '0') {
		return -1
	}
	n, err := strconv.ParseInt(rest, 10, 32)
	if err != nil || n < 0 {
		return -1
	}
	return int(n)
}

func podName(set *appsv1.StatefulSet, ordinal int) string {
	return fmt.Sprintf("%s-%d", set.Name, ordinal)
}

// startOrdinal is spec.ordinals.start (0 when unset).
func startOrdinal(set *appsv1.StatefulSet) int {
	if set.Spec.Ordinals != nil {
		return int(set.Spec.Ordinals.Start)
	}
	return 0
}

func replicasOf(set *appsv1.StatefulSet) int {
	return int(ptr.Deref(set.Spec.Replicas, 1))
}

// revisionName is the name kube gives the ControllerRevision of set's
// current template: <set>-<hash>. The hash covers spec.template only (what
// a revision records) and is encoded as kube encodes its hashes.
func revisionName(set *appsv1.StatefulSet) string {
	data, _ := json.Marshal(set.Spec.Template)
	h := fnv.New32a()
	_, _ = h.Write(data)
	return set.Name + "-" + rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}

// newPod builds the member pod with the given ordinal from template, at
// revision rev.
func newPod(set *appsv1.StatefulSet, template *corev1.PodTemplateSpec, rev string, ordinal int) *corev1.Pod {
	name := podName(set, ordinal)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:            name,
			Namespace:       set.Namespace,
			Labels:          maps.Clone(template.Labels),
			Annotations:     maps.Clone(template.Annotations),
			Finalizers:      append([]string(nil), template.Finalizers...),
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(set, controllerKind)},
		},
		Spec: *template.Spec.DeepCopy(),
	}
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	setIdentity(set, pod, ordinal)
	pod.Labels[appsv1.ControllerRevisionHashLabelKey] = rev
	pod.Spec.Hostname = name
	pod.Spec.Subdomain = set.Spec.ServiceName
	setStorage(set, pod, ordinal)
	return pod
}

// setIdentity sets the labels that identify a member.
func setIdentity(set *appsv1.StatefulSet, pod *corev1.Pod, ordinal int) {
	pod.Labels[appsv1.StatefulSetPodNameLabel] = podName(set, ordinal)
	pod.Labels[appsv1.PodIndexLabel] = strconv.Itoa(ordinal)
}

// identityMatches reports whether a member carries its identity labels.
func identityMatches(set *appsv1.StatefulSet, pod *corev1.Pod, ordinal int) bool {
	return pod.Labels[appsv1.StatefulSetPodNameLabel] == podName(set, ordinal) &&
		pod.Labels[appsv1.PodIndexLabel] == strconv.Itoa(ordinal)
}

// setStorage makes the pod's volumes name the claims of the set's
// volumeClaimTemplates, <template>-<set>-<ordinal>, replacing template
// volumes of the same name.
func setStorage(set *appsv1.StatefulSet, pod *corev1.Pod, ordinal int) {
	if len(set.Spec.VolumeClaimTemplates) == 0 {
		return
	}
	claims := map[string]bool{}
	var volumes []corev1.Volume
	for _, t := range set.Spec.VolumeClaimTemplates {
		claims[t.Name] = true
		volumes = append(volumes, corev1.Volume{
			Name: t.Name,
			VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{
				ClaimName: fmt.Sprintf("%s-%s-%d", t.Name, set.Name, ordinal),
			}},
		})
	}
	for _, v := range pod.Spec.Volumes {
		if !claims[v.Name] {
			volumes = append(volumes, v)
		}
	}
	pod.Spec.Volumes = volumes
}

func revisionOf(pod *corev1.Pod) string {
	return pod.Labels[appsv1.ControllerRevisionHashLabelKey]
}

func isTerminating(pod *corev1.Pod) bool { return pod.DeletionTimestamp != nil }

func isFinished(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded
}

// readySince returns when the pod's Ready condition turned True, and
// whether it is True.
func readySince(pod *corev1.Pod) (time.Time, bool) {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.LastTransitionTime.Time, c.Status == corev1.ConditionTrue
		}
	}
	return time.Time{}, false
}

func isRunningAndReady(pod *corev1.Pod) bool {
	_, ready := readySince(pod)
	return pod.Status.Phase == corev1.PodRunning && ready
}

// availableIn returns 0 when the pod is running, ready and has been ready
// for minReady seconds; otherwise how long until it will be if it stays
// ready, or -1 when it is not ready at all.
func availableIn(pod *corev1.Pod, minReady int32, now time.Time) time.Duration {
	since, ready := readySince(pod)
	if pod.Status.Phase != corev1.PodRunning || !ready {
		return -1
	}
	if minReady <= 0 {
		return 0
	}
	left := since.Add(time.Duration(minReady) * time.Second).Sub(now)
	if left <= 0 || since.IsZero() {
		return 0
	}
	return left
}

func isAvailable(pod *corev1.Pod, minReady int32, now time.Time) bool {
	return availableIn(pod, minReady, now) == 0
}

// isUnavailable is kube's test for the maxUnavailable budget: missing,
// terminating, or not available.
func isUnavailable(pod *corev1.Pod, minReady int32, now time.Time) bool {
	return pod == nil || isTerminating(pod) || !isAvailable(pod, minReady, now)
}

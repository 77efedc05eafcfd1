package deployment

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/rand"
)

// The annotations and label the controller maintains, as kube names them.
const (
	// RevisionAnnotation numbers a ReplicaSet's place in the rollout
	// history; the Deployment carries its new ReplicaSet's.
	RevisionAnnotation = "deployment.kubernetes.io/revision"
	// RevisionHistoryAnnotation lists the revisions a ReplicaSet served
	// before it was rolled back to.
	RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
	// DesiredReplicasAnnotation is the Deployment's spec.replicas when the
	// ReplicaSet was last scaled, to tell scaling from rollouts.
	DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
	// MaxReplicasAnnotation is spec.replicas + maxSurge at that time, the
	// base of proportional scaling.
	MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas"
	// HashLabel tells a Deployment's ReplicaSets (and their pods) apart.
	HashLabel = appsv1.DefaultDeploymentUniqueLabelKey
	// lastAppliedAnnotation is kubectl apply's; never copied to ReplicaSets.
	lastAppliedAnnotation = corev1.LastAppliedConfigAnnotation
	// rollbackToAnnotation is the deprecated in-object rollback request.
	rollbackToAnnotation = "deprecated.deployment.rollback.to"
	// maxRevisionHistoryChars bounds the revision-history annotation.
	maxRevisionHistoryChars = 2000
)

// Condition reasons and the messages kube uses with them.
const (
	reasonNewRSCreated       = "NewReplicaSetCreated"
	reasonFoundNewRS         = "FoundNewReplicaSet"
	reasonRSUpdated          = "ReplicaSetUpdated"
	reasonNewRSAvailable     = "NewReplicaSetAvailable"
	reasonTimedOut           = "ProgressDeadlineExceeded"
	reasonFailedRSCreate     = "ReplicaSetCreateError"
	reasonPaused             = "DeploymentPaused"
	reasonResumed            = "DeploymentResumed"
	reasonMinimumAvailable   = "MinimumReplicasAvailable"
	reasonMinimumUnavailable = "MinimumReplicasUnavailable"
)

// skipCopy are the Deployment annotations not copied to its ReplicaSets.
var skipCopy = map[string]bool{
	lastAppliedAnnotation:     true,
	RevisionAnnotation:        true,
	RevisionHistoryAnnotation: true,
	DesiredReplicasAnnotation: true,
	MaxReplicasAnnotation:     true,
	rollbackToAnnotation:      true,
}

func replicas(d *appsv1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}

func rsReplicas(rs *appsv1.ReplicaSet) int32 {
	if rs == nil || rs.Spec.Replicas == nil {
		return 0
	}
	return *rs.Spec.Replicas
}

// templateHash names a template: an FNV-32a hash of its JSON encoding (Go
// encodes struct fields in order and map keys sorted, so it is stable) and
// of the collision count, written in the characters rand.SafeEncodeString
// uses so it never spells words.
func templateHash(t *corev1.PodTemplateSpec, collisions *int32) string {
	h := fnv.New32a()
	data, _ := json.Marshal(t)
	h.Write(data)
	if collisions != nil {
		var b [8]byte
		binary.LittleEndian.PutUint32(b[:], uint32(*collisions))
		h.Write(b[:])
	}
	return rand.SafeEncodeString(strconv.FormatUint(uint64(h.Sum32()), 10))
}

// equalIgnoreHash compares two templates without the hash label.
func equalIgnoreHash(a, b *corev1.PodTemplateSpec) bool {
	a, b = a.DeepCopy(), b.DeepCopy()
	delete(a.Labels, HashLabel)
	delete(b.Labels, HashLabel)
	if len(a.Labels) == 0 {
		a.Labels = nil
	}
	if len(b.Labels) == 0 {
		b.Labels = nil
	}
	return equality.Semantic.DeepEqual(a, b)
}

// withLabel returns a copy of m with k=v.
func withLabel(m map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for key, val := range m {
		out[key] = val
	}
	out[k] = v
	return out
}

// selectorWithLabel returns a copy of sel that also requires k=v.
func selectorWithLabel(sel *metav1.LabelSelector, k, v string) *metav1.LabelSelector {
	out := sel.DeepCopy()
	out.MatchLabels = withLabel(out.MatchLabels, k, v)
	return out
}

// findNewRS returns the oldest ReplicaSet whose template is the
// Deployment's (ignoring the hash label), or nil.
func findNewRS(d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	sorted := append([]*appsv1.ReplicaSet(nil), rsList...)
	sortByCreation(sorted)
	for _, rs := range sorted {
		if equalIgnoreHash(&rs.Spec.Template, &d.Spec.Template) {
			return rs
		}
	}
	return nil
}

// findOldRSs splits rsList (without the new ReplicaSet) into those that
// still have replicas and all of them.
func findOldRSs(d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) (withReplicas, all []*appsv1.ReplicaSet) {
	newRS := findNewRS(d, rsList)
	for _, rs := range rsList {
		if newRS != nil && rs.UID == newRS.UID {
			continue
		}
		all = append(all, rs)
		if rsReplicas(rs) != 0 {
			withReplicas = append(withReplicas, rs)
		}
	}
	return withReplicas, all
}

// revision parses rs's revision annotation (0 when absent).
func revision(rs *appsv1.ReplicaSet) (int64, error) {
	v, ok := rs.Annotations[RevisionAnnotation]
	if !ok {
		return 0, nil
	}
	return strconv.ParseInt(v, 10, 64)
}

func maxRevision(rsList []*appsv1.ReplicaSet) int64 {
	var m int64
	for _, rs := range rsList {
		if v, err := revision(rs); err == nil && v > m {
			m = v
		}
	}
	return m
}

// copyAnnotations copies d's annotations except the controller's own and
// kubectl's last-applied to rs; it reports whether rs changed.
func copyAnnotations(d *appsv1.Deployment, rs *appsv1.ReplicaSet) bool {
	changed := false
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	for k, v := range d.Annotations {
		if skipCopy[k] {
			continue
		}
		if cur, ok := rs.Annotations[k]; ok && cur == v {
			continue
		}
		rs.Annotations[k] = v
		changed = true
	}
	return changed
}

// setNewRSAnnotations gives the new ReplicaSet the Deployment's annotations
// and revision newRevision (never lowering it). A ReplicaSet moving to a
// higher revision (a rollback to it) keeps the revisions it had in its
// history. A ReplicaSet about to be created also gets the replica
// annotations. It reports whether rs changed.
func setNewRSAnnotations(d *appsv1.Deployment, rs *appsv1.ReplicaSet, newRevision int64, exists bool) bool {
	changed := copyAnnotations(d, rs)
	oldRevision, had := rs.Annotations[RevisionAnnotation]
	old, err := strconv.ParseInt(oldRevision, 10, 64)
	if err != nil {
		if oldRevision != "" {
			return false
		}
		old = 0
	}
	if old < newRevision {
		rs.Annotations[RevisionAnnotation] = strconv.FormatInt(newRevision, 10)
		changed = true
		if had {
			appendRevisionHistory(rs, oldRevision)
		}
	}
	if !exists && setReplicasAnnotations(rs, replicas(d), replicas(d)+maxSurge(d)) {
		changed = true
	}
	return changed
}

// appendRevisionHistory adds old to rs's revision history, dropping the
// oldest entries to stay within maxRevisionHistoryChars.
func appendRevisionHistory(rs *appsv1.ReplicaSet, old string) {
	history := rs.Annotations[RevisionHistoryAnnotation]
	if history == "" {
		rs.Annotations[RevisionHistoryAnnotation] = old
		return
	}
	entries := append(strings.Split(history, ","), old)
	for len(strings.Join(entries, ",")) > maxRevisionHistoryChars && len(entries) > 1 {
		entries = entries[1:]
	}
	if len(strings.Join(entries, ",")) <= maxRevisionHistoryChars {
		rs.Annotations[RevisionHistoryAnnotation] = strings.Join(entries, ",")
	}
}

// setReplicasAnnotations records desired and max on rs; it reports whether
// they changed.
func setReplicasAnnotations(rs *appsv1.ReplicaSet, desired, max int32) bool {
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	changed := false
	for k, v := range map[string]string{
		DesiredReplicasAnnotation: strconv.Itoa(int(desired)),
		MaxReplicasAnnotation:     strconv.Itoa(int(max)),
	} {
		if rs.Annotations[k] != v {
			rs.Annotations[k] = v
			changed = true
		}
	}
	return changed
}

func intAnnotation(rs *appsv1.ReplicaSet, key string) (int32, bool) {
	v, ok := rs.Annotations[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, false
	}
	return int32(n), true
}

// setDeploymentRevision sets d's revision annotation; it reports whether it
// changed.
func setDeploymentRevision(d *appsv1.Deployment, rev string) bool {
	if d.Annotations[RevisionAnnotation] == rev {
		return false
	}
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[RevisionAnnotation] = rev
	return true
}

func isRollingUpdate(d *appsv1.Deployment) bool {
	return d.Spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType
}

// fenceposts resolves maxSurge and maxUnavailable against desired: surge
// rounds up, unavailable down, and both zero becomes unavailable 1 so a
// rollout can make progress.
func fenceposts(surge, unavailable *intstr.IntOrString, desired int32) (int32, int32, error) {
	s, err := scaled(surge, desired, true)
	if err != nil {
		return 0, 0, err
	}
	u, err := scaled(unavailable, desired, false)
	if err != nil {
		return 0, 0, err
	}
	if s == 0 && u == 0 {
		u = 1
	}
	return s, u, nil
}

func scaled(v *intstr.IntOrString, total int32, roundUp bool) (int32, error) {
	if v == nil {
		return 0, nil
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(v, int(total), roundUp)
	if err != nil {
		return 0, err
	}
	return int32(n), nil
}

// maxSurge is how many pods over spec.replicas a rolling update may run.
func maxSurge(d *appsv1.Deployment) int32 {
	if !isRollingUpdate(d) || d.Spec.Strategy.RollingUpdate == nil {
		return 0
	}
	s, _, _ := fenceposts(d.Spec.Strategy.RollingUpdate.MaxSurge, d.Spec.Strategy.RollingUpdate.MaxUnavailable, replicas(d))
	return s
}

// maxUnavailable is how many of spec.replicas a rolling update may lack,
// never more than spec.replicas.
func maxUnavailable(d *appsv1.Deployment) int32 {
	if !isRollingUpdate(d) || d.Spec.Strategy.RollingUpdate == nil || replicas(d) == 0 {
		return 0
	}
	_, u, _ := fenceposts(d.Spec.Strategy.RollingUpdate.MaxSurge, d.Spec.Strategy.RollingUpdate.MaxUnavailable, replicas(d))
	return min(u, replicas(d))
}

// newRSReplicas is how many replicas the new ReplicaSet should have now.
func newRSReplicas(d *appsv1.Deployment, allRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) (int32, error) {
	switch d.Spec.Strategy.Type {
	case appsv1.RollingUpdateDeploymentStrategyType:
		var surge *intstr.IntOrString
		if d.Spec.Strategy.RollingUpdate != nil {
			surge = d.Spec.Strategy.RollingUpdate.MaxSurge
		}
		s, err := scaled(surge, replicas(d), true)
		if err != nil {
			return 0, err
		}
		current := specReplicas(allRSs)
		maxTotal := replicas(d) + s
		if current >= maxTotal {
			return rsReplicas(newRS), nil
		}
		up := min(maxTotal-current, replicas(d)-rsReplicas(newRS))
		return rsReplicas(newRS) + up, nil
	case appsv1.RecreateDeploymentStrategyType:
		return replicas(d), nil
	default:
		return 0, fmt.Errorf("deployment type %v isn't supported", d.Spec.Strategy.Type)
	}
}

func specReplicas(rsList []*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rsList {
		n += rsReplicas(rs)
	}
	return n
}

func statusReplicas(rsList []*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rsList {
		if rs != nil {
			n += rs.Status.Replicas
		}
	}
	return n
}

func readyReplicas(rsList []*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rsList {
		if rs != nil {
			n += rs.Status.ReadyReplicas
		}
	}
	return n
}

func availableReplicas(rsList []*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rsList {
		if rs != nil {
			n += rs.Status.AvailableReplicas
		}
	}
	return n
}

// terminatingReplicas sums the ReplicaSets' terminating pods; unknown (nil)
// when a ReplicaSet the controller has synced does not report them.
func terminatingReplicas(rsList []*appsv1.ReplicaSet) *int32 {
	var n int32
	for _, rs := range rsList {
		switch {
		case rs == nil:
		case rs.Status.TerminatingReplicas != nil:
			n += *rs.Status.TerminatingReplicas
		case rs.Status.ObservedGeneration == 0:
			// Never synced: nothing to report yet.
		default:
			return nil
		}
	}
	return &n
}

// active keeps the ReplicaSets with replicas.
func active(rsList []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	var out []*appsv1.ReplicaSet
	for _, rs := range rsList {
		if rsReplicas(rs) > 0 {
			out = append(out, rs)
		}
	}
	return out
}

// sortByCreation orders oldest first, then by name.
func sortByCreation(rsList []*appsv1.ReplicaSet) {
	sort.SliceStable(rsList, func(i, j int) bool { return olderRS(rsList[i], rsList[j]) })
}

func olderRS(a, b *appsv1.ReplicaSet) bool {
	if a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.Name < b.Name
	}
	return a.CreationTimestamp.Before(&b.CreationTimestamp)
}

// sortBySize orders largest first; equal sizes newer first when newerFirst,
// older first otherwise.
func sortBySize(rsList []*appsv1.ReplicaSet, newerFirst bool) {
	sort.SliceStable(rsList, func(i, j int) bool {
		a, b := rsList[i], rsList[j]
		if rsReplicas(a) != rsReplicas(b) {
			return rsReplicas(a) > rsReplicas(b)
		}
		if newerFirst {
			return olderRS(b, a)
		}
		return olderRS(a, b)
	})
}

// sortByRevision orders lowest revision first, then oldest.
func sortByRevision(rsList []*appsv1.ReplicaSet) {
	sort.SliceStable(rsList, func(i, j int) bool {
		ri, _ := revision(rsList[i])
		rj, _ := revision(rsList[j])
		if ri == rj {
			return olderRS(rsList[i], rsList[j])
		}
		return ri < rj
	})
}

// activeOrLatest returns the only ReplicaSet with replicas, or the newest
// when none has any; nil when several have.
func activeOrLatest(newRS *appsv1.ReplicaSet, oldRSs []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	if newRS == nil && len(oldRSs) == 0 {
		return nil
	}
	olds := append([]*appsv1.ReplicaSet(nil), oldRSs...)
	sort.SliceStable(olds, func(i, j int) bool { return olderRS(olds[j], olds[i]) })
	all := active(append(olds, newRS))
	switch len(all) {
	case 0:
		if newRS != nil {
			return newRS
		}
		return olds[0]
	case 1:
		return all[0]
	default:
		return nil
	}
}

// saturated reports whether rs runs all of d's replicas, available.
func saturated(d *appsv1.Deployment, rs *appsv1.ReplicaSet) bool {
	if rs == nil {
		return false
	}
	desired, ok := intAnnotation(rs, DesiredReplicasAnnotation)
	return ok && desired == replicas(d) && rsReplicas(rs) == replicas(d) && rs.Status.AvailableReplicas == replicas(d)
}

// proportion is how many of the replicas still to add (or remove, when
// negative) go to rs during proportional scaling.
func proportion(rs *appsv1.ReplicaSet, d *appsv1.Deployment, toAdd, added int32) int32 {
	if rs == nil || rsReplicas(rs) == 0 || toAdd == 0 || toAdd == added {
		return 0
	}
	share := fraction(rs, d)
	allowed := toAdd - added
	if toAdd > 0 {
		return min(share, allowed)
	}
	return max(share, allowed)
}

// fraction is rs's size scaled by the Deployment's new size over the size
// it was last scaled for, minus its size.
func fraction(rs *appsv1.ReplicaSet, d *appsv1.Deployment) int32 {
	if replicas(d) == 0 {
		return -rsReplicas(rs)
	}
	target := replicas(d) + maxSurge(d)
	annotated, ok := intAnnotation(rs, MaxReplicasAnnotation)
	if !ok || annotated == 0 {
		annotated = d.Status.Replicas
	}
	if annotated == 0 {
		return 0
	}
	size := float64(rsReplicas(rs)*target) / float64(annotated)
	return int32(math.Round(size)) - rsReplicas(rs)
}

// hasProgressDeadline reports whether d tracks progress (kube treats
// MaxInt32 as "never").
func hasProgressDeadline(d *appsv1.Deployment) bool {
	return d.Spec.ProgressDeadlineSeconds != nil && *d.Spec.ProgressDeadlineSeconds != math.MaxInt32
}

// hasRevisionHistoryLimit reports whether old ReplicaSets are cleaned up.
func hasRevisionHistoryLimit(d *appsv1.Deployment) bool {
	return d.Spec.RevisionHistoryLimit != nil && *d.Spec.RevisionHistoryLimit != math.MaxInt32
}

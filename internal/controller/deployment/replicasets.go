package deployment

import (
	"math"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
)

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

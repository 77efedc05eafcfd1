package garbagecollector

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/metadata/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
)

var (
	deployments = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	replicasets = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}
	pods        = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	configmaps  = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	namespaces  = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	nodes       = schema.GroupVersionResource{Version: "v1", Resource: "nodes"}
)

var testResources = []Resource{
	{GVR: deployments, Kind: "Deployment", Namespaced: true},
	{GVR: replicasets, Kind: "ReplicaSet", Namespaced: true},
	{GVR: pods, Kind: "Pod", Namespaced: true},
	{GVR: configmaps, Kind: "ConfigMap", Namespaced: true},
	{GVR: namespaces, Kind: "Namespace"},
	{GVR: nodes, Kind: "Node"},
}

type objOpt func(*metav1.PartialObjectMetadata)

func obj(apiVersion, kind, ns, name string, opts ...objOpt) *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{APIVersion: apiVersion, Kind: kind},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(name + "-uid"), ResourceVersion: "1"},
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

// ownedBy adds a controller reference (blocking owner deletion) to owner.
func ownedBy(owner *metav1.PartialObjectMetadata) objOpt {
	return func(m *metav1.PartialObjectMetadata) {
		m.OwnerReferences = append(m.OwnerReferences, metav1.OwnerReference{
			APIVersion: owner.APIVersion, Kind: owner.Kind, Name: owner.Name, UID: owner.UID,
			Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
		})
	}
}

// refTo adds a plain reference to a possibly missing owner.
func refTo(apiVersion, kind, name string) objOpt {
	return func(m *metav1.PartialObjectMetadata) {
		m.OwnerReferences = append(m.OwnerReferences, metav1.OwnerReference{
			APIVersion: apiVersion, Kind: kind, Name: name, UID: types.UID(name + "-uid"),
		})
	}
}

func deleting(finalizers ...string) objOpt {
	return func(m *metav1.PartialObjectMetadata) {
		m.DeletionTimestamp = ptr.To(metav1.Now())
		m.Finalizers = finalizers
	}
}

func startGC(t *testing.T, objs ...runtime.Object) *fake.FakeMetadataClient {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	client := fake.NewSimpleMetadataClient(scheme, objs...)
	c := New(client, nil, slog.New(slog.DiscardHandler))
	c.discover = func() ([]Resource, error) { return testResources, nil }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := c.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return client
}

func get(t *testing.T, client *fake.FakeMetadataClient, gvr schema.GroupVersionResource, ns, name string) *metav1.PartialObjectMetadata {
	t.Helper()
	m, err := client.Resource(gvr).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// settle waits long enough for a wrongful deletion to have happened.
func settle() { time.Sleep(300 * time.Millisecond) }

func TestBackgroundDeletesDependentsOfMissingOwners(t *testing.T) {
	// The Deployment is gone; its ReplicaSet and that one's pods follow.
	gone := obj("apps/v1", "Deployment", "default", "web")
	rs := obj("apps/v1", "ReplicaSet", "default", "web-abc", ownedBy(gone))
	p1 := obj("v1", "Pod", "default", "web-abc-1", ownedBy(rs))
	p2 := obj("v1", "Pod", "default", "web-abc-2", ownedBy(rs))
	// Survivors: no owner; a live owner; an owner recreated under the same
	// name keeps nothing of the old one's.
	alone := obj("v1", "ConfigMap", "default", "alone")
	liveOwner := obj("apps/v1", "Deployment", "default", "live")
	kept := obj("v1", "ConfigMap", "default", "kept", ownedBy(liveOwner))
	reborn := obj("apps/v1", "Deployment", "default", "reborn")
	stale := obj("v1", "ConfigMap", "default", "stale", refTo("apps/v1", "Deployment", "reborn"))
	stale.OwnerReferences[0].UID = "old-reborn-uid"
	client := startGC(t, rs, p1, p2, alone, liveOwner, kept, reborn, stale)

	eventually(t, "the ReplicaSet and its pods to be deleted", func() bool {
		return get(t, client, replicasets, "default", "web-abc") == nil &&
			get(t, client, pods, "default", "web-abc-1") == nil && get(t, client, pods, "default", "web-abc-2") == nil
	})
	eventually(t, "the dependent of a replaced owner to be deleted", func() bool {
		return get(t, client, configmaps, "default", "stale") == nil
	})
	settle()
	for _, name := range []string{"alone", "kept"} {
		if get(t, client, configmaps, "default", name) == nil {
			t.Fatalf("%s was deleted", name)
		}
	}
	for _, a := range client.Actions() {
		if da, ok := a.(clienttesting.DeleteAction); ok {
			opts := da.GetDeleteOptions()
			if opts.Preconditions == nil || opts.Preconditions.UID == nil || ptr.Deref(opts.PropagationPolicy, "") != metav1.DeletePropagationBackground {
				t.Fatalf("delete of %s without UID precondition or background propagation: %+v", da.GetName(), opts)
			}
		}
	}
}

func TestOrphanFinalizer(t *testing.T) {
	owner := obj("apps/v1", "ReplicaSet", "default", "web-abc", deleting(metav1.FinalizerOrphanDependents, "other.example/keep"))
	other := obj("v1", "ConfigMap", "default", "other-owner")
	p1 := obj("v1", "Pod", "default", "p1", ownedBy(owner))
	p2 := obj("v1", "Pod", "default", "p2", ownedBy(other), ownedBy(owner))
	client := startGC(t, owner, other, p1, p2)

	eventually(t, "the orphan finalizer to be removed", func() bool {
		m := get(t, client, replicasets, "default", "web-abc")
		return m != nil && !hasFinalizer(m, metav1.FinalizerOrphanDependents)
	})
	if m := get(t, client, replicasets, "default", "web-abc"); !slices.Equal(m.Finalizers, []string{"other.example/keep"}) {
		t.Fatalf("finalizers %v", m.Finalizers)
	}
	settle()
	m1, m2 := get(t, client, pods, "default", "p1"), get(t, client, pods, "default", "p2")
	if m1 == nil || m2 == nil {
		t.Fatal("an orphaned dependent was deleted")
	}
	if len(m1.OwnerReferences) != 0 {
		t.Fatalf("p1 references %v", m1.OwnerReferences)
	}
	if len(m2.OwnerReferences) != 1 || m2.OwnerReferences[0].UID != other.UID {
		t.Fatalf("p2 references %v", m2.OwnerReferences)
	}
	// Merge patches carry the resourceVersion they were computed from.
	for _, a := range client.Actions() {
		if pa, ok := a.(clienttesting.PatchAction); ok {
			if pa.GetPatchType() != types.MergePatchType || !strings.Contains(string(pa.GetPatch()), `"resourceVersion":"`) {
				t.Fatalf("patch %s %s", pa.GetPatchType(), pa.GetPatch())
			}
		}
	}
}

func TestForegroundFinalizer(t *testing.T) {
	owner := obj("apps/v1", "Deployment", "default", "web", deleting(metav1.FinalizerDeleteDependents))
	rs := obj("apps/v1", "ReplicaSet", "default", "web-abc", ownedBy(owner))
	pod := obj("v1", "Pod", "default", "web-abc-1", ownedBy(rs))
	// Also owned by a live object: it only loses the reference.
	liveOwner := obj("v1", "ConfigMap", "default", "live")
	shared := obj("v1", "ConfigMap", "default", "shared", ownedBy(owner), ownedBy(liveOwner))
	client := startGC(t, owner, rs, pod, liveOwner, shared)

	eventually(t, "the foreground finalizer to be removed", func() bool {
		m := get(t, client, deployments, "default", "web")
		return m != nil && len(m.Finalizers) == 0
	})
	if get(t, client, replicasets, "default", "web-abc") != nil {
		t.Fatal("finalizer removed before the blocking dependent was gone")
	}
	eventually(t, "the pod to be collected", func() bool { return get(t, client, pods, "default", "web-abc-1") == nil })
	m := get(t, client, configmaps, "default", "shared")
	if m == nil || len(m.OwnerReferences) != 1 || m.OwnerReferences[0].UID != liveOwner.UID {
		t.Fatalf("shared dependent: %+v", m)
	}
	// The ReplicaSet, which has dependents, was deleted in the foreground.
	for _, a := range client.Actions() {
		if da, ok := a.(clienttesting.DeleteAction); ok && da.GetName() == "web-abc" {
			if p := ptr.Deref(da.GetDeleteOptions().PropagationPolicy, ""); p != metav1.DeletePropagationForeground {
				t.Fatalf("ReplicaSet deleted with %q", p)
			}
		}
	}
}

func TestForegroundWaitsForTerminatingDependents(t *testing.T) {
	owner := obj("apps/v1", "ReplicaSet", "default", "web-abc", deleting(metav1.FinalizerDeleteDependents))
	// A pod still shutting down (held by its own finalizer).
	pod := obj("v1", "Pod", "default", "p", ownedBy(owner), deleting("kubelet.example/stop"))
	client := startGC(t, owner, pod)
	settle()
	if m := get(t, client, replicasets, "default", "web-abc"); m == nil || !hasFinalizer(m, metav1.FinalizerDeleteDependents) {
		t.Fatal("owner released while a blocking dependent terminates")
	}
	if err := client.Resource(pods).Namespace("default").Delete(context.Background(), "p", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the owner to be released once the pod is gone", func() bool {
		m := get(t, client, replicasets, "default", "web-abc")
		return m != nil && !hasFinalizer(m, metav1.FinalizerDeleteDependents)
	})
}

func TestUnresolvableOwnersAreNotAbsent(t *testing.T) {
	// A kind the server does not serve, and a namespaced owner kind named
	// by a cluster-scoped object: neither reference can be checked, so
	// neither object is garbage.
	unknown := obj("v1", "ConfigMap", "default", "unknown", refTo("widgets.example/v1", "Widget", "w"))
	node := obj("v1", "Node", "", "node-a", refTo("apps/v1", "Deployment", "web"))
	client := startGC(t, unknown, node)
	settle()
	if get(t, client, configmaps, "default", "unknown") == nil || get(t, client, nodes, "", "node-a") == nil {
		t.Fatal("an object with an unresolvable owner was deleted")
	}
	// A namespaced object may have a cluster-scoped owner.
	nsOwned := obj("v1", "ConfigMap", "default", "ns-owned", refTo("v1", "Namespace", "gone-ns"))
	client = startGC(t, nsOwned)
	eventually(t, "the dependent of a missing cluster-scoped owner to go", func() bool {
		return get(t, client, configmaps, "default", "ns-owned") == nil
	})
}

func TestNewDependentOfDeletedOwner(t *testing.T) {
	client := startGC(t)
	// Created after the collector synced, naming an owner that never
	// existed (or is long gone).
	cm := obj("v1", "ConfigMap", "default", "late", refTo("apps/v1", "Deployment", "ghost"))
	if _, err := client.Resource(configmaps).Namespace("default").(fake.MetadataClient).CreateFake(cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the late dependent to be collected", func() bool { return get(t, client, configmaps, "default", "late") == nil })
}

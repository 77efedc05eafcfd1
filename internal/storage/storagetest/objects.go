package storagetest

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"
)

func configMap(name string, labels map[string]string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels},
		Data:       data,
	}
}

// create creates obj and fails the test on any error.
func create(t testing.TB, ctx context.Context, s rest.Creater, obj runtime.Object) runtime.Object {
	t.Helper()
	out, err := s.Create(ctx, obj, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return out
}

// createCM creates a ConfigMap in the suite's namespace.
func createCM(t testing.TB, s rest.Creater, name string, data map[string]string) *corev1.ConfigMap {
	t.Helper()
	return create(t, ctxIn(namespace), s, configMap(name, nil, data)).(*corev1.ConfigMap)
}

// getCM gets a ConfigMap of the suite's namespace, failing on any error.
func getCM(t testing.TB, s rest.Getter, name string) *corev1.ConfigMap {
	t.Helper()
	out, err := s.Get(ctxIn(namespace), name, &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get %s: %v", name, err)
	}
	return out.(*corev1.ConfigMap)
}

// update writes obj as sent, its resourceVersion a precondition when set.
func update(ctx context.Context, s rest.Updater, obj runtime.Object, name string) (runtime.Object, error) {
	out, _, err := s.Update(ctx, name, rest.DefaultUpdatedObjectInfo(obj),
		rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
	return out, err
}

// updateCM updates a ConfigMap of the suite's namespace, failing on error.
func updateCM(t testing.TB, s rest.Updater, cm *corev1.ConfigMap) *corev1.ConfigMap {
	t.Helper()
	out, err := update(ctxIn(namespace), s, cm, cm.Name)
	if err != nil {
		t.Fatalf("update %s: %v", cm.Name, err)
	}
	return out.(*corev1.ConfigMap)
}

// del deletes an object of the suite's namespace, failing on error.
func del(t testing.TB, s rest.GracefulDeleter, name string) {
	t.Helper()
	if _, _, err := s.Delete(ctxIn(namespace), name, rest.ValidateAllObjectFunc, &metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete %s: %v", name, err)
	}
}

package agenttest

import (
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
)

// WatchStarted returns a channel closed once a watch of resource (pods,
// nodes, …) is established on the fake clientset. The fake's watches miss
// what happens between an informer's list and its watch, so a test waits
// for this before changing objects an informer must see.
func WatchStarted(cs *fake.Clientset, resource string) <-chan struct{} {
	ch := make(chan struct{})
	var once sync.Once
	cs.PrependWatchReactor(resource, func(action clienttesting.Action) (bool, watch.Interface, error) {
		var opts metav1.ListOptions
		if w, ok := action.(clienttesting.WatchActionImpl); ok {
			opts = w.ListOptions
		}
		w, err := cs.Tracker().Watch(action.GetResource(), action.GetNamespace(), opts)
		if err != nil {
			return true, nil, err
		}
		once.Do(func() { close(ch) })
		return true, w, nil
	})
	return ch
}

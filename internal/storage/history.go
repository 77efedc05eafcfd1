package storage

import (
	"context"
	"net/http"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	cacherstorage "k8s.io/apiserver/pkg/storage/cacher"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/apiserver/pkg/storage/storagebackend/factory"
	"k8s.io/client-go/tools/cache"
)

// cachedWithHistory is k8s.io/apiserver's watch cache in front of etcd, with
// one difference: a watch from a resourceVersion older than the cache's
// window (for example one taken before a restart) is served from etcd's own
// history instead of failing with 410 Gone. Only when etcd has compacted
// that revision too does the client see 410, and then it must relist.
func cachedWithHistory() generic.StorageDecorator {
	return func(config *storagebackend.ConfigForResource, resourcePrefix string,
		keyFunc func(obj runtime.Object) (string, error),
		newFunc, newListFunc func() runtime.Object,
		getAttrs storage.AttrFunc, triggers storage.IndexerFuncs, indexers *cache.Indexers,
	) (storage.Interface, factory.DestroyFunc, error) {
		raw, destroyRaw, err := generic.NewRawStorage(config, newFunc, newListFunc, resourcePrefix)
		if err != nil {
			return nil, destroyRaw, err
		}
		cacher, err := cacherstorage.NewCacherFromConfig(cacherstorage.Config{
			Storage:             raw,
			Versioner:           storage.APIObjectVersioner{},
			GroupResource:       config.GroupResource,
			EventsHistoryWindow: config.EventsHistoryWindow,
			ResourcePrefix:      resourcePrefix,
			KeyFunc:             keyFunc,
			NewFunc:             newFunc,
			NewListFunc:         newListFunc,
			GetAttrsFunc:        getAttrs,
			IndexerFuncs:        triggers,
			Indexers:            indexers,
			Codec:               config.Codec,
		})
		if err != nil {
			destroyRaw()
			return nil, func() {}, err
		}
		delegator := cacherstorage.NewCacheDelegator(cacher, raw)
		var once sync.Once
		destroy := func() {
			once.Do(func() {
				delegator.Stop()
				cacher.Stop()
				destroyRaw()
			})
		}
		return &historyFallback{Interface: delegator, raw: raw}, destroy, nil
	}
}

// historyFallback serves watches from the cache and falls back to etcd
// when the cache answers that the resourceVersion is too old.
type historyFallback struct {
	storage.Interface
	raw storage.Interface
}

func (h *historyFallback) Watch(ctx context.Context, key string, opts storage.ListOptions) (watch.Interface, error) {
	w, err := h.Interface.Watch(ctx, key, opts)
	if err != nil || !explicitRV(opts) {
		return w, err
	}
	return newFallbackWatcher(ctx, w, func() (watch.Interface, error) {
		return h.raw.Watch(ctx, key, opts)
	}), nil
}

// explicitRV reports whether a watch names a resourceVersion of its own,
// the only case in which the cache may answer 410 where etcd would not.
func explicitRV(opts storage.ListOptions) bool {
	return opts.ResourceVersion != "" && opts.ResourceVersion != "0" && opts.SendInitialEvents == nil
}

// fallbackWatcher forwards a watch, replacing it by a second one if its
// first event is 410 Gone.
type fallbackWatcher struct {
	result chan watch.Event
	done   chan struct{}
	once   sync.Once
}

func newFallbackWatcher(ctx context.Context, first watch.Interface, second func() (watch.Interface, error)) *fallbackWatcher {
	f := &fallbackWatcher{result: make(chan watch.Event), done: make(chan struct{})}
	go f.run(ctx, first, second)
	return f
}

func (f *fallbackWatcher) run(ctx context.Context, w watch.Interface, second func() (watch.Interface, error)) {
	defer close(f.result)
	firstEvent := true
	for {
		var ev watch.Event
		var ok bool
		select {
		case ev, ok = <-w.ResultChan():
		case <-f.done:
			w.Stop()
			return
		case <-ctx.Done():
			w.Stop()
			return
		}
		if !ok {
			return
		}
		if firstEvent && isGone(ev) {
			w.Stop()
			next, err := second()
			if err != nil {
				f.send(ev)
				return
			}
			w = next
			firstEvent = false
			continue
		}
		firstEvent = false
		if !f.send(ev) {
			w.Stop()
			return
		}
	}
}

func (f *fallbackWatcher) send(ev watch.Event) bool {
	select {
	case f.result <- ev:
		return true
	case <-f.done:
		return false
	}
}

func isGone(ev watch.Event) bool {
	if ev.Type != watch.Error {
		return false
	}
	st, ok := ev.Object.(*metav1.Status)
	return ok && (st.Code == http.StatusGone || st.Reason == metav1.StatusReasonExpired || st.Reason == metav1.StatusReasonGone)
}

func (f *fallbackWatcher) ResultChan() <-chan watch.Event { return f.result }

func (f *fallbackWatcher) Stop() { f.once.Do(func() { close(f.done) }) }

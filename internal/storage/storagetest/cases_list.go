package storagetest

import (
	"fmt"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apiserver/pkg/registry/rest"
)

// testList: label and field selectors pick exactly the matching objects of
// the request's namespace, and limit plus continue pages through them
// returning each exactly once, all pages at the first page's revision.
func testList(t *testing.T, h *harness) {
	s := h.store(t, "configmaps")
	var all []string
	for i := 0; i < 7; i++ {
		name := fmt.Sprintf("cm-%d", i)
		tier := map[bool]string{true: "a", false: "b"}[i%2 == 0]
		create(t, ctxIn(namespace), s, configMap(name, map[string]string{"tier": tier}, nil))
		all = append(all, name)
	}
	// Same names and labels in another namespace: never in this one's lists.
	other := configMap("cm-0", map[string]string{"tier": "a"}, nil)
	other.Namespace = "other"
	create(t, ctxIn("other"), s, other)

	tests := []struct {
		name   string
		labels string
		fields string
		want   []string
	}{
		{name: "everything", want: all},
		{name: "label selector", labels: "tier=a", want: []string{"cm-0", "cm-2", "cm-4", "cm-6"}},
		{name: "label selector set-based", labels: "tier in (b)", want: []string{"cm-1", "cm-3", "cm-5"}},
		{name: "field selector metadata.name", fields: "metadata.name=cm-3", want: []string{"cm-3"}},
		{name: "field selector metadata.name negated", fields: "metadata.name!=cm-3", want: slices.DeleteFunc(slices.Clone(all), func(n string) bool { return n == "cm-3" })},
		{name: "label and field selector", labels: "tier=b", fields: "metadata.name=cm-3", want: []string{"cm-3"}},
		{name: "label and field selector disjoint", labels: "tier=a", fields: "metadata.name=cm-3", want: nil},
	}
	for _, tc := range tests {
		for _, limit := range []int64{0, 1, 2, 3} {
			t.Run(fmt.Sprintf("%s/limit=%d", tc.name, limit), func(t *testing.T) {
				opts := &metainternalversion.ListOptions{Limit: limit}
				var err error
				if opts.LabelSelector, err = labels.Parse(tc.labels); err != nil {
					t.Fatal(err)
				}
				if opts.FieldSelector, err = fields.ParseSelector(tc.fields); err != nil {
					t.Fatal(err)
				}
				got, _ := listPages(t, s, namespace, opts, nil)
				assertNamesOnce(t, got, tc.want)
			})
		}
	}
	t.Run("other namespace", func(t *testing.T) {
		got, _ := listPages(t, s, "other", &metainternalversion.ListOptions{Limit: 1}, nil)
		assertNamesOnce(t, got, []string{"cm-0"})
	})
	t.Run("pages are one snapshot", func(t *testing.T) {
		// An object created after the first page is not in later pages.
		late := func() { create(t, ctxIn(namespace), s, configMap("cm-late", nil, nil)) }
		got, revs := listPages(t, s, namespace, &metainternalversion.ListOptions{Limit: 2}, late)
		assertNamesOnce(t, got, all)
		for _, r := range revs {
			if r != revs[0] {
				t.Errorf("pages at resourceVersions %v, want all at the first page's", revs)
				break
			}
		}
		got, _ = listPages(t, s, namespace, &metainternalversion.ListOptions{Limit: 2}, nil)
		assertNamesOnce(t, got, append(slices.Clone(all), "cm-late"))
	})
}

// listPages lists ns with opts, following continue tokens to the end, and
// returns every name in order and each page's resourceVersion. afterFirst,
// when not nil, runs after the first page.
func listPages(t *testing.T, s rest.Lister, ns string, opts *metainternalversion.ListOptions, afterFirst func()) (names, revisions []string) {
	t.Helper()
	const maxPages = 100
	for page := 0; ; page++ {
		if page == maxPages {
			t.Fatalf("still paging after %d pages: continue tokens do not advance", maxPages)
		}
		out, err := s.List(ctxIn(ns), opts)
		if err != nil {
			t.Fatalf("list page %d: %v", page, err)
		}
		list := out.(*corev1.ConfigMapList)
		if opts.Limit > 0 && int64(len(list.Items)) > opts.Limit {
			t.Errorf("page %d has %d items, limit %d", page, len(list.Items), opts.Limit)
		}
		if opts.Limit == 0 && list.Continue != "" {
			t.Errorf("unlimited list returned a continue token")
		}
		for _, cm := range list.Items {
			if cm.Namespace != ns {
				t.Errorf("list of namespace %s returned %s/%s", ns, cm.Namespace, cm.Name)
			}
			names = append(names, cm.Name)
		}
		revisions = append(revisions, list.ResourceVersion)
		if page == 0 && afterFirst != nil {
			afterFirst()
		}
		if list.Continue == "" {
			return names, revisions
		}
		next := *opts
		next.Continue = list.Continue
		opts = &next
	}
}

// assertNamesOnce checks got holds exactly want, each once, in any order.
func assertNamesOnce(t *testing.T, got, want []string) {
	t.Helper()
	g := slices.Sorted(slices.Values(got))
	w := slices.Sorted(slices.Values(want))
	if !slices.Equal(g, w) {
		t.Errorf("listed %v, want each of %v exactly once", g, w)
	}
}

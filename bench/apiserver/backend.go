package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// backend is one side of the comparison: portal's API server or raw etcd.
// A space is a namespace on portal and a key prefix on etcd; object i of a
// space is named objName(i) on both.
type backend interface {
	name() string
	create(ctx context.Context, space string, i int) error
	get(ctx context.Context, space string, i int) error
	// list returns how many objects the space holds. consistent asks for
	// the newest data (resourceVersion "" on portal); otherwise portal may
	// answer from its watch cache (resourceVersion "0").
	list(ctx context.Context, space string, consistent bool) (int, error)
	// watch starts n watchers of the creates in space from now on, each on
	// its own connection, and returns once all are established. on is
	// called by watcher w for every object i it sees created; fail for
	// every error a watcher gets. stop ends the watchers and waits for them.
	watch(ctx context.Context, space string, n int, on func(w, i int, at time.Time), fail func(error)) (stop func(), err error)
}

// objName is the name of object i; objIndex reverses it.
func objName(i int) string { return fmt.Sprintf("cm-%07d", i) }

func objIndex(name string) (int, bool) {
	j := strings.LastIndexByte(name, '-')
	if j < 0 {
		return 0, false
	}
	i, err := strconv.Atoi(name[j+1:])
	return i, err == nil
}

// payload is the data of every benchmark ConfigMap, sized so that the
// stored object (protobuf, with metadata and managedFields) is about 1 KB.
var payload = strings.Repeat("0123456789abcdef", 50)[:payloadBytes]

const payloadBytes = 790

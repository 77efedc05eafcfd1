// Command etcd is the stock etcd server (go.etcd.io/etcd/server/v3's
// etcdmain), built from portal's own module so that tests and benchmarks can
// run etcd as a separate process at exactly the version portal embeds.
// `go install go.etcd.io/etcd/server/v3` refuses to build outside etcd's own
// repository because of its replace directives; this is the one-line way
// round that.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}

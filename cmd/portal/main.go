// Command portal is Kubernetes Service networking as one program: an API
// server, the controllers and a node agent with its data planes.
package main

import (
	"fmt"
	"os"

	"github.com/portal-dev/portal/internal/version"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "version" {
		fmt.Println(version.String())
		return
	}
	fmt.Fprintln(os.Stderr, "usage: portal <up|apiserver|kubeconfig|version>")
	os.Exit(2)
}

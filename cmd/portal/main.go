// Command portal is Kubernetes Service networking as one program: an API
// server, the controllers and a node agent with its data planes.
package main

import (
	"os"

	"github.com/portal-dev/portal/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}

package framework

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	imagesOnce sync.Once
	imagesDir  string
	imagesErr  error
)

// ImageNames are the programs Images builds, each from cmd/<name>. A pod
// whose container has image "portal-demo" (any registry or tag) runs it.
var ImageNames = []string{"portal-demo"}

// Images builds the test images once per test process into
// <tmp>/images/<name> and returns that directory, for --image-path.
func Images(t testing.TB) string {
	t.Helper()
	imagesOnce.Do(func() {
		tmp, err := os.MkdirTemp("", "portal-e2e-images")
		if err != nil {
			imagesErr = err
			return
		}
		imagesDir = filepath.Join(tmp, "images")
		for _, name := range ImageNames {
			cmd := exec.Command("go", "build", "-o", filepath.Join(imagesDir, name), "./cmd/"+name)
			cmd.Dir = RepoRoot()
			if out, err := cmd.CombinedOutput(); err != nil {
				imagesErr = fmt.Errorf("go build %s: %v\n%s", name, err, out)
				return
			}
		}
	})
	if imagesErr != nil {
		t.Fatal(imagesErr)
	}
	return imagesDir
}

package cli

import (
	"path/filepath"

	"github.com/portal-dev/portal/internal/agent"
	"github.com/portal-dev/portal/internal/agent/runner"
)

// newRunner builds the pod runner the agent drives; it is the one place the
// CLI chooses it. Containers run as local processes: an image is a program
// found in the agent's image path (see internal/agent/runner).
func newRunner(env agent.RunnerEnv) (runner.Interface, error) {
	return runner.New(runner.Config{
		RootDir:   env.DataDir,
		ImagePath: env.ImagePath,
		Env:       env.Env,
		Log:       env.Log,
		NSEnter:   lookNSEnter(),
	}), nil
}

// lookNSEnter finds nsenter(1) where util-linux puts it, leaving the
// runner's own PATH lookup as the fallback.
func lookNSEnter() string {
	for _, p := range []string{"/usr/bin/nsenter", "/bin/nsenter"} {
		if m, _ := filepath.Glob(p); len(m) == 1 {
			return p
		}
	}
	return ""
}

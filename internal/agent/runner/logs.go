package runner

import (
	"fmt"
	"os"
	"path/filepath"
)

// logPath is the log file of run n of a container:
// <RootDir>/pods/<uid>/<container>/<n>.log.
func (r *Runner) logPath(p *podState, c *ctr, n int32) string {
	return filepath.Join(r.cfg.RootDir, "pods", string(p.uid), c.spec.Name, fmt.Sprintf("%d.log", n))
}

// rotateLogs names the new run's log and removes the one two runs back:
// as the kubelet keeps one dead container per container, the current and
// the previous logs are kept.
func (r *Runner) rotateLogs(p *podState, c *ctr, pr *proc) {
	pr.logPath = r.logPath(p, c, pr.n)
	if pr.n >= 2 {
		old := r.logPath(p, c, pr.n-2)
		if err := os.Remove(old); err != nil && !os.IsNotExist(err) {
			c.log.Warn("remove old log", "path", old, "err", err)
		}
	}
}

package storagetest

import (
	"os/exec"
	"syscall"
)

// setProcAttr has the kernel kill etcd when the test process dies without
// running its cleanups (a panic, a timeout, a signal), so no etcd outlives
// its test.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

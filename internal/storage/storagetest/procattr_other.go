//go:build !linux

package storagetest

import "os/exec"

// setProcAttr does nothing where the kernel cannot tie etcd's life to the
// test process; t.Cleanup still stops it.
func setProcAttr(*exec.Cmd) {}

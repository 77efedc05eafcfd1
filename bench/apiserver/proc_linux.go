package main

import "syscall"

// childAttr puts a child in its own process group, and asks the kernel to
// send it SIGTERM if this program dies without cleaning up (kill -9).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

package main

import "syscall"

// childAttr: nothing special on Windows.
func childAttr() *syscall.SysProcAttr { return nil }

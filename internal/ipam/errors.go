package ipam

import (
	"errors"
	"fmt"
)

// Sentinels for errors.Is. The errors the allocators return carry
// kube-apiserver's exact wording and match one of these.
var (
	// ErrFull means no value is left in the range.
	ErrFull = errors.New("range is full")
	// ErrAllocated means the requested value is already in use.
	ErrAllocated = errors.New("already allocated")
	// ErrNotInRange means the requested value lies outside the range.
	ErrNotInRange = errors.New("not in the valid range")
	// ErrNotOwner means a release named a value another Service holds;
	// nothing was released.
	ErrNotOwner = errors.New("allocation belongs to another service")
)

// ErrIPAllocated and ErrPortAllocated are ErrAllocated as kube-apiserver
// words it for a cluster IP and a node port.
var (
	ErrIPAllocated   error = &wordedError{msg: "provided IP is already allocated", is: ErrAllocated}
	ErrPortAllocated error = &wordedError{msg: "provided port is already allocated", is: ErrAllocated}
)

// wordedError is a sentinel with a message of its own.
type wordedError struct {
	msg string
	is  error
}

func (e *wordedError) Error() string        { return e.msg }
func (e *wordedError) Is(target error) bool { return target == e.is }

// RangeError reports a value outside an allocator's range. It matches
// ErrNotInRange.
type RangeError struct {
	// Value is the rejected value as text; Range the allocator's range
	// ("10.96.0.0/12", "30000-32767").
	Value, Range string
	port         bool
}

func (e *RangeError) Error() string {
	if e.port {
		return fmt.Sprintf("provided port is not in the valid range. The range of valid ports is %s", e.Range)
	}
	return fmt.Sprintf("the provided IP (%s) is not in the valid range. The range of valid IPs is %s", e.Value, e.Range)
}

// Is makes errors.Is(err, ErrNotInRange) true.
func (e *RangeError) Is(target error) bool { return target == ErrNotInRange }

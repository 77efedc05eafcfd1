// Package e2e holds portal's end-to-end suite: real `portal up` processes
// driven by the real kubectl and by client-go, with everything on loopback.
// It runs after the unit tables (see the Makefile's test target).
package e2e

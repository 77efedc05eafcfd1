// Package framework runs portal as a real process for end-to-end tests: it
// builds the binary once, starts `portal up` on a free loopback port in a
// test-owned data directory, drives the real kubectl against it, and stops
// (or restarts) it. Nothing here reaches past loopback.
package framework

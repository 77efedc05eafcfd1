// Package manager runs portal's controllers together against one API
// server: it builds the clients and the shared informer factory, starts
// every controller and stops them all when its context ends.
package manager

// Package controller holds portal's control loops. Each one lives in its own
// subpackage, talks to the API only through client-go (so it runs against
// portal's API server or any other), is built by a constructor that starts
// nothing, and runs with Run(ctx).
package controller

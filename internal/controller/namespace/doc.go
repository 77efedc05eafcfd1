// Package namespace empties namespaces that are being deleted: it deletes
// every namespaced object in a Terminating namespace, waits until nothing is
// left, then removes the "kubernetes" finalizer through namespaces/finalize
// so the API server deletes the namespace. It owns nothing else.
package namespace

// Package ctrltest helps the controllers' unit tests: a fake clientset that
// behaves like an API server where the controllers need it (generateName,
// uid, generation), an informer factory wired to it, and polling.
package ctrltest

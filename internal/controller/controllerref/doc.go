// Package controllerref decides which objects a controller owns, with
// Kubernetes' controllerRef rules: an object whose controller
// ownerReference names the owner and that still matches the owner's
// selector is owned; an owned object that no longer matches is released
// (its ownerReference removed); an orphan that matches is adopted (an
// ownerReference added), unless the owner is being deleted. Adoption and
// release are strategic merge patches that carry the object's UID, so they
// never land on a recreated object of the same name. ReplicaSets claim pods
// and Deployments claim ReplicaSets through it.
package controllerref

// Package endpoints keeps the legacy core/v1 Endpoints object of every
// Service that has a selector, as kube-controller-manager's endpoints
// controller does.
//
// The Endpoints object has the Service's name and labels (plus
// service.kubernetes.io/headless when the Service has no cluster IP). Each
// matching pod that has an IP of the Service's family, is not terminal and
// (unless publishNotReadyAddresses) not terminating, is an address: in
// addresses when its Ready condition is true or the Service publishes
// not-ready addresses, in notReadyAddresses otherwise; with nodeName,
// targetRef and, when the pod's spec.subdomain names the Service, its
// hostname. Ports are the Service's, with targetPort resolved by number or
// container port name per pod. Subsets are repacked into one canonical,
// sorted form (Repack), so a sync whose result is unchanged writes nothing.
//
// More than 1000 addresses are truncated to 1000 (ready ones first, spread
// over the subsets in proportion) and the object is annotated
// endpoints.kubernetes.io/over-capacity: truncated. The
// endpoints.kubernetes.io/last-change-trigger-time annotation records the
// earliest pod or Service change the write reflects.
//
// Services without a selector are left alone: their Endpoints belong to the
// user. Deleting a Service deletes its Endpoints object, and on start every
// Endpoints object without a Service is deleted, as in kube.
package endpoints

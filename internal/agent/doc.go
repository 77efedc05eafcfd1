// Package agent is portal's node agent, the kubelet's part of it: it
// registers its Node and keeps it Ready (a Lease in kube-node-lease renewed
// every 10s, node status posted on change), runs the pods bound to its node
// through a pod runner, publishes their status, finishes their graceful
// deletion, and serves their logs to the API server.
//
// For each pod it prepares the sandbox the runner needs: a pod IP (a
// loopback address from the pod range in the rootless default, or a veth in
// a network namespace on the portal0 bridge in netns mode), persisted under
// the data directory so the pod keeps it across restarts, and a resolv.conf
// pointing at the cluster DNS. It then calls runner.Sync and publishes the
// runner's observed status whenever runner.Changes fires.
//
// The agent talks to "a Kubernetes API" through client-go only, so it runs
// against portal's API server or a real cluster. It owns the Node, its
// Lease, pod status and the final deletion of its pods; it must not write
// pod specs, and must not start processes itself: that is the runner's job
// (internal/agent/runner, reached only through runner.Interface).
//
// Restart: the runner lives in the agent's process, so when the agent stops
// its pods' processes stop with it. A restarted agent lists the pods still
// bound to its node and syncs each again: the runner starts their processes
// anew, with the same pod objects and the same pod IPs. Pods deleted while
// the agent was down have their IPs, namespaces and directories released.
package agent

// Package cli wires portal's subcommands (up, apiserver, controllers, agent,
// kubeconfig, version) from flags to the components. It owns flag parsing,
// logging set-up and signal handling, and nothing else: every component is
// built with its constructor and run with Run(ctx).
package cli

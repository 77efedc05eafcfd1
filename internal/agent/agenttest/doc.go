// Package agenttest holds a fake pod runner for tests of the node agent: it
// implements runner.Interface without processes, records every call, and
// lets the test set each pod's observed status and log files.
package agenttest

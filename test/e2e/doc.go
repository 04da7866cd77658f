// Package e2e runs loupe end to end on this machine: a real agent loading
// real BPF programs, a lab of network namespaces, real traffic, and the CLI a
// person types. Tests need root; under CI they fail rather than skip.
package e2e

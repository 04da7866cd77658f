package loader

// The compiled object and its Go bindings are committed, so building loupe
// needs no clang; `make generate` refreshes them and `make test` checks that
// they are current.
//go:generate go tool bpf2go -tags linux -target bpfel -type trace_event -type endpoint_info -type ipcache_key -type ipcache_value -type flow_key -type flow_state -type policy_key -type policy_value -type policy_endpoint_key -type policy_endpoint -type policy_state -type ct_key -type ct_entry Loupe ../../bpf/loupe.c -- -I../../bpf -I/usr/include/x86_64-linux-gnu -O2 -g -mcpu=v3 -Wall -Werror

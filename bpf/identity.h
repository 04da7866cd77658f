/* Identity resolution: the local side by ifindex, the remote side by
 * longest-prefix match on the ipcache. */
#pragma once

#include "maps.h"

static __always_inline __u32 lookup_identity(const __u8 *addr)
{
	struct ipcache_key key = { .prefixlen = 128 };

	__builtin_memcpy(key.addr, addr, 16);
	struct ipcache_value *v = bpf_map_lookup_elem(&ipcache, &key);
	return v ? v->identity : IDENTITY_WORLD;
}

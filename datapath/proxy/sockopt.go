package proxy

import (
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// transparent makes a socket accept and send for addresses that are not
// the host's (IP_TRANSPARENT), optionally with a mark, and asks for the
// original destination of datagrams.
func transparent(mark int, origDst bool) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			v6 := network == "tcp6" || network == "udp6"
			set := func(level, opt, v int) {
				if serr == nil {
					serr = unix.SetsockoptInt(int(fd), level, opt, v)
				}
			}
			if v6 {
				set(unix.SOL_IPV6, unix.IPV6_TRANSPARENT, 1)
			} else {
				set(unix.SOL_IP, unix.IP_TRANSPARENT, 1)
			}
			if mark != 0 {
				set(unix.SOL_SOCKET, unix.SO_MARK, mark)
			}
			if origDst {
				if v6 {
					set(unix.SOL_IPV6, unix.IPV6_RECVORIGDSTADDR, 1)
				} else {
					set(unix.SOL_IP, unix.IP_RECVORIGDSTADDR, 1)
				}
			}
			if network == "udp4" || network == "udp6" {
				set(unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
}

// origDst reads the original destination from a datagram's control
// messages (IP_ORIGDSTADDR / IPV6_ORIGDSTADDR).
func origDst(oob []byte) (netip.AddrPort, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return netip.AddrPort{}, false
	}
	for _, m := range msgs {
		switch {
		case m.Header.Level == unix.SOL_IP && m.Header.Type == unix.IP_ORIGDSTADDR && len(m.Data) >= 8:
			port := uint16(m.Data[2])<<8 | uint16(m.Data[3])
			a := netip.AddrFrom4([4]byte(m.Data[4:8]))
			return netip.AddrPortFrom(a, port), true
		case m.Header.Level == unix.SOL_IPV6 && m.Header.Type == unix.IPV6_ORIGDSTADDR && len(m.Data) >= 24:
			port := uint16(m.Data[2])<<8 | uint16(m.Data[3])
			a := netip.AddrFrom16([16]byte(m.Data[8:24]))
			return netip.AddrPortFrom(a, port), true
		}
	}
	return netip.AddrPort{}, false
}

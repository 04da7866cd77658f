package loader

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Hook is one of the two tc hooks of an interface.
type Hook int

const (
	Ingress Hook = iota // packets the interface receives
	Egress              // packets the interface sends
)

func (h Hook) String() string {
	if h == Ingress {
		return "ingress"
	}
	return "egress"
}

// Mode is how programs are attached.
type Mode string

const (
	ModeAuto Mode = "auto" // tcx where the kernel has it, else tc
	ModeTCX  Mode = "tcx"  // bpf_link based tcx (Linux 6.6+)
	ModeTC   Mode = "tc"   // clsact qdisc and a direct-action filter, via netlink
)

// ParseMode parses "auto", "tcx" or "tc".
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeAuto, ModeTCX, ModeTC:
		return m, nil
	}
	return "", fmt.Errorf("attach mode %q: want auto, tcx or tc", s)
}

// filterName and filterPrio identify loupe's filter in clsact mode, so that a
// re-attach replaces it instead of adding a second one.
const (
	filterName   = "loupe"
	filterPrio   = 1
	filterHandle = 1
)

// Attacher attaches programs to interfaces and pins tcx links under
// pinDir/links, so a restarted agent swaps programs in place instead of
// attaching them twice.
type Attacher struct {
	linkDir string
	mode    Mode
}

// NewAttacher returns an attacher pinning links under pinDir/links.
func NewAttacher(pinDir string, mode Mode) (*Attacher, error) {
	dir := filepath.Join(pinDir, "links")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create link pin directory: %w", err)
	}
	return &Attacher{linkDir: dir, mode: mode}, nil
}

func (a *Attacher) pinPath(ifindex int, h Hook) string {
	return filepath.Join(a.linkDir, fmt.Sprintf("%d-%s", ifindex, h))
}

// Attach puts prog on hook h of the interface, replacing a previous loupe
// program there atomically. It returns the mode it used.
func (a *Attacher) Attach(ifindex int, h Hook, prog *ebpf.Program) (Mode, error) {
	if a.mode != ModeTC {
		err := a.attachTCX(ifindex, h, prog)
		if err == nil {
			return ModeTCX, nil
		}
		if a.mode == ModeTCX || !errors.Is(err, ebpf.ErrNotSupported) {
			return "", err
		}
	}
	return ModeTC, attachClsact(ifindex, h, prog)
}

func (a *Attacher) attachTCX(ifindex int, h Hook, prog *ebpf.Program) error {
	pin := a.pinPath(ifindex, h)
	if l, err := link.LoadPinnedLink(pin, nil); err == nil {
		// A link survives its agent; swap the program in place. If the
		// interface is gone (ifindex reused), the link is defunct.
		uerr := l.Update(prog)
		l.Close()
		if uerr == nil {
			return nil
		}
		if err := os.Remove(pin); err != nil {
			return fmt.Errorf("remove stale link pin: %w", err)
		}
	}
	at := ebpf.AttachTCXIngress
	if h == Egress {
		at = ebpf.AttachTCXEgress
	}
	l, err := link.AttachTCX(link.TCXOptions{Interface: ifindex, Program: prog, Attach: at})
	if err != nil {
		return fmt.Errorf("attach tcx %s: %w", h, err)
	}
	defer l.Close()
	if err := l.Pin(pin); err != nil {
		return fmt.Errorf("pin tcx link: %w", err)
	}
	return nil
}

func attachClsact(ifindex int, h Hook, prog *ebpf.Program) error {
	qdisc := &netlink.GenericQdisc{
		QdiscAttrs: netlink.QdiscAttrs{LinkIndex: ifindex, Handle: netlink.MakeHandle(0xffff, 0), Parent: netlink.HANDLE_CLSACT},
		QdiscType:  "clsact",
	}
	if err := netlink.QdiscReplace(qdisc); err != nil {
		return fmt.Errorf("add clsact qdisc: %w", err)
	}
	parent := uint32(netlink.HANDLE_MIN_INGRESS)
	if h == Egress {
		parent = netlink.HANDLE_MIN_EGRESS
	}
	filter := &netlink.BpfFilter{
		FilterAttrs: netlink.FilterAttrs{
			LinkIndex: ifindex, Parent: parent, Handle: filterHandle,
			Protocol: unix.ETH_P_ALL, Priority: filterPrio,
		},
		Fd: prog.FD(), Name: filterName, DirectAction: true,
	}
	if err := netlink.FilterReplace(filter); err != nil {
		return fmt.Errorf("attach tc filter %s: %w", h, err)
	}
	return nil
}

// Detach removes loupe's programs from both hooks of the interface. It is
// safe on interfaces that are gone or have nothing attached.
func (a *Attacher) Detach(ifindex int) error {
	var errs []error
	for _, h := range []Hook{Ingress, Egress} {
		pin := a.pinPath(ifindex, h)
		if l, err := link.LoadPinnedLink(pin, nil); err == nil {
			errs = append(errs, l.Unpin(), l.Close())
		}
		if err := os.Remove(pin); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if l, err := netlink.LinkByIndex(ifindex); err == nil {
		for _, parent := range []uint32{netlink.HANDLE_MIN_INGRESS, netlink.HANDLE_MIN_EGRESS} {
			filters, _ := netlink.FilterList(l, parent)
			for _, f := range filters {
				if bf, ok := f.(*netlink.BpfFilter); ok && bf.Name == filterName {
					errs = append(errs, netlink.FilterDel(f))
				}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("detach from interface %d: %w", ifindex, err)
	}
	return nil
}

// Attached counts the programs loupe has on hook h of the interface, in
// either mode. Tests use it to prove nothing is attached twice.
func Attached(ifindex int, h Hook) (int, error) {
	n := 0
	at := ebpf.AttachTCXIngress
	parent := uint32(netlink.HANDLE_MIN_INGRESS)
	if h == Egress {
		at, parent = ebpf.AttachTCXEgress, netlink.HANDLE_MIN_EGRESS
	}
	res, err := link.QueryPrograms(link.QueryOptions{Target: ifindex, Attach: at})
	if err == nil {
		n += len(res.Programs)
	} else if !errors.Is(err, ebpf.ErrNotSupported) {
		return 0, fmt.Errorf("query tcx programs: %w", err)
	}
	l, err := netlink.LinkByIndex(ifindex)
	if err != nil {
		return 0, fmt.Errorf("find interface %d: %w", ifindex, err)
	}
	filters, err := netlink.FilterList(l, parent)
	if err != nil {
		return 0, fmt.Errorf("list tc filters: %w", err)
	}
	for _, f := range filters {
		if bf, ok := f.(*netlink.BpfFilter); ok && bf.Name == filterName {
			n++
		}
	}
	return n, nil
}
